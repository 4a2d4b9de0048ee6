/* Dataset items with vector instructions; see dataset-vectors.h. The item rule is RandomX's (specification 7.3):
 * eight registers seeded from the item number, then for each of the eight programs: run it, XOR in the 64-byte cache
 * line the address register chose before it ran, and take the next line's address from its address register. */
#include "dataset-vectors.h"

#include <string.h>

#include "superscalar-programs.h"


#define ALL_PROGRAMS(ROUND)                                                                                          \
  ROUND(SSH_PROGRAM_0, SSH_ADDRESS_REGISTER_0)                                                                       \
  ROUND(SSH_PROGRAM_1, SSH_ADDRESS_REGISTER_1)                                                                       \
  ROUND(SSH_PROGRAM_2, SSH_ADDRESS_REGISTER_2)                                                                       \
  ROUND(SSH_PROGRAM_3, SSH_ADDRESS_REGISTER_3)                                                                       \
  ROUND(SSH_PROGRAM_4, SSH_ADDRESS_REGISTER_4)                                                                       \
  ROUND(SSH_PROGRAM_5, SSH_ADDRESS_REGISTER_5)                                                                       \
  ROUND(SSH_PROGRAM_6, SSH_ADDRESS_REGISTER_6)                                                                       \
  ROUND(SSH_PROGRAM_7, SSH_ADDRESS_REGISTER_7)

typedef void batch_fn(const uint8_t *cache, uint64_t first, uint64_t *out);

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

#define CACHE_LINES (UINT64_C(256) * 1024 * 1024 / 64)
#define SEED_MUL UINT64_C(6364136223846793005)
static const uint64_t SEED_XOR[8] = {0, UINT64_C(9298411001130361340), UINT64_C(12065312585734608966),
                                     UINT64_C(9306329213124626780), UINT64_C(5281919268842080866),
                                     UINT64_C(10536153434571861004), UINT64_C(3398623926847679864),
                                     UINT64_C(9549104520008361294)};

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq")

static inline __m512i mulh8(__m512i a, __m512i b) {
  const __m512i low = _mm512_set1_epi64(0xffffffff);
  __m512i ah = _mm512_srli_epi64(a, 32), bh = _mm512_srli_epi64(b, 32);
  __m512i ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, bh);
  __m512i hl = _mm512_mul_epu32(ah, b), hh = _mm512_mul_epu32(ah, bh);
  __m512i mid = _mm512_add_epi64(_mm512_add_epi64(lh, _mm512_srli_epi64(ll, 32)), _mm512_and_si512(hl, low));
  return _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(hl, 32)), _mm512_srli_epi64(mid, 32));
}

/* Signed high half: the unsigned one less b where a is negative and a where b is (two's complement). */
static inline __m512i smulh8(__m512i a, __m512i b) {
  __m512i fix = _mm512_add_epi64(_mm512_and_si512(_mm512_srai_epi64(a, 63), b), _mm512_and_si512(_mm512_srai_epi64(b, 63), a));
  return _mm512_sub_epi64(mulh8(a, b), fix);
}

#define SSH_SUB(d, s) r[d] = _mm512_sub_epi64(r[d], r[s]);
#define SSH_XOR(d, s) r[d] = _mm512_xor_si512(r[d], r[s]);
#define SSH_ADD_SHIFTED(d, s, k) r[d] = _mm512_add_epi64(r[d], _mm512_slli_epi64(r[s], k));
#define SSH_MUL(d, s) r[d] = _mm512_mullo_epi64(r[d], r[s]);
#define SSH_ROR(d, k) r[d] = _mm512_ror_epi64(r[d], k);
#define SSH_ADD_C(d, c) r[d] = _mm512_add_epi64(r[d], _mm512_set1_epi64((long long)(c)));
#define SSH_XOR_C(d, c) r[d] = _mm512_xor_si512(r[d], _mm512_set1_epi64((long long)(c)));
#define SSH_MULH(d, s) r[d] = mulh8(r[d], r[s]);
#define SSH_SMULH(d, s) r[d] = smulh8(r[d], r[s]);
#define SSH_MUL_C(d, c) r[d] = _mm512_mullo_epi64(r[d], _mm512_set1_epi64((long long)(c)));

