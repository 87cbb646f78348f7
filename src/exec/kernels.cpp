// Column kernels (see kernels.h).
#include "exec/kernels.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CHANRULES_HAVE_AVX2_KERNELS 1
#endif

namespace chanrules::detail {

void codes_to_mask_portable(const uint16_t* codes, size_t n, const uint64_t* table,
                            size_t table_words, uint64_t* out) {
  for (size_t base = 0; base < n; base += 64) {
    size_t count = std::min<size_t>(64, n - base);
    uint64_t t = 0;
    if (table_words == 1) {
      const uint64_t b0 = table[0];
      for (size_t j = 0; j < count; ++j) {
        uint32_t idx = static_cast<uint16_t>(codes[base + j] + 1);
        t |= ((b0 >> (idx & 63)) & 1) << j;
      }
    } else {
      for (size_t j = 0; j < count; ++j) {
        uint32_t idx = static_cast<uint16_t>(codes[base + j] + 1);
        t |= ((table[idx >> 6] >> (idx & 63)) & 1) << j;
      }
    }
    out[base / 64] = t;
  }
}

void int_range_to_mask_portable(const int64_t* v, size_t n, int64_t lo, int64_t hi, bool negated,
                                uint64_t* out) {
  const uint64_t flip = negated ? 1 : 0;
  for (size_t base = 0; base < n; base += 64) {
    size_t count = std::min<size_t>(64, n - base);
    uint64_t t = 0;
    for (size_t j = 0; j < count; ++j) {
      int64_t x = v[base + j];
      t |= ((static_cast<uint64_t>(x >= lo) & static_cast<uint64_t>(x <= hi)) ^ flip) << j;
    }
    out[base / 64] = t;
  }
}

void masked_fill16_portable(uint16_t* dst, uint64_t rows, uint16_t value, size_t) {
  for (; rows; rows &= rows - 1) dst[__builtin_ctzll(rows)] = value;
}

void masked_fill16_pair_portable(uint16_t* dst_a, uint16_t value_a, uint16_t* dst_b,
                                 uint16_t value_b, uint64_t rows, size_t) {
  for (; rows; rows &= rows - 1) {
    const int j = __builtin_ctzll(rows);
    dst_a[j] = value_a;
    dst_b[j] = value_b;
  }
}

#ifdef CHANRULES_HAVE_AVX2_KERNELS

namespace {

// 16 rows per step: the row bits become a lane mask (lane k tests bit k), and a blend
// writes the value where it is set. A group of 16 that is not wholly owned (the end of a
// batch) is written row by row, so nothing past dst[owned) is touched.
__attribute__((target("avx2"))) void masked_fill16_avx2(uint16_t* dst, uint64_t rows,
                                                        uint16_t value, size_t owned) {
  const __m256i lane_bits = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048,
                                              4096, 8192, 16384, -32768);
  const __m256i v = _mm256_set1_epi16(static_cast<short>(value));
  for (size_t q = 0; q < 4 && rows; ++q, rows >>= 16, dst += 16) {
    const uint16_t bits = static_cast<uint16_t>(rows & 0xFFFF);
    if (bits == 0) continue;
    if ((bits & (bits - 1)) == 0 || (q + 1) * 16 > owned) {
      for (uint32_t b = bits; b; b &= b - 1) dst[__builtin_ctz(b)] = value;
      continue;
    }
    __m256i sel = _mm256_and_si256(_mm256_set1_epi16(static_cast<short>(bits)), lane_bits);
    __m256i mask = _mm256_cmpeq_epi16(sel, lane_bits);
    __m256i old = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_blendv_epi8(old, v, mask));
  }
}

