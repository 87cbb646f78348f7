// UTF-8 validation, encoding detection and the GB18030 (iconv) / UTF-8-checking byte_source
// adapters (see encoding.h).
#include "io/encoding.h"

#include <iconv.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace chanrules::io {

namespace {

constexpr uint64_t high_bits = 0x8080808080808080ull;

// Replays `prefix`, then continues with `rest`: lets open_utf8_input look at the first
// block of a stream that cannot be rewound.
class prefixed_source : public byte_source {
 public:
  prefixed_source(std::string prefix, std::unique_ptr<byte_source> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  size_t read(char* buf, size_t n) override {
    if (pos_ < prefix_.size()) {
      size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      if (pos_ == prefix_.size()) {  // release the sample's memory
        std::string().swap(prefix_);
        pos_ = 0;
      }
      return k;
    }
    return rest_->read(buf, n);
  }
  const std::string& name() const override { return rest_->name(); }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<byte_source> rest_;
};

}  // namespace

const char* to_string(encoding e) noexcept {
  switch (e) {
    case encoding::utf8:
      return "UTF-8";
    case encoding::gb18030:
      return "GB18030";
  }
  return "?";
}

namespace {

bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// For a sequence with lead byte `c` cut off after the `avail` bytes at s: do those bytes
// start a valid sequence (so more input could complete it)? Same ranges as below.
bool valid_prefix(const unsigned char* s, size_t avail) {
  unsigned char c = s[0];
  if (avail >= 2) {
    unsigned char b = s[1];
    if (!is_continuation(b)) return false;
    if ((c == 0xE0 && b < 0xA0) || (c == 0xED && b > 0x9F) || (c == 0xF0 && b < 0x90) ||
        (c == 0xF4 && b > 0x8F)) {
      return false;
    }
  }
  return avail < 3 || is_continuation(s[2]);
}

// Where the scalar scan may resume after the vector scan validated [0, b): the start of
// the sequence that b may cut (a non-continuation byte within the last 3), or b itself.
size_t resume_point(const unsigned char* s, size_t b) {
  for (size_t j = b >= 3 ? b - 3 : 0; j < b; ++j) {
    if (!is_continuation(s[j])) return j;
  }
  return b;
}

#if defined(__GNUC__) && defined(__x86_64__)
#define CHANRULES_IO_UTF8_SSSE3 1

// The lookup-table validator of Keiser and Lemire ("Validating UTF-8 in less than one
// instruction per byte", 2021; simdjson's utf8_lookup4), 16 bytes per step with SSSE3.
// Three table lookups on the nibbles of each byte and of the byte before it classify every
// adjacent pair; a pair's error bits survive the AND only if all three agree. Returns a
// prefix length whose bytes are known to be whole valid sequences: the scalar scan takes
// over from there for the exact error offset and the final partial block.
__attribute__((target("ssse3"))) size_t ssse3_valid_prefix(const unsigned char* s, size_t n) {
  constexpr char too_short = 1 << 0;   // lead byte not followed by enough continuations
  constexpr char too_long = 1 << 1;    // ASCII followed by a continuation
  constexpr char overlong_3 = 1 << 2;  // E0 80..9F
  constexpr char too_large = 1 << 3;   // above U+10FFFF
  constexpr char surrogate = 1 << 4;   // ED A0..BF
  constexpr char overlong_2 = 1 << 5;  // C0, C1
  constexpr char too_large_1000 = 1 << 6;
  constexpr char overlong_4 = 1 << 6;  // F0 80..8F
  constexpr char two_conts = static_cast<char>(1 << 7);
  constexpr char carry = too_short | too_long | two_conts;
  const __m128i byte_1_high_table = _mm_setr_epi8(
      too_long, too_long, too_long, too_long, too_long, too_long, too_long, too_long, two_conts,
      two_conts, two_conts, two_conts, too_short | overlong_2, too_short,
      too_short | overlong_3 | surrogate, too_short | too_large | too_large_1000 | overlong_4);
  const __m128i byte_1_low_table = _mm_setr_epi8(
      carry | overlong_3 | overlong_2 | overlong_4, carry | overlong_2, carry, carry,
      carry | too_large, carry | too_large | too_large_1000, carry | too_large | too_large_1000,
      carry | too_large | too_large_1000, carry | too_large | too_large_1000,
      carry | too_large | too_large_1000, carry | too_large | too_large_1000,
      carry | too_large | too_large_1000, carry | too_large | too_large_1000,
      carry | too_large | too_large_1000 | surrogate, carry | too_large | too_large_1000,
      carry | too_large | too_large_1000);
  const __m128i byte_2_high_table = _mm_setr_epi8(
      too_short, too_short, too_short, too_short, too_short, too_short, too_short, too_short,
      too_long | overlong_2 | two_conts | overlong_3 | too_large_1000 | overlong_4,
      too_long | overlong_2 | two_conts | overlong_3 | too_large,
      too_long | overlong_2 | two_conts | surrogate | too_large,
      too_long | overlong_2 | two_conts | surrogate | too_large, too_short, too_short, too_short,
      too_short);
  // A lead byte in the last 1, 2 or 3 positions whose sequence needs more bytes.
  const __m128i incomplete_limit =
      _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, static_cast<char>(0xF0 - 1),
                    static_cast<char>(0xE0 - 1), static_cast<char>(0xC0 - 1));
  const __m128i nibble = _mm_set1_epi8(0x0F);
  const __m128i zero = _mm_setzero_si128();
  auto all_zero = [&](__m128i v) { return _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) == 0xFFFF; };

