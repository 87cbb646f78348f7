// Column kernels of the executor: turn a column slice into a bit mask (bit j of word w is
// row 64w + j). Each has a portable version and, on x86-64 CPUs with AVX2, a vector one
// chosen once at start-up; both give identical results (tests compare them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace chanrules::detail {

// out bit = truth table bit (codes[i] + 1) & 0xFFFF, for i < n. The table covers every
// code the column can hold; bit 0 ("no value") is never set by the compiler.
void codes_to_mask(const uint16_t* codes, size_t n, const uint64_t* table, size_t table_words,
                   uint64_t* out);

// out bit = (lo <= v[i] <= hi) != negated, for i < n (validity is applied by the caller).
void int_range_to_mask(const int64_t* v, size_t n, int64_t lo, int64_t hi, bool negated,
                       uint64_t* out);

// dst[j] = value for every bit j set in `rows`. dst[0, owned) may be read and written whole
// (owned <= 64); no bit at or above `owned` may be set.
void masked_fill16(uint16_t* dst, uint64_t rows, uint16_t value, size_t owned = 64);

// The same for two arrays at once (a decision's outcome codes and rule indices), sharing
// the lane masks.
void masked_fill16_pair(uint16_t* dst_a, uint16_t value_a, uint16_t* dst_b, uint16_t value_b,
                        uint64_t rows, size_t owned = 64);

// The portable versions, exposed for tests.
void masked_fill16_portable(uint16_t* dst, uint64_t rows, uint16_t value, size_t owned = 64);
void masked_fill16_pair_portable(uint16_t* dst_a, uint16_t value_a, uint16_t* dst_b,
                                 uint16_t value_b, uint64_t rows, size_t owned = 64);
void codes_to_mask_portable(const uint16_t* codes, size_t n, const uint64_t* table,
                            size_t table_words, uint64_t* out);
void int_range_to_mask_portable(const int64_t* v, size_t n, int64_t lo, int64_t hi, bool negated,
                                uint64_t* out);
// True when the vector versions are in use.
bool kernels_use_avx2();

}  // namespace chanrules::detail