__attribute__((target("avx2"))) void masked_fill16_pair_avx2(uint16_t* dst_a, uint16_t value_a,
                                                             uint16_t* dst_b, uint16_t value_b,
                                                             uint64_t rows, size_t owned) {
  const __m256i lane_bits = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048,
                                              4096, 8192, 16384, -32768);
  const __m256i va = _mm256_set1_epi16(static_cast<short>(value_a));
  const __m256i vb = _mm256_set1_epi16(static_cast<short>(value_b));
  for (size_t q = 0; q < 4 && rows; ++q, rows >>= 16, dst_a += 16, dst_b += 16) {
    const uint16_t bits = static_cast<uint16_t>(rows & 0xFFFF);
    if (bits == 0) continue;
    if ((bits & (bits - 1)) == 0 || (q + 1) * 16 > owned) {
      for (uint32_t b = bits; b; b &= b - 1) {
        const int j = __builtin_ctz(b);
        dst_a[j] = value_a;
        dst_b[j] = value_b;
      }
      continue;
    }
    __m256i sel = _mm256_and_si256(_mm256_set1_epi16(static_cast<short>(bits)), lane_bits);
    __m256i mask = _mm256_cmpeq_epi16(sel, lane_bits);
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst_a));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst_b));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst_a), _mm256_blendv_epi8(a, va, mask));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst_b), _mm256_blendv_epi8(b, vb, mask));
  }
}

// Codes below 64 (table_words == 1), 32 rows per step: codes + 1 are packed to bytes and
// looked up in four 16-entry byte tables with vpshufb, the right table picked by the high
// bits; movemask turns the 32 bytes into 32 mask bits.
__attribute__((target("avx2"))) void codes_to_mask_avx2(const uint16_t* codes, size_t n,
                                                        uint64_t table, uint64_t* out) {
  alignas(32) uint8_t bytes[4][32];
  for (int q = 0; q < 4; ++q)
    for (int k = 0; k < 16; ++k) {
      uint8_t v = ((table >> (q * 16 + k)) & 1) ? 0xFF : 0x00;
      bytes[q][k] = v;
      bytes[q][k + 16] = v;
    }
  const __m256i t0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bytes[0]));
  const __m256i t1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bytes[1]));
  const __m256i t2 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bytes[2]));
  const __m256i t3 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bytes[3]));
  const __m256i one = _mm256_set1_epi16(1);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i h1 = _mm256_set1_epi8(1), h2 = _mm256_set1_epi8(2), h3 = _mm256_set1_epi8(3);
  size_t full = n / 32 * 32;
  uint32_t halves[2] = {0, 0};
  for (size_t base = 0; base < full; base += 32) {
    __m256i a =
        _mm256_add_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + base)), one);
    __m256i b = _mm256_add_epi16(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + base + 16)), one);
    // Codes + 1 are at most 64 here, so saturation never changes a value; no_code + 1 == 0.
    __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8);
    __m256i lo = _mm256_and_si256(packed, low4);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
    __m256i r = _mm256_andnot_si256(_mm256_cmpgt_epi8(hi, _mm256_setzero_si256()),
                                    _mm256_shuffle_epi8(t0, lo));
    r = _mm256_or_si256(r,
                        _mm256_and_si256(_mm256_cmpeq_epi8(hi, h1), _mm256_shuffle_epi8(t1, lo)));
    r = _mm256_or_si256(r,
                        _mm256_and_si256(_mm256_cmpeq_epi8(hi, h2), _mm256_shuffle_epi8(t2, lo)));
    r = _mm256_or_si256(r,
                        _mm256_and_si256(_mm256_cmpeq_epi8(hi, h3), _mm256_shuffle_epi8(t3, lo)));
    uint32_t bits = static_cast<uint32_t>(_mm256_movemask_epi8(r));
    halves[(base / 32) & 1] = bits;
    if ((base / 32) & 1) out[base / 64] = uint64_t{halves[0]} | (uint64_t{halves[1]} << 32);
  }
  if (full < n) {
    // The rest (fewer than 32 rows), with the portable loop, merged into its word.
    uint64_t tail[1];
    codes_to_mask_portable(codes + full, n - full, &table, 1, tail);
    if ((full / 32) & 1) {
      out[full / 64] = uint64_t{halves[0]} | (tail[0] << 32);
    } else {
      out[full / 64] = tail[0];
    }
  } else if ((full / 32) & 1) {
    // An odd number of 32-row steps and no tail: the last word has only its low half.
    out[full / 64] = uint64_t{halves[0]};
  }
}