/* The line's offset in the cache was taken before the program ran, so its load overlaps the program. */
#define ROUND8(PROGRAM, ADDRESS)                                                                                     \
  {                                                                                                                  \
    __m512i offset = _mm512_slli_epi64(_mm512_and_si512(address, lines), 6);                                         \
    _mm512_store_si512((void *)offsets, offset);                                                                     \
    for (int l = 0; l < 8; l++) _mm_prefetch((const char *)cache + offsets[l], _MM_HINT_NTA);                        \
    PROGRAM                                                                                                          \
    for (int j = 0; j < 8; j++) r[j] = _mm512_xor_si512(r[j], _mm512_i64gather_epi64(offset, cache + 8 * j, 1));     \
    address = r[ADDRESS];                                                                                            \
  }

static void batch8(const uint8_t *cache, uint64_t first, uint64_t *out) {
  const __m512i lines = _mm512_set1_epi64((long long)(CACHE_LINES - 1));
  __attribute__((aligned(64))) uint64_t offsets[8];
  __m512i r[8];
  __m512i items = _mm512_add_epi64(_mm512_set1_epi64((long long)first), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
  __m512i address = items;
  r[0] = _mm512_mullo_epi64(_mm512_add_epi64(items, _mm512_set1_epi64(1)), _mm512_set1_epi64((long long)SEED_MUL));
  for (int j = 1; j < 8; j++) r[j] = _mm512_xor_si512(r[0], _mm512_set1_epi64((long long)SEED_XOR[j]));
  ALL_PROGRAMS(ROUND8)
  /* Register j of lane l goes to out[8 * l + j]: item by item, as the dataset holds them. */
  const __m512i lane = _mm512_setr_epi64(0, 8, 16, 24, 32, 40, 48, 56);
  for (int j = 0; j < 8; j++) _mm512_i64scatter_epi64(out + j, lane, r[j], 8);
}

#undef SSH_SUB
#undef SSH_XOR
#undef SSH_ADD_SHIFTED
#undef SSH_MUL
#undef SSH_ROR
#undef SSH_ADD_C
#undef SSH_XOR_C
#undef SSH_MULH
#undef SSH_SMULH
#undef SSH_MUL_C
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2")

static inline __m256i mul4(__m256i a, __m256i b) {
  __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(a, _mm256_srli_epi64(b, 32)), _mm256_mul_epu32(_mm256_srli_epi64(a, 32), b));
  return _mm256_add_epi64(_mm256_mul_epu32(a, b), _mm256_slli_epi64(cross, 32));
}

static inline __m256i mulh4(__m256i a, __m256i b) {
  const __m256i low = _mm256_set1_epi64x(0xffffffff);
  __m256i ah = _mm256_srli_epi64(a, 32), bh = _mm256_srli_epi64(b, 32);
  __m256i ll = _mm256_mul_epu32(a, b), lh = _mm256_mul_epu32(a, bh);
  __m256i hl = _mm256_mul_epu32(ah, b), hh = _mm256_mul_epu32(ah, bh);
  __m256i mid = _mm256_add_epi64(_mm256_add_epi64(lh, _mm256_srli_epi64(ll, 32)), _mm256_and_si256(hl, low));
  return _mm256_add_epi64(_mm256_add_epi64(hh, _mm256_srli_epi64(hl, 32)), _mm256_srli_epi64(mid, 32));
}

static inline __m256i smulh4(__m256i a, __m256i b) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i fix = _mm256_add_epi64(_mm256_and_si256(_mm256_cmpgt_epi64(zero, a), b), _mm256_and_si256(_mm256_cmpgt_epi64(zero, b), a));
  return _mm256_sub_epi64(mulh4(a, b), fix);
}

