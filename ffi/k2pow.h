/* k2pow shim: the few calls the engine needs from librandomx, with the k2pow hashing rule in C so that the
 * search loop never leaves native code. Every failure is a return value; nothing here exits or aborts. */
#ifndef K2POW_H
#define K2POW_H

#include <stdint.h>
#include <randomx.h>

/* Raised whenever a signature below changes, so a stale build is refused instead of misbehaving. */
#define K2POW_ABI_VERSION 7

#define K2POW_INPUT_SIZE 48
#define K2POW_HASH_SIZE 32
#define K2POW_NONCE_LIMIT (UINT64_C(1) << 56)

enum k2pow_pages { K2POW_PAGES_PLAIN = 0, K2POW_PAGES_THP = 1, K2POW_PAGES_HUGETLB = 2 };

enum k2pow_search_status {
  K2POW_EXHAUSTED = 0, /* every nonce of the range was hashed, none valid */
  K2POW_FOUND = 1,     /* *nonce holds the first valid nonce of the range */
  K2POW_STOPPED = 2,   /* the stop flag was set */
  K2POW_EINVAL = -1    /* bad arguments; nothing was hashed */
};

/* k2pow_dataset_build_vectors: an item built with vectors differed from librandomx's. */
#define K2POW_MISMATCH (-2)

int k2pow_abi_version(void);
/* Flags librandomx recommends for this CPU (JIT, hardware AES, Argon2 variant). */
int k2pow_recommended_flags(void);

/* Allocates the cache; NULL when the memory cannot be had. The thread that allocates it frees it; filling it with
 * the k2pow key (about a second of Argon2) may run on another thread, so the allocating one is not held up. */
randomx_cache *k2pow_cache_alloc(int flags);
int k2pow_cache_init(randomx_cache *cache);
void k2pow_cache_destroy(randomx_cache *cache);
/* Asks for transparent huge pages on a cache allocated without RANDOMX_FLAG_LARGE_PAGES, before k2pow_cache_init
 * touches it: 0 when asked, -1 where there are none (Windows) or the kernel refused. */
int k2pow_cache_advise_huge_pages(randomx_cache *cache);

/* Allocates the dataset in the page mode asked for; NULL when that fails. *obtained says what it got: THP falls
 * back to plain pages (keeping the allocation) when the kernel refuses the advice. */
randomx_dataset *k2pow_dataset_alloc(int pages, int32_t *obtained);
unsigned long k2pow_dataset_items(void);
uint64_t k2pow_dataset_bytes(void);
/* Builds items [start, start+count) from the cache; slices may be built concurrently on different threads.
 * A range outside the dataset is refused (librandomx itself would assert and abort). */
int k2pow_dataset_build(randomx_dataset *dataset, randomx_cache *cache, uint64_t start, uint64_t count);
/* How many items k2pow_dataset_build_vectors builds at once on this CPU (8 with AVX-512, 4 with AVX2), or 0 when it
 * cannot: then only librandomx's one-at-a-time build is there. */
int k2pow_dataset_vector_lanes(void);
/* Builds items [start, start+count) as k2pow_dataset_build does, `lanes` at a time with vector code for k2pow's key
 * (dataset-vectors.c), then has librandomx build the range's first `lanes` items and its last one again, in place:
 * K2POW_MISMATCH when any differed, *mismatch naming the first. K2POW_EINVAL for a range outside the dataset or lanes
 * this CPU lacks. */
int k2pow_dataset_build_vectors(randomx_dataset *dataset, randomx_cache *cache, uint64_t start, uint64_t count, int lanes,
                                uint64_t *mismatch);
void k2pow_dataset_destroy(randomx_dataset *dataset);
/* Where the dataset's bytes are, so a saved copy can be written from them and read back into them. */
void *k2pow_dataset_memory(randomx_dataset *dataset);

/* Tells the kernel that bytes [offset, offset+length) of an open file will not be read again, so a 2 GiB dataset
 * file read once does not stay in the page cache beside the copy in the dataset. 0, or an errno value. */
int k2pow_file_forget(int fd, uint64_t offset, uint64_t length);

/* Whether this process may put memory in large pages, enabling the right on the way: on Windows, 0 once
 * SeLockMemoryPrivilege ("Lock pages in memory") is enabled for the process, else the Windows error code (1300,
 * ERROR_NOT_ALL_ASSIGNED: the account does not hold the right). Always 0 elsewhere: Linux's reserved huge pages need
 * no right, only vm.nr_hugepages. */
int k2pow_lock_pages_privilege(void);

/* A VM on the dataset (fast mode) when dataset is not NULL, else on the cache (light mode). */
randomx_vm *k2pow_vm_create(int flags, randomx_cache *cache, randomx_dataset *dataset);
void k2pow_vm_destroy(randomx_vm *vm);

/* One hash of a 48-byte input; `input` must hold 48 bytes. */
int k2pow_hash(randomx_vm *vm, const uint8_t *input, uint8_t *out);

/* Hashes nonces start, start+1, ... start+count-1 with `input` as template (its first 7 bytes are replaced by the
 * nonce, little-endian) until one hashes below `difficulty` (32 bytes, big-endian), the range ends, or *stop
 * becomes non-zero. *hashes is increased as each hash completes so another thread can watch progress. The calling
 * thread's floating-point environment, which RandomX changes, is restored before returning. */
int k2pow_search(randomx_vm *vm, const uint8_t *input, uint64_t start, uint64_t count, const uint8_t *difficulty,
                 const int32_t *stop, uint64_t *hashes, uint64_t *nonce);

#endif
