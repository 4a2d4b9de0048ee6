/* Dataset items for k2pow's key with vector instructions: 8 items at once with AVX-512, 4 with AVX2. librandomx 1.1.10
 * builds one item at a time; its SuperscalarHash programs are the same for every k2pow worker (the key never
 * changes), so they are compiled in (superscalar-programs.h) as straight-line code over vectors of items. */
#ifndef K2POW_DATASET_VECTORS_H
#define K2POW_DATASET_VECTORS_H

#include <stdint.h>

/* How many items the vector code builds at once on this CPU: 8, 4, or 0 when it has neither AVX-512 (F and DQ) nor
 * AVX2, or is not x86-64. */
int k2pow_vectors_lanes(void);

/* Writes items [start, start+count) to dataset_memory + 64 * item, from the 256 MiB cache memory filled with k2pow's
 * key, `lanes` (8 or 4, at most k2pow_vectors_lanes()) at a time. Returns 0, or -1 for lanes this CPU lacks. */
int k2pow_vectors_build(const uint8_t *cache_memory, uint8_t *dataset_memory, uint64_t start, uint64_t count, int lanes);

#endif
