/* shim-bench: the reference for bench/engine.ts. It drives the same shim (build/native/libk2pow.so) the engine
 * loads, from plain pthreads with nothing in between, so any gap between the two is the engine's own cost.
 *
 * usage: shim-bench THREADS plain|thp|hugetlb SECONDS ROUNDS
 * prints: {"threads":T,"pages":"..","datasetBuildSeconds":S,"hashesPerSecond":[one per round]}
 */
#define _GNU_SOURCE /* clock_nanosleep */

#include "k2pow.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Hashing before the timed window starts: the first hashes fault in scratchpads and JIT code. */
#define WARMUP_SECONDS 1.0

struct build_slice {
  randomx_dataset *dataset;
  randomx_cache *cache;
  uint64_t start, count;
  int status;
};

struct searcher {
  randomx_vm *vm;
  uint64_t start, count;
  uint64_t hashes; /* written by k2pow_search after each hash, read by the main thread */
  uint64_t nonce;
  int status;
};

static const uint8_t input[K2POW_INPUT_SIZE] = {0, 0, 0, 0, 0, 0, 0, 7, 'b', 'e', 'n', 'c', 'h'};
/* No hash is below zero, so every search runs until it is stopped. */
static const uint8_t never_met[K2POW_HASH_SIZE] = {0};
static int32_t stop;

static void fail(const char *what) {
  fprintf(stderr, "shim-bench: %s\n", what);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_seconds(double seconds) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  double whole = (double)until.tv_sec + (double)until.tv_nsec / 1e9 + seconds;
  until.tv_sec = (time_t)whole;
  until.tv_nsec = (long)((whole - (double)until.tv_sec) * 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {
  }
}

static long parse_long(const char *text, long min, long max, const char *what) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min || value > max) fail(what);
  return value;
}

static void *build(void *arg) {
  struct build_slice *s = arg;
  /* The build the engine makes by default: vector code where the CPU has it, else librandomx's own. */
  int lanes = k2pow_dataset_vector_lanes();
  uint64_t mismatch;
  s->status = lanes > 0 ? k2pow_dataset_build_vectors(s->dataset, s->cache, s->start, s->count, lanes, &mismatch)
                        : k2pow_dataset_build(s->dataset, s->cache, s->start, s->count);
  return NULL;
}

static void *search(void *arg) {
  struct searcher *s = arg;
  s->status = k2pow_search(s->vm, input, s->start, s->count, never_met, &stop, &s->hashes, &s->nonce);
  return NULL;
}

static uint64_t total_hashes(const struct searcher *searchers, int threads) {
  uint64_t sum = 0;
  for (int t = 0; t < threads; t++) sum += __atomic_load_n(&searchers[t].hashes, __ATOMIC_RELAXED);
  return sum;
}

static void start_threads(pthread_t *ids, int threads, void *(*run)(void *), void *items, size_t item_size) {
  for (int t = 0; t < threads; t++) {
    int err = pthread_create(&ids[t], NULL, run, (char *)items + (size_t)t * item_size);
    if (err != 0) {
      fprintf(stderr, "shim-bench: pthread_create: %s\n", strerror(err));
      exit(1);
    }
  }
}

static void join_threads(pthread_t *ids, int threads) {
  for (int t = 0; t < threads; t++) {
    if (pthread_join(ids[t], NULL) != 0) fail("pthread_join failed");
  }
}