// Four rows per step: two signed 64-bit comparisons, movemask of the doubles' sign bits.
__attribute__((target("avx2"))) void int_range_to_mask_avx2(const int64_t* v, size_t n, int64_t lo,
                                                            int64_t hi, bool negated,
                                                            uint64_t* out) {
  const __m256i vlo = _mm256_set1_epi64x(lo), vhi = _mm256_set1_epi64x(hi);
  const uint64_t flip = negated ? ~uint64_t{0} : 0;
  for (size_t base = 0; base < n; base += 64) {
    size_t count = std::min<size_t>(64, n - base);
    uint64_t t = 0;
    size_t j = 0;
    for (; j + 4 <= count; j += 4) {
      __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + base + j));
      // outside = x < lo or x > hi
      __m256i outside = _mm256_or_si256(_mm256_cmpgt_epi64(vlo, x), _mm256_cmpgt_epi64(x, vhi));
      uint64_t bits = static_cast<uint64_t>(_mm256_movemask_pd(_mm256_castsi256_pd(outside)));
      t |= (~bits & 0xF) << j;
    }
    for (; j < count; ++j) {
      int64_t x = v[base + j];
      t |= (static_cast<uint64_t>(x >= lo) & static_cast<uint64_t>(x <= hi)) << j;
    }
    uint64_t rows = count == 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1;
    out[base / 64] = (t ^ flip) & rows;
  }
}

bool detect_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

const bool g_avx2 = detect_avx2();

}  // namespace

bool kernels_use_avx2() { return g_avx2; }

void codes_to_mask(const uint16_t* codes, size_t n, const uint64_t* table, size_t table_words,
                   uint64_t* out) {
  if (g_avx2 && table_words == 1) return codes_to_mask_avx2(codes, n, table[0], out);
  codes_to_mask_portable(codes, n, table, table_words, out);
}

void int_range_to_mask(const int64_t* v, size_t n, int64_t lo, int64_t hi, bool negated,
                       uint64_t* out) {
  if (g_avx2) return int_range_to_mask_avx2(v, n, lo, hi, negated, out);
  int_range_to_mask_portable(v, n, lo, hi, negated, out);
}

void masked_fill16(uint16_t* dst, uint64_t rows, uint16_t value, size_t owned) {
  if (g_avx2) return masked_fill16_avx2(dst, rows, value, owned);
  masked_fill16_portable(dst, rows, value, owned);
}

void masked_fill16_pair(uint16_t* dst_a, uint16_t value_a, uint16_t* dst_b, uint16_t value_b,
                        uint64_t rows, size_t owned) {
  if (g_avx2) return masked_fill16_pair_avx2(dst_a, value_a, dst_b, value_b, rows, owned);
  masked_fill16_pair_portable(dst_a, value_a, dst_b, value_b, rows, owned);
}

#else

void masked_fill16(uint16_t* dst, uint64_t rows, uint16_t value, size_t owned) {
  masked_fill16_portable(dst, rows, value, owned);
}

void masked_fill16_pair(uint16_t* dst_a, uint16_t value_a, uint16_t* dst_b, uint16_t value_b,
                        uint64_t rows, size_t owned) {
  masked_fill16_pair_portable(dst_a, value_a, dst_b, value_b, rows, owned);
}

bool kernels_use_avx2() { return false; }

void codes_to_mask(const uint16_t* codes, size_t n, const uint64_t* table, size_t table_words,
                   uint64_t* out) {
  codes_to_mask_portable(codes, n, table, table_words, out);
}

void int_range_to_mask(const int64_t* v, size_t n, int64_t lo, int64_t hi, bool negated,
                       uint64_t* out) {
  int_range_to_mask_portable(v, n, lo, hi, negated, out);
}

#endif

}  // namespace chanrules::detail