  __m128i prev_input = zero;
  __m128i prev_incomplete = zero;
  size_t i = 0;
  for (; n - i >= 16; i += 16) {
    __m128i input = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    if (_mm_movemask_epi8(input) == 0) {  // all ASCII: only a cut-off sequence before it
      if (!all_zero(prev_incomplete)) break;
      prev_input = input;
      continue;
    }
    __m128i prev1 = _mm_alignr_epi8(input, prev_input, 15);
    __m128i byte_1_high =
        _mm_shuffle_epi8(byte_1_high_table, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble));
    __m128i byte_1_low = _mm_shuffle_epi8(byte_1_low_table, _mm_and_si128(prev1, nibble));
    __m128i byte_2_high =
        _mm_shuffle_epi8(byte_2_high_table, _mm_and_si128(_mm_srli_epi16(input, 4), nibble));
    __m128i special = _mm_and_si128(_mm_and_si128(byte_1_high, byte_1_low), byte_2_high);
    // Third and fourth bytes of 3- and 4-byte sequences must be continuations.
    __m128i prev2 = _mm_alignr_epi8(input, prev_input, 14);
    __m128i prev3 = _mm_alignr_epi8(input, prev_input, 13);
    __m128i is_third = _mm_subs_epu8(prev2, _mm_set1_epi8(static_cast<char>(0xE0 - 0x80)));
    __m128i is_fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(static_cast<char>(0xF0 - 0x80)));
    __m128i must_be_cont =
        _mm_and_si128(_mm_or_si128(is_third, is_fourth), _mm_set1_epi8(static_cast<char>(0x80)));
    if (!all_zero(_mm_xor_si128(must_be_cont, special))) break;
    prev_incomplete = _mm_subs_epu8(input, incomplete_limit);
    prev_input = input;
  }
  return resume_point(s, i);
}

bool have_ssse3() {
  static const bool yes = __builtin_cpu_supports("ssse3");
  return yes;
}
#endif

}  // namespace

utf8_scan_result scan_utf8(std::string_view sv) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const size_t n = sv.size();
  size_t i = 0;
#if defined(CHANRULES_IO_UTF8_SSSE3)
  if (n >= 64 && have_ssse3()) i = ssse3_valid_prefix(s, n);
#endif
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      // Most of a CSV is ASCII: skip the rest of the run 16 bytes per step.
      ++i;
      while (n - i >= 16) {
        uint64_t a;
        uint64_t b;
        std::memcpy(&a, s + i, 8);
        std::memcpy(&b, s + i + 8, 8);
        if (((a | b) & high_bits) != 0) break;
        i += 16;
      }
      continue;
    }
    // Unicode table 3-7: the lead byte fixes the length and the second byte's range; the
    // narrowed ranges exclude overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return {i, false};  // continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (n - i < len) {
      return {i, valid_prefix(s + i, n - i)};
    }
    unsigned char b1 = s[i + 1];
    if (!is_continuation(b1)) return {i, false};
    if (len == 2) {
      i += 2;
      continue;
    }
    if (!is_continuation(s[i + 2])) return {i, false};
    if (len == 3) {
      if ((c == 0xE0 && b1 < 0xA0) || (c == 0xED && b1 > 0x9F)) return {i, false};
      i += 3;
      continue;
    }
    if (!is_continuation(s[i + 3])) return {i, false};
    if ((c == 0xF0 && b1 < 0x90) || (c == 0xF4 && b1 > 0x8F)) return {i, false};
    i += 4;
  }
  return {n, false};
}

