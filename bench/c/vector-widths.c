/* vector-widths: one thread builds the same dataset items with librandomx's own build and with the vector code at
 * each width this CPU has (8 with AVX-512, 4 with AVX2), checks the bytes match, and prints the time of each and
 * the ratios, from one run. What an AVX2-only CPU gets can be seen on an AVX-512 one.
 *
 *   cc -O2 -std=gnu11 -Iffi -Ilibrandomx/x64/usr/include -o build/bench/vector-widths bench/c/vector-widths.c \
 *     -Lbuild/native -lk2pow -Wl,--no-as-needed -l:librandomx.so.0 -Wl,-rpath,$PWD/build/native
 *   build/bench/vector-widths [ITEMS]
 */
#define _GNU_SOURCE /* clock_gettime */

#include "k2pow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000, start = 12345;
  randomx_cache *cache = k2pow_cache_alloc(k2pow_recommended_flags());
  int32_t pages;
  randomx_dataset *dataset = k2pow_dataset_alloc(K2POW_PAGES_PLAIN, &pages);
  uint8_t *expected = malloc(count * 64);
  if (cache == NULL || dataset == NULL || expected == NULL || k2pow_cache_init(cache) != 0) {
    fprintf(stderr, "vector-widths: out of memory\n");
    return 1;
  }
  uint8_t *items = (uint8_t *)k2pow_dataset_memory(dataset) + 64 * start;
  double t0 = now();
  if (k2pow_dataset_build(dataset, cache, start, count) != 0) return 1;
  double librandomx = now() - t0;
  memcpy(expected, items, count * 64);
  printf("librandomx      %.3f s for %llu items\n", librandomx, (unsigned long long)count);
  for (int lanes = 8; lanes >= 4; lanes /= 2) {
    if (lanes > k2pow_dataset_vector_lanes()) continue;
    memset(items, 0, count * 64);
    uint64_t mismatch;
    t0 = now();
    int status = k2pow_dataset_build_vectors(dataset, cache, start, count, lanes, &mismatch);
    double seconds = now() - t0;
    int same = status == 0 && memcmp(expected, items, count * 64) == 0;
    printf("%d at a time     %.3f s: librandomx / this %.2fx, %s\n", lanes, seconds, librandomx / seconds,
           same ? "same bytes" : "DIFFERENT BYTES");
    if (!same) return 1;
  }
  return 0;
}
