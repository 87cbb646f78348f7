// libFuzzer target: the CSV reader (src/io) over UTF-8 and GB18030 input.
//
// Input: one flags byte, one limits byte, then the file's bytes. The flags pick the encoding
// path (UTF-8, GB18030, whole-input detection, or detection from a 64-byte sample) and the
// small block sizes of the "tiny" run; the limits byte picks max_field_size,
// max_record_size and max_fields (small, so the limit paths are reached).
//
// The input is read twice: with 64 KiB blocks and in one piece, and with tiny blocks and
// short reads (1..8 bytes) at every layer. csv_reader.h promises that neither the records
// nor the errors depend on the block size, so the two logs (every record's fields, error,
// line, offset and raw bytes, and the exception that ended the read, if any) must be equal.
// Per record: offsets strictly increase, lines never decrease, fields respect the limits.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "io/byte_stream.h"
#include "io/csv_reader.h"
#include "io/encoding.h"

using namespace chanrules;

namespace {

struct run_sizes {
  size_t chunk;   // most bytes the raw source returns per read
  size_t decode;  // block size of the UTF-8 / GB18030 adapter
  size_t reader;  // block size of the CSV reader
};

std::string read_log(std::string_view bytes, int mode, const io::csv_reader_options& limits,
                     const run_sizes& sizes) {
  std::string log;
  try {
    auto raw = std::make_unique<io::string_source>(std::string(bytes), sizes.chunk);
    io::utf8_input in;
    switch (mode) {
      case 0:
        in = io::open_utf8_input(std::move(raw), io::encoding::utf8, sizes.decode);
        break;
      case 1:
        in = io::open_utf8_input(std::move(raw), io::encoding::gb18030, sizes.decode);
        break;
      case 2:
        in = io::open_utf8_input(std::move(raw), io::detect_encoding(bytes, true), sizes.decode);
        break;
      default:
        in = io::open_utf8_input(std::move(raw), 64);
        break;
    }
    log += io::to_string(in.detected);
    log += '\n';
    io::csv_reader_options options = limits;
    options.block_size = sizes.reader;
    io::csv_reader reader(*in.source, options);
    uint64_t last_offset = 0, last_line = 0;
    bool first = true;
    while (reader.next()) {
      fuzz::fuzz_require(first || reader.offset() > last_offset, "record offsets not increasing");
      fuzz::fuzz_require(reader.line() >= last_line, "line numbers going back");
      fuzz::fuzz_require(reader.line() >= 1, "line number 0");
      first = false;
      last_offset = reader.offset();
      last_line = reader.line();
      log += "line " + std::to_string(reader.line()) + " offset " +
             std::to_string(reader.offset()) + " raw[" + std::string(reader.raw()) + "]";
      if (!reader.ok()) {
        fuzz::fuzz_require(!reader.error().empty(), "bad record without a message");
        log += " error[" + reader.error() + "]";
      } else {
        fuzz::fuzz_require(reader.size() <= options.max_fields, "more fields than max_fields");
        fuzz::fuzz_require(reader.raw().size() <= options.max_record_size,
                           "record longer than max_record_size");
      }
      for (std::string_view f : reader.fields()) {
        if (reader.ok())
          fuzz::fuzz_require(f.size() <= options.max_field_size, "field over max_field_size");
        log += " [" + std::string(f) + "]";
      }
      log += '\n';
      fuzz::fuzz_require(reader.record_count() > 0, "record_count not counting");
    }
  } catch (const io::decode_error& e) {
    log += "decode_error at " + std::to_string(e.byte_offset()) + ": " + e.what() + "\n";
  } catch (const io::io_error& e) {
    log += std::string("io_error: ") + e.what() + "\n";
  }
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  uint8_t flags = data[0], limit_bits = data[1];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  int mode = flags & 3;

  io::csv_reader_options limits;
  // Small limits (so that fuzzed inputs reach them), or the defaults.
  static const size_t kFieldSizes[] = {1, 3, 16, 1u << 20};
  static const size_t kRecordSizes[] = {2, 8, 64, 16u << 20};
  static const size_t kFieldCounts[] = {1, 4, 16, 1u << 16};
  limits.max_field_size = kFieldSizes[limit_bits & 3];
  limits.max_record_size = kRecordSizes[(limit_bits >> 2) & 3];
  limits.max_fields = kFieldCounts[(limit_bits >> 4) & 3];

  // 64 KiB blocks: more than any input (-max_len), so one read holds it all, without the
  // mmap/munmap per buffer that 1 MiB blocks cost under ASan.
  run_sizes big{SIZE_MAX, size_t{1} << 16, size_t{1} << 16};
  run_sizes tiny{1 + ((flags >> 2) & 7u), 1 + ((flags >> 5) & 7u), 1 + ((limit_bits >> 6) & 3u)};
  std::string a = read_log(bytes, mode, limits, big);
  std::string b = read_log(bytes, mode, limits, tiny);
  if (a != b) fuzz::fuzz_fail("the result depends on the block size:\n" + a + "---\n" + b);
  return 0;
}
