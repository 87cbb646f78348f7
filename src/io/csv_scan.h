// Internal to src/io: the bulk byte search shared by the CSV reader (finding the end of an
// unquoted field) and the CSV writer (deciding whether a field needs quoting).
//
// Both ask the same question, "where is the next comma, quote, CR or LF?", for nearly every
// field, so it is answered 16 bytes at a time (SSE2, always present on x86-64) or 8 bytes at
// a time (portable SWAR) instead of with a per-character state machine.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chanrules::io::detail {

// True for the four bytes that end or alter an RFC 4180 field.
inline bool is_csv_special(char c) { return c == ',' || c == '"' || c == '\n' || c == '\r'; }

// Returns the first p in [first, last) with is_csv_special(*p), or `last`.
inline const char* find_csv_special(const char* first, const char* last) {
  const char* p = first;
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  while (last - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#else
  // SWAR: a byte of (w ^ c*0x01..) is zero where w holds c; the classic has-zero-byte test
  // flags it (exactly for the lowest such byte, which is the one we return).
  constexpr uint64_t ones = 0x0101010101010101ull;
  constexpr uint64_t highs = 0x8080808080808080ull;
  auto zero_bytes = [](uint64_t x) { return (x - ones) & ~x & highs; };
  while (last - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t hit = zero_bytes(w ^ (ones * ',')) | zero_bytes(w ^ (ones * '"')) |
                   zero_bytes(w ^ (ones * '\n')) | zero_bytes(w ^ (ones * '\r'));
    if (hit != 0) {
      if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
        return p + (__builtin_ctzll(hit) >> 3);
      } else {
        break;  // find the byte with the scalar loop below
      }
    }
    p += 8;
  }
#endif
  while (p < last && !is_csv_special(*p)) ++p;
  return p;
}

}  // namespace chanrules::io::detail