int main(int argc, char **argv) {
  if (argc != 5) fail("usage: shim-bench THREADS plain|thp|hugetlb SECONDS ROUNDS");
  int threads = (int)parse_long(argv[1], 1, 1024, "THREADS must be 1..1024");
  const char *pages_name = argv[2];
  int pages;
  if (strcmp(pages_name, "plain") == 0) pages = K2POW_PAGES_PLAIN;
  else if (strcmp(pages_name, "thp") == 0) pages = K2POW_PAGES_THP;
  else if (strcmp(pages_name, "hugetlb") == 0) pages = K2POW_PAGES_HUGETLB;
  else fail("page mode must be plain, thp or hugetlb");
  char *end;
  double seconds = strtod(argv[3], &end);
  if (end == argv[3] || *end != '\0' || !(seconds > 0 && seconds < 86400)) fail("SECONDS must be a positive number");
  int rounds = (int)parse_long(argv[4], 1, 1000, "ROUNDS must be 1..1000");

  if (k2pow_abi_version() != K2POW_ABI_VERSION) fail("libk2pow.so does not match ffi/k2pow.h; run ./build.sh");
  int flags = k2pow_recommended_flags();
  pthread_t *ids = calloc((size_t)threads, sizeof *ids);
  struct build_slice *slices = calloc((size_t)threads, sizeof *slices);
  struct searcher *searchers = calloc((size_t)threads, sizeof *searchers);
  double *rates = calloc((size_t)rounds, sizeof *rates);
  if (ids == NULL || slices == NULL || searchers == NULL || rates == NULL) fail("out of memory");

  randomx_cache *cache = k2pow_cache_alloc(flags);
  if (cache == NULL || k2pow_cache_init(cache) != 0) fail("k2pow_cache_alloc failed (out of memory?)");
  int32_t obtained;
  randomx_dataset *dataset = k2pow_dataset_alloc(pages, &obtained);
  if (dataset == NULL || obtained != pages) fail("k2pow_dataset_alloc could not give the page mode asked for");

  /* Contiguous slices, the last taking the remainder: the same split the engine makes. */
  uint64_t items = k2pow_dataset_items();
  uint64_t each = items / (uint64_t)threads;
  for (int t = 0; t < threads; t++) {
    slices[t] = (struct build_slice){dataset, cache, each * (uint64_t)t, t == threads - 1 ? items - each * (uint64_t)t : each, 0};
  }
  double build_started = now();
  start_threads(ids, threads, build, slices, sizeof *slices);
  join_threads(ids, threads);
  double build_seconds = now() - build_started;
  for (int t = 0; t < threads; t++) {
    if (slices[t].status != 0) fail("the shim refused a dataset slice (or built it differently from librandomx)");
  }
  /* Fast-mode VMs read only the dataset. */
  k2pow_cache_destroy(cache);

  uint64_t range = K2POW_NONCE_LIMIT / (uint64_t)threads;
  for (int t = 0; t < threads; t++) {
    randomx_vm *vm = NULL;
    /* Scratchpads in reserved huge pages when the dataset is, as the engine does, else small pages. */
    if (pages == K2POW_PAGES_HUGETLB) vm = k2pow_vm_create(flags | RANDOMX_FLAG_LARGE_PAGES, NULL, dataset);
    if (vm == NULL) vm = k2pow_vm_create(flags, NULL, dataset);
    if (vm == NULL) fail("k2pow_vm_create failed (out of memory, or JIT memory refused)");
    searchers[t] = (struct searcher){vm, range * (uint64_t)t, range, 0, 0, 0};
  }

  for (int r = 0; r < rounds; r++) {
    __atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
    start_threads(ids, threads, search, searchers, sizeof *searchers);
    sleep_seconds(WARMUP_SECONDS);
    double t0 = now();
    uint64_t h0 = total_hashes(searchers, threads);
    sleep_seconds(seconds);
    double t1 = now();
    uint64_t h1 = total_hashes(searchers, threads);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    join_threads(ids, threads);
    for (int t = 0; t < threads; t++) {
      if (searchers[t].status != K2POW_STOPPED) fail("a search ended other than by the stop flag");
    }
    rates[r] = (double)(h1 - h0) / (t1 - t0);
  }

  printf("{\"threads\":%d,\"pages\":\"%s\",\"datasetBuildSeconds\":%.3f,\"hashesPerSecond\":[", threads, pages_name,
         build_seconds);
  for (int r = 0; r < rounds; r++) printf("%s%.1f", r == 0 ? "" : ",", rates[r]);
  printf("]}\n");

  for (int t = 0; t < threads; t++) k2pow_vm_destroy(searchers[t].vm);
  k2pow_dataset_destroy(dataset);
  free(ids);
  free(slices);
  free(searchers);
  free(rates);
  return fflush(stdout) == 0 ? 0 : 1;
}