bool is_valid_utf8(std::string_view s) noexcept { return scan_utf8(s).valid_size == s.size(); }

encoding detect_encoding(std::string_view sample, bool whole_input) noexcept {
  if (sample.substr(0, 3) == "\xEF\xBB\xBF") sample.remove_prefix(3);
  utf8_scan_result r = scan_utf8(sample);
  if (r.valid_size == sample.size()) return encoding::utf8;
  if (r.truncated && !whole_input) return encoding::utf8;
  return encoding::gb18030;
}

encoding detect_file_encoding(const std::string& path) {
  constexpr size_t block = size_t{1} << 20;
  utf8_validating_source checked(std::make_unique<file_source>(path), block);
  auto buf = std::make_unique_for_overwrite<char[]>(block);
  try {
    while (checked.read(buf.get(), block) != 0) {
    }
  } catch (const decode_error&) {
    return encoding::gb18030;
  }
  return encoding::utf8;
}

// ---- utf8_validating_source ----

utf8_validating_source::utf8_validating_source(byte_source& upstream, size_t block_size)
    : upstream_(&upstream), block_size_(std::max<size_t>(block_size, 1)) {
  buf_ = std::make_unique_for_overwrite<char[]>(block_size_ + 4);
}

utf8_validating_source::utf8_validating_source(std::unique_ptr<byte_source> upstream,
                                               size_t block_size)
    : utf8_validating_source(*upstream, block_size) {
  owned_ = std::move(upstream);
}

size_t utf8_validating_source::read(char* buf, size_t n) {
  while (begin_ == ready_) {
    if (pending_) std::rethrow_exception(pending_);
    if (eof_) {
      if (ready_ < end_) {
        pending_ = std::make_exception_ptr(
            decode_error(name(), offset_ + ready_, "truncated UTF-8 sequence"));
        continue;
      }
      return 0;
    }
    // Keep the held-back incomplete sequence (at most 3 bytes) and append a block.
    size_t keep = end_ - ready_;
    std::memmove(buf_.get(), buf_.get() + ready_, keep);
    offset_ += ready_;
    begin_ = ready_ = 0;
    end_ = keep;
    size_t got = upstream_->read(buf_.get() + end_, block_size_);
    if (got == 0) {
      eof_ = true;
      continue;
    }
    end_ += got;
    utf8_scan_result r = scan_utf8(std::string_view(buf_.get(), end_));
    ready_ = r.valid_size;
    if (r.valid_size < end_ && !r.truncated) {
      pending_ =
          std::make_exception_ptr(decode_error(name(), offset_ + r.valid_size, "invalid UTF-8"));
    }
  }
  size_t k = std::min(n, ready_ - begin_);
  std::memcpy(buf, buf_.get() + begin_, k);
  begin_ += k;
  return k;
}

// ---- gb18030_decoder ----

gb18030_decoder::gb18030_decoder(byte_source& upstream, size_t block_size)
    : upstream_(&upstream), block_size_(std::max<size_t>(block_size, 1)) {
  init();
}

gb18030_decoder::gb18030_decoder(std::unique_ptr<byte_source> upstream, size_t block_size)
    : owned_(std::move(upstream)), block_size_(std::max<size_t>(block_size, 1)) {
  upstream_ = owned_.get();
  init();
}

void gb18030_decoder::init() {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    throw io_error("iconv_open", "GB18030 to UTF-8", errno);
  }
  cd_ = cd;
  // A GB18030 character is at most 4 bytes, so 4 spare bytes hold any carried-over part.
  in_cap_ = block_size_ + 4;
  in_ = std::make_unique_for_overwrite<char[]>(in_cap_);
  // One input block expands at most 3/2 (2 bytes -> 3); 16 covers any single character.
  out_cap_ = block_size_ + block_size_ / 2 + 16;
  out_ = std::make_unique_for_overwrite<char[]>(out_cap_);
}

gb18030_decoder::~gb18030_decoder() {
  if (cd_ != nullptr) iconv_close(static_cast<iconv_t>(cd_));
}

