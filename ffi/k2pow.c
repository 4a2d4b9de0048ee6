#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#define _XOPEN_SOURCE 600 /* posix_fadvise */

#include "k2pow.h"

#include "dataset-vectors.h"

#include <fenv.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

static const char KEY[] = "spacemesh-randomx-cache-key";

int k2pow_abi_version(void) { return K2POW_ABI_VERSION; }

int k2pow_recommended_flags(void) { return (int)randomx_get_flags(); }

randomx_cache *k2pow_cache_alloc(int flags) { return randomx_alloc_cache((randomx_flags)flags); }

int k2pow_cache_init(randomx_cache *cache) {
  if (cache == NULL) return K2POW_EINVAL;
  randomx_init_cache(cache, KEY, sizeof KEY - 1);
  return 0;
}

void k2pow_cache_destroy(randomx_cache *cache) {
  if (cache != NULL) randomx_release_cache(cache);
}

/* librandomx 1.1.10 has no call that gives the cache's memory; it is the first member of its randomx_cache. A
 * different layout would build wrong items, which the vector build's comparison with librandomx reports. */
static uint8_t *cache_memory(randomx_cache *cache) { return *(uint8_t *const *)cache; }

unsigned long k2pow_dataset_items(void) { return randomx_dataset_item_count(); }

uint64_t k2pow_dataset_bytes(void) { return (uint64_t)randomx_dataset_item_count() * RANDOMX_DATASET_ITEM_SIZE; }

/* Asks the kernel for transparent huge pages on memory no page of which has been touched yet. madvise needs a
 * page-aligned start; the few bytes before the first page boundary stay on small pages. Windows has no such pages:
 * its large pages are the hugetlb mode's, so the memory stays on plain pages there. */
static int advise_huge_pages(void *memory, uint64_t bytes) {
#ifdef _WIN32
  (void)memory;
  (void)bytes;
  return -1;
#else
  uintptr_t begin = (uintptr_t)memory;
  uintptr_t end = begin + bytes;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t first = (begin + page - 1) & ~(page - 1);
  if (memory == NULL || first >= end) return -1;
  return madvise((void *)first, (end - first) & ~(page - 1), MADV_HUGEPAGE);
#endif
}

static int advise_dataset(randomx_dataset *dataset) { return advise_huge_pages(randomx_get_dataset_memory(dataset), k2pow_dataset_bytes()); }

/* The cache's size: librandomx's RANDOMX_ARGON_MEMORY (262,144 KiB), which its public header does not give. */
#define CACHE_BYTES (256ull * 1024 * 1024)

int k2pow_cache_advise_huge_pages(randomx_cache *cache) {
  if (cache == NULL) return -1;
  return advise_huge_pages(cache_memory(cache), CACHE_BYTES);
}

randomx_dataset *k2pow_dataset_alloc(int pages, int32_t *obtained) {
  randomx_dataset *dataset;
  if (obtained == NULL) return NULL;
  switch (pages) {
    case K2POW_PAGES_HUGETLB:
      *obtained = K2POW_PAGES_HUGETLB;
      return randomx_alloc_dataset(RANDOMX_FLAG_LARGE_PAGES);
    case K2POW_PAGES_THP:
      dataset = randomx_alloc_dataset(RANDOMX_FLAG_DEFAULT);
      if (dataset == NULL) return NULL;
      *obtained = advise_dataset(dataset) == 0 ? K2POW_PAGES_THP : K2POW_PAGES_PLAIN;
      return dataset;
    case K2POW_PAGES_PLAIN:
      *obtained = K2POW_PAGES_PLAIN;
      return randomx_alloc_dataset(RANDOMX_FLAG_DEFAULT);
    default:
      return NULL;
  }
}

int k2pow_dataset_build(randomx_dataset *dataset, randomx_cache *cache, uint64_t start, uint64_t count) {
  uint64_t items = randomx_dataset_item_count();
  if (dataset == NULL || cache == NULL || start >= items || count > items - start) return K2POW_EINVAL;
  if (count == 0) return 0;
  randomx_init_dataset(dataset, cache, (unsigned long)start, (unsigned long)count);
  return 0;
}

int k2pow_dataset_vector_lanes(void) { return k2pow_vectors_lanes(); }

/* Whether librandomx builds item `item` as it already is in the dataset; the item is then librandomx's either way. */
static int same_as_librandomx(randomx_dataset *dataset, randomx_cache *cache, uint64_t item) {
  uint8_t *at = (uint8_t *)randomx_get_dataset_memory(dataset) + RANDOMX_DATASET_ITEM_SIZE * item;
  uint8_t before[RANDOMX_DATASET_ITEM_SIZE];
  memcpy(before, at, sizeof before);
  randomx_init_dataset(dataset, cache, (unsigned long)item, 1);
  return memcmp(before, at, sizeof before) == 0;
}

int k2pow_dataset_build_vectors(randomx_dataset *dataset, randomx_cache *cache, uint64_t start, uint64_t count, int lanes,
                                uint64_t *mismatch) {
  uint64_t items = randomx_dataset_item_count();
  if (dataset == NULL || cache == NULL || mismatch == NULL || start >= items || count > items - start) return K2POW_EINVAL;
  if (count == 0) return 0;
  uint8_t *memory = randomx_get_dataset_memory(dataset);
  if (k2pow_vectors_build(cache_memory(cache), memory, start, count, lanes) != 0) return K2POW_EINVAL;
  /* Every lane of the first batch, and the item that may have come from a part batch. */
  uint64_t checked = count < (uint64_t)lanes ? count : (uint64_t)lanes;
  for (uint64_t i = 0; i <= checked; i++) {
    uint64_t item = i < checked ? start + i : start + count - 1;
    if (!same_as_librandomx(dataset, cache, item)) {
      *mismatch = item;
      return K2POW_MISMATCH;
    }
  }
  return 0;
}