#define SSH_SUB(d, s) r[d] = _mm256_sub_epi64(r[d], r[s]);
#define SSH_XOR(d, s) r[d] = _mm256_xor_si256(r[d], r[s]);
#define SSH_ADD_SHIFTED(d, s, k) r[d] = _mm256_add_epi64(r[d], _mm256_slli_epi64(r[s], k));
#define SSH_MUL(d, s) r[d] = mul4(r[d], r[s]);
#define SSH_ROR(d, k) r[d] = _mm256_or_si256(_mm256_srli_epi64(r[d], k), _mm256_slli_epi64(r[d], 64 - (k)));
#define SSH_ADD_C(d, c) r[d] = _mm256_add_epi64(r[d], _mm256_set1_epi64x((long long)(c)));
#define SSH_XOR_C(d, c) r[d] = _mm256_xor_si256(r[d], _mm256_set1_epi64x((long long)(c)));
#define SSH_MULH(d, s) r[d] = mulh4(r[d], r[s]);
#define SSH_SMULH(d, s) r[d] = smulh4(r[d], r[s]);
#define SSH_MUL_C(d, c) r[d] = mul4(r[d], _mm256_set1_epi64x((long long)(c)));

#define ROUND4(PROGRAM, ADDRESS)                                                                                     \
  {                                                                                                                  \
    __m256i offset = _mm256_slli_epi64(_mm256_and_si256(address, lines), 6);                                         \
    _mm256_store_si256((__m256i *)offsets, offset);                                                                  \
    for (int l = 0; l < 4; l++) _mm_prefetch((const char *)cache + offsets[l], _MM_HINT_NTA);                        \
    PROGRAM                                                                                                          \
    for (int j = 0; j < 8; j++)                                                                                      \
      r[j] = _mm256_xor_si256(r[j], _mm256_i64gather_epi64((const long long *)(cache + 8 * j), offset, 1));          \
    address = r[ADDRESS];                                                                                            \
  }

static void batch4(const uint8_t *cache, uint64_t first, uint64_t *out) {
  const __m256i lines = _mm256_set1_epi64x((long long)(CACHE_LINES - 1));
  __attribute__((aligned(32))) uint64_t offsets[4];
  __m256i r[8];
  __m256i items = _mm256_add_epi64(_mm256_set1_epi64x((long long)first), _mm256_setr_epi64x(0, 1, 2, 3));
  __m256i address = items;
  r[0] = mul4(_mm256_add_epi64(items, _mm256_set1_epi64x(1)), _mm256_set1_epi64x((long long)SEED_MUL));
  for (int j = 1; j < 8; j++) r[j] = _mm256_xor_si256(r[0], _mm256_set1_epi64x((long long)SEED_XOR[j]));
  ALL_PROGRAMS(ROUND4)
  __attribute__((aligned(32))) uint64_t lanes[8][4];
  for (int j = 0; j < 8; j++) _mm256_store_si256((__m256i *)lanes[j], r[j]);
  for (int l = 0; l < 4; l++)
    for (int j = 0; j < 8; j++) out[8 * l + j] = lanes[j][l];
}

#pragma GCC pop_options

int k2pow_vectors_lanes(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) return 8;
  if (__builtin_cpu_supports("avx2")) return 4;
  return 0;
}

static batch_fn *batch_for(int lanes) { return lanes == 8 ? batch8 : lanes == 4 ? batch4 : NULL; }

#else

int k2pow_vectors_lanes(void) { return 0; }

static batch_fn *batch_for(int lanes) {
  (void)lanes;
  return NULL;
}

#endif

int k2pow_vectors_build(const uint8_t *cache_memory, uint8_t *dataset_memory, uint64_t start, uint64_t count, int lanes) {
  batch_fn *batch = lanes <= k2pow_vectors_lanes() ? batch_for(lanes) : NULL;
  if (batch == NULL || cache_memory == NULL || dataset_memory == NULL) return -1;
  uint64_t item = start, end = start + count;
  for (; end - item >= (uint64_t)lanes; item += (uint64_t)lanes) batch(cache_memory, item, (uint64_t *)(dataset_memory + 64 * item));
  if (item < end) {
    /* The last few items of the range are built as a whole batch beside it, so nothing past the range is touched. */
    uint64_t spare[8 * 8];
    batch(cache_memory, item, spare);
    memcpy(dataset_memory + 64 * item, spare, (size_t)(end - item) * 64);
  }
  return 0;
}