void gb18030_decoder::decode_more() {
  out_begin_ = out_end_ = 0;
  if ((in_begin_ == in_end_ || need_input_) && !eof_) {
    size_t keep = in_end_ - in_begin_;
    std::memmove(in_.get(), in_.get() + in_begin_, keep);
    in_offset_ += in_begin_;
    in_begin_ = 0;
    in_end_ = keep;
    size_t got = upstream_->read(in_.get() + in_end_, std::min(block_size_, in_cap_ - in_end_));
    if (got == 0) {
      eof_ = true;
    } else {
      in_end_ += got;
    }
    need_input_ = false;
  }
  if (in_begin_ == in_end_) return;
  char* in = in_.get() + in_begin_;
  char* const in_end = in_.get() + in_end_;
  char* out = out_.get();
  char* const out_end = out_.get() + out_cap_;
  // ASCII bytes are the same characters in both encodings and most of a CSV is ASCII, so
  // copy those runs directly and give iconv only the runs of multi-byte characters.
  while (in < in_end) {
    size_t room = std::min(static_cast<size_t>(in_end - in), static_cast<size_t>(out_end - out));
    size_t ascii = 0;
    for (uint64_t w; ascii + 8 <= room; ascii += 8) {
      std::memcpy(&w, in + ascii, 8);
      if ((w & high_bits) != 0) break;
    }
    while (ascii < room && static_cast<unsigned char>(in[ascii]) < 0x80) ++ascii;
    std::memcpy(out, in, ascii);
    in += ascii;
    out += ascii;
    if (in == in_end || out == out_end) break;
    // A GB18030 character that is not ASCII is 2 bytes, or 4 when its second byte is a
    // digit; a trail byte may be in the ASCII range (81 40), hence the stepping.
    char* run_end = in;
    while (run_end < in_end && static_cast<unsigned char>(*run_end) >= 0x80) {
      run_end += (in_end - run_end > 1 && run_end[1] >= '0' && run_end[1] <= '9') ? 4 : 2;
    }
    if (run_end > in_end) run_end = in_end;
    size_t in_left = static_cast<size_t>(run_end - in);
    size_t out_left = static_cast<size_t>(out_end - out);
    if (iconv(static_cast<iconv_t>(cd_), &in, &in_left, &out, &out_left) !=
        static_cast<size_t>(-1)) {
      continue;
    }
    int e = errno;
    uint64_t at = in_offset_ + static_cast<uint64_t>(in - in_.get());
    if (e == E2BIG) break;                   // output full; carry on at the next call
    if (e == EINVAL && run_end == in_end) {  // input ends inside a multi-byte sequence
      need_input_ = true;
      if (eof_) {
        pending_ = std::make_exception_ptr(
            decode_error(name(), at, "truncated GB18030 multi-byte sequence at end of input"));
      }
    } else if (e == EILSEQ || e == EINVAL) {  // EINVAL here: a sequence cut by ASCII
      pending_ = std::make_exception_ptr(decode_error(name(), at, "invalid GB18030 byte sequence"));
    } else {
      pending_ = std::make_exception_ptr(io_error("decode", name(), e));
    }
    break;
  }
  in_begin_ = static_cast<size_t>(in - in_.get());
  out_end_ = static_cast<size_t>(out - out_.get());
}

size_t gb18030_decoder::read(char* buf, size_t n) {
  while (out_begin_ == out_end_) {
    if (pending_) std::rethrow_exception(pending_);
    if (eof_ && in_begin_ == in_end_) return 0;
    decode_more();
  }
  size_t k = std::min(n, out_end_ - out_begin_);
  std::memcpy(buf, out_.get() + out_begin_, k);
  out_begin_ += k;
  return k;
}

// ---- open_utf8_input ----

utf8_input open_utf8_input(std::unique_ptr<byte_source> raw, encoding known, size_t block_size) {
  utf8_input result;
  result.detected = known;
  if (known == encoding::gb18030) {
    result.source = std::make_unique<gb18030_decoder>(std::move(raw), block_size);
  } else {
    result.source = std::make_unique<utf8_validating_source>(std::move(raw), block_size);
  }
  return result;
}

utf8_input open_utf8_input(std::unique_ptr<byte_source> raw, size_t sample_size) {
  sample_size = std::max<size_t>(sample_size, 4);
  std::string sample(sample_size, '\0');
  size_t have = 0;
  bool at_eof = false;
  while (have < sample_size) {
    size_t got = raw->read(sample.data() + have, sample_size - have);
    if (got == 0) {
      at_eof = true;
      break;
    }
    have += got;
  }
  sample.resize(have);
  encoding e = detect_encoding(sample, at_eof);
  auto whole = std::make_unique<prefixed_source>(std::move(sample), std::move(raw));
  return open_utf8_input(std::move(whole), e);
}

}  // namespace chanrules::io