void k2pow_dataset_destroy(randomx_dataset *dataset) {
  if (dataset != NULL) randomx_release_dataset(dataset);
}

void *k2pow_dataset_memory(randomx_dataset *dataset) {
  return dataset != NULL ? randomx_get_dataset_memory(dataset) : NULL;
}

int k2pow_file_forget(int fd, uint64_t offset, uint64_t length) {
  if (fd < 0 || offset > INT64_MAX || length > INT64_MAX) return K2POW_EINVAL;
#ifdef _WIN32
  /* Windows has no per-range advice for the file cache; it trims cached file pages itself under memory pressure. */
  return 0;
#else
  return posix_fadvise(fd, (off_t)offset, (off_t)length, POSIX_FADV_DONTNEED);
#endif
}

int k2pow_lock_pages_privilege(void) {
#ifdef _WIN32
  /* librandomx enables the privilege itself before each large-page allocation, but keeps the reason when it cannot;
   * asking first lets the engine say what to change. */
  HANDLE token;
  TOKEN_PRIVILEGES privileges = {.PrivilegeCount = 1};
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token)) return (int)GetLastError();
  DWORD error = ERROR_SUCCESS;
  if (!LookupPrivilegeValueA(NULL, "SeLockMemoryPrivilege", &privileges.Privileges[0].Luid)) {
    error = GetLastError();
  } else {
    privileges.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    /* It succeeds even when the account lacks the right; ERROR_NOT_ALL_ASSIGNED then says so. */
    if (!AdjustTokenPrivileges(token, FALSE, &privileges, 0, NULL, NULL) || GetLastError() != ERROR_SUCCESS)
      error = GetLastError();
  }
  CloseHandle(token);
  return (int)error;
#else
  return 0;
#endif
}

randomx_vm *k2pow_vm_create(int flags, randomx_cache *cache, randomx_dataset *dataset) {
  randomx_flags f = (randomx_flags)flags;
  if (dataset != NULL) f |= RANDOMX_FLAG_FULL_MEM;
  else if (cache == NULL) return NULL;
  else f &= ~RANDOMX_FLAG_FULL_MEM;
  return randomx_create_vm(f, dataset != NULL ? NULL : cache, dataset);
}

void k2pow_vm_destroy(randomx_vm *vm) {
  if (vm != NULL) randomx_destroy_vm(vm);
}

int k2pow_hash(randomx_vm *vm, const uint8_t *input, uint8_t *out) {
  if (vm == NULL || input == NULL || out == NULL) return K2POW_EINVAL;
  randomx_calculate_hash(vm, input, K2POW_INPUT_SIZE, out);
  return 0;
}

static void put_nonce(uint8_t *input, uint64_t nonce) {
  for (int i = 0; i < 7; i++) input[i] = (uint8_t)(nonce >> (8 * i));
}

static int search(randomx_vm *vm, const uint8_t *input, uint64_t start, uint64_t count, const uint8_t *difficulty,
                  const int32_t *stop, uint64_t *hashes, uint64_t *nonce) {
  uint8_t buf[K2POW_INPUT_SIZE];
  uint8_t hash[K2POW_HASH_SIZE];
  memcpy(buf, input, sizeof buf);
  uint64_t done = __atomic_load_n(hashes, __ATOMIC_RELAXED);

  /* hash_next returns the hash of the previous input while it starts on the next one, so the hash of nonce
   * start+i is in hand once the input of start+i+1 has been handed over. */
  put_nonce(buf, start);
  randomx_calculate_hash_first(vm, buf, sizeof buf);
  for (uint64_t i = 0; i < count; i++) {
    if (i + 1 < count) {
      put_nonce(buf, start + i + 1);
      randomx_calculate_hash_next(vm, buf, sizeof buf, hash);
    } else {
      randomx_calculate_hash_last(vm, hash);
    }
    __atomic_store_n(hashes, ++done, __ATOMIC_RELAXED);
    if (memcmp(hash, difficulty, K2POW_HASH_SIZE) < 0) {
      *nonce = start + i;
      return K2POW_FOUND;
    }
    if (__atomic_load_n(stop, __ATOMIC_RELAXED) != 0) return K2POW_STOPPED;
  }
  return K2POW_EXHAUSTED;
}

int k2pow_search(randomx_vm *vm, const uint8_t *input, uint64_t start, uint64_t count, const uint8_t *difficulty,
                 const int32_t *stop, uint64_t *hashes, uint64_t *nonce) {
  if (vm == NULL || input == NULL || difficulty == NULL || stop == NULL || hashes == NULL || nonce == NULL ||
      start >= K2POW_NONCE_LIMIT || count > K2POW_NONCE_LIMIT - start)
    return K2POW_EINVAL;
  if (count == 0) return K2POW_EXHAUSTED;
  /* RandomX programs leave the rounding mode changed; the JavaScript engine on this thread must not inherit it. */
  fenv_t env;
  if (fegetenv(&env) != 0) return K2POW_EINVAL;
  int status = search(vm, input, start, count, difficulty, stop, hashes, nonce);
  fesetenv(&env);
  return status;
}
