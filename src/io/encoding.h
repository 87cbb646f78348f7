// Input encodings of the distributor export: UTF-8 (BOM allowed) or GB18030, and the
// byte_source adapters that turn either into checked UTF-8 for the CSV reader.
//
// The contract (spec/distributor-export.md): "Input that decodes as UTF-8 is UTF-8;
// otherwise it is GB18030." Deciding that exactly needs the whole input, which a pipe cannot
// give twice, so there are two ways in:
// - streams: open_utf8_input(source) decides from the first block (detect_encoding), then
//   wraps the rest in a validating source, so a file that turns out not to be UTF-8 after
//   its first block fails loudly (decode_error with the byte offset) instead of producing
//   mojibake;
// - regular files: detect_file_encoding(path) scans the whole file (at memory speed for
//   ASCII), then open_utf8_input(source, encoding) wraps a fresh source accordingly.
//
// GB18030 is decoded with glibc iconv. Invalid or truncated input is a decode_error carrying
// the byte offset in the undecoded input; the adapters first deliver everything decoded
// before the bad bytes, and throw when the reader asks for more.
//
// Not thread-safe; one adapter per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "io/byte_stream.h"

namespace chanrules::io {

enum class encoding : uint8_t {
  utf8,     // UTF-8, with or without a BOM
  gb18030,  // GB18030 (a superset of GBK and GB2312), as written by Chinese Windows
};
// "UTF-8" or "GB18030".
const char* to_string(encoding e) noexcept;

struct utf8_scan_result {
  // Length of the longest prefix made of whole, valid UTF-8 sequences.
  size_t valid_size = 0;
  // True when the bytes after valid_size are the beginning of a valid sequence that the end
  // of the input cuts off (so more input could complete it).
  bool truncated = false;
};

// Validates UTF-8 per Unicode table 3-7: rejects overlong forms, surrogates (U+D800..DFFF),
// code points above U+10FFFF, stray continuation bytes and truncated sequences. ASCII runs
// are checked 16 bytes at a time.
utf8_scan_result scan_utf8(std::string_view s) noexcept;
bool is_valid_utf8(std::string_view s) noexcept;

// UTF-8 if `sample` (with a leading UTF-8 BOM ignored) is valid UTF-8, else GB18030. Unless
// `whole_input`, a multi-byte sequence cut off by the end of the sample still counts as
// valid (the sample is a block boundary, not the end of the file).
encoding detect_encoding(std::string_view sample, bool whole_input = false) noexcept;

// Reads the whole file and applies the contract's rule to all of it. Throws io_error.
encoding detect_file_encoding(const std::string& path);

// Passes UTF-8 through unchanged, throwing decode_error ("invalid UTF-8 at byte offset N")
// when the stream is not valid UTF-8. A sequence split between two upstream reads is held
// back until it is complete.
class utf8_validating_source : public byte_source {
 public:
  // Non-owning: `upstream` must outlive this.
  explicit utf8_validating_source(byte_source& upstream, size_t block_size = size_t{1} << 20);
  explicit utf8_validating_source(std::unique_ptr<byte_source> upstream,
                                  size_t block_size = size_t{1} << 20);
  size_t read(char* buf, size_t n) override;
  const std::string& name() const override { return upstream_->name(); }

 private:
  std::unique_ptr<byte_source> owned_;
  byte_source* upstream_;
  size_t block_size_;
  std::unique_ptr<char[]> buf_;
  size_t begin_ = 0;  // [begin_, ready_): validated, not yet handed out
  size_t ready_ = 0;  // [ready_, end_): an incomplete sequence, or the bad bytes
  size_t end_ = 0;
  uint64_t offset_ = 0;  // stream offset of buf_[0]
  bool eof_ = false;
  std::exception_ptr pending_;  // thrown once the bytes before it are handed out
};

// Decodes GB18030 to UTF-8 with iconv. A GB18030 BOM (84 31 95 33) becomes a UTF-8 BOM,
// which the CSV reader drops. Multi-byte sequences split between upstream reads are
// carried over. Throws io_error if this iconv lacks GB18030.
class gb18030_decoder : public byte_source {
 public:
  // Non-owning: `upstream` must outlive this.
  explicit gb18030_decoder(byte_source& upstream, size_t block_size = size_t{1} << 20);
  explicit gb18030_decoder(std::unique_ptr<byte_source> upstream,
                           size_t block_size = size_t{1} << 20);
  ~gb18030_decoder() override;
  gb18030_decoder(const gb18030_decoder&) = delete;
  gb18030_decoder& operator=(const gb18030_decoder&) = delete;
  size_t read(char* buf, size_t n) override;
  const std::string& name() const override { return upstream_->name(); }

 private:
  void init();
  void decode_more();

  std::unique_ptr<byte_source> owned_;
  byte_source* upstream_;
  size_t block_size_;
  void* cd_ = nullptr;  // iconv_t, kept opaque so <iconv.h> stays out of this header
  std::unique_ptr<char[]> in_;
  size_t in_cap_ = 0;
  size_t in_begin_ = 0;  // [in_begin_, in_end_): undecoded input
  size_t in_end_ = 0;
  uint64_t in_offset_ = 0;  // stream offset of in_[0]
  std::unique_ptr<char[]> out_;
  size_t out_cap_ = 0;
  size_t out_begin_ = 0;  // [out_begin_, out_end_): decoded, not yet handed out
  size_t out_end_ = 0;
  bool eof_ = false;
  bool need_input_ = false;  // iconv stopped at an incomplete sequence
  std::exception_ptr pending_;
};

// UTF-8 bytes from an input of either encoding, and what it was detected as.
struct utf8_input {
  encoding detected = encoding::utf8;
  std::unique_ptr<byte_source> source;
};

// Reads up to `sample_size` bytes of `raw`, detects the encoding from them, and returns a
// source yielding the whole input (sample included) as validated UTF-8.
utf8_input open_utf8_input(std::unique_ptr<byte_source> raw, size_t sample_size = size_t{1} << 20);
// Same, when the encoding is already known (e.g. from detect_file_encoding).
utf8_input open_utf8_input(std::unique_ptr<byte_source> raw, encoding known,
                           size_t block_size = size_t{1} << 20);

}  // namespace chanrules::io
