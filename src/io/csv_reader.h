// Streaming RFC 4180 CSV reader for the distributor export (docs: the CSV contract in
// spec/distributor-export.md). Used by the loader of input tables and of manufacturer lists.
//
// It reads large blocks from a byte_source and scans them in bulk (16 bytes at a time for
// the next comma / quote / CR / LF, memchr for the closing quote), handing out each record as
// string_views into its block; only a quoted field containing doubled quotes is copied (into
// a reused scratch buffer) to unescape it. No per-cell allocation.
//
//   io::file_source in(path);
//   io::csv_reader reader(in);
//   while (reader.next()) {
//     if (!reader.ok()) { reject(reader.line(), reader.error(), reader.raw()); continue; }
//     use(reader.fields());   // string_views valid until the next call to next()
//   }
//
// What it accepts:
// - A UTF-8 byte order mark at the very start is dropped (offsets still count it).
// - Records end with LF or CRLF, or at end of input. A CR not followed by LF is data.
//   A CR as the very last byte of the input ends the record (a CRLF cut by truncation).
// - A completely empty line (nothing between its line ends) is not a record: it is skipped
//   but counted in line numbers. A line of blanks is a record with one field.
// - Quoted fields may hold commas, CR, LF and doubled quotes ("" means ").
//
// Bad data is a value, not an exception: a record with a syntax error (unterminated quote at
// end of input, quote inside an unquoted field, a character after a closing quote) or over
// a size limit is still returned, with ok() false, error() set, and line() / raw() saying
// where it is; the next call carries on with the next record. The parse is lenient after
// an error (a stray quote is taken as data, text after a closing quote joins the field), so
// the reader resynchronises at the next line end that is outside a properly quoted field.
// Only failures of the byte_source (io_error, decode_error) propagate as exceptions. A
// record with several problems reports one: a size limit before a syntax error, otherwise
// the first in the record, so that the message never depends on the block size.
//
// Memory is bounded by the limits: the buffer holds about one record plus one block, and
// a record over max_record_size (or with a field over max_field_size, or too many fields)
// is skipped without being buffered, its fields and raw() empty.
//
// Not thread-safe; one reader per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/byte_stream.h"

namespace chanrules::io {

struct csv_reader_options {
  // Bytes requested from the source per read. Tests use tiny sizes (1..7) to put every
  // boundary inside every construct; production wants large blocks.
  size_t block_size = size_t{1} << 20;
  // Largest field, in input bytes as written (for a quoted field: between the quotes, a
  // doubled quote counting 2). A longer field makes its record an error naming
  // "max_field_size".
  size_t max_field_size = size_t{1} << 20;
  // Largest record, in input bytes without its line end ("max_record_size").
  size_t max_record_size = size_t{16} << 20;
  // Most fields in one record ("max_fields"): guards the per-field bookkeeping, which would
  // otherwise grow 16 bytes per comma of a hostile record.
  size_t max_fields = size_t{1} << 16;
  // Drop a UTF-8 byte order mark at the very start. Off when the text is a piece cut from
  // the middle of a stream (classify_csv's chunks), where those bytes are data.
  bool skip_bom = true;
  // Line number of the text's first line (a piece cut from the middle of a stream starts
  // at the line it has there): line() and the line numbers in error messages count from it.
  uint64_t first_line = 1;
};

class csv_reader {
 public:
  // The reader does not own `source`, which must outlive it.
  explicit csv_reader(byte_source& source, csv_reader_options options = {});
  // Reads records straight out of `text` (no copy, no buffer): the views it hands out point
  // into `text`, which must outlive the reader. block_size does not apply; the limits do.
  // Used on the whole-record chunks of classify_csv's pipeline.
  explicit csv_reader(std::string_view text, csv_reader_options options = {});
  csv_reader(const csv_reader&) = delete;
  csv_reader& operator=(const csv_reader&) = delete;

  // Advances to the next record. Returns false at end of input (then the accessors describe
  // nothing). Throws only what the byte_source throws; after that the reader must not be
  // used again.
  bool next();

  // The record's fields, unescaped. Valid until the next call to next(). For an error
  // record they are a best-effort (lenient) reading, empty after a size-limit error.
  const std::vector<std::string_view>& fields() const noexcept { return fields_; }
  size_t size() const noexcept { return fields_.size(); }
  std::string_view operator[](size_t i) const noexcept { return fields_[i]; }

  // False when the record has a syntax or size error.
  bool ok() const noexcept { return error_.empty(); }
  // Why the record is bad, e.g. "field 3: quote inside an unquoted field"; empty when ok().
  const std::string& error() const noexcept { return error_; }

  // Which size limit the record broke (none when ok() or for a syntax error), so that a
  // caller can say how its users raise that limit; for field_size, limit_field() is the
  // (0-based) index of the field that was too long.
  enum class limit : uint8_t { none, field_size, record_size, fields };
  limit broken_limit() const noexcept { return limit_; }
  size_t limit_field() const noexcept { return limit_field_; }

  // Physical line (1-based, header = 1) on which the record starts.
  uint64_t line() const noexcept { return line_; }
  // Byte offset of the record's first byte in the source's stream (a BOM counts).
  uint64_t offset() const noexcept { return offset_; }
  // Byte offset just past the record's line end (where the next record may start).
  uint64_t end_offset() const noexcept { return base_offset_ + next_; }
  // The exact input bytes of the record, without its line end (so a row can be passed
  // through byte for byte). Valid until the next call to next(). Empty after a size-limit
  // error (those bytes were never kept).
  std::string_view raw() const noexcept { return raw_; }

  // Records returned so far, error records included.
  uint64_t record_count() const noexcept { return records_; }
  // Physical line of the next byte to read: once next() returned false, 1 + the line ends
  // in the input (so a piece of a stream tells how far its line numbers moved).
  uint64_t next_line() const noexcept { return next_line_; }

 private:
  enum class state : uint8_t { field_start, unquoted, quoted, after_quote };
  // A field that had doubled quotes: its unescaped text is in scratch_, which may still
  // reallocate while the record is parsed, so its view is made once the record is complete.
  struct escaped_field {
    size_t index;  // in fields_
    size_t begin;  // in scratch_
    size_t size;
  };

  // Which error a record reports when it has several. A size limit outranks a syntax
  // error, and the record limit outranks a field limit, whatever their order in the record:
  // a small block can reveal a limit before the scan reaches a syntax error that a large
  // block would see first, and the result must not depend on the block size.
  enum class severity : uint8_t { none, syntax, field_limit, record_limit };

  bool fill();
  void parse_record();
  // Adds the field [begin, end) of the current record (offsets from its first byte).
  // Inlined by force: it runs once per field, and GCC otherwise keeps it out of line.
  [[gnu::always_inline]] void push_field(size_t begin, size_t end, bool escaped) {
    if (!escaped && !discarding_ && end - begin <= options_.max_field_size &&
        fields_.size() < options_.max_fields) {
      fields_.emplace_back(buf_ + rec_ + begin, end - begin);  // the common case
    } else {
      push_field_slow(begin, end, escaped);
    }
  }
  void push_field_slow(size_t begin, size_t end, bool escaped);
  void set_error(severity level, std::string message, limit which = limit::none, size_t field = 0);
  void check_limits(size_t pos, size_t field_size);
  void start_discarding();

  byte_source* source_;  // null when reading from memory
  csv_reader_options options_;

  std::unique_ptr<char[]> owned_;  // the buffer, when reading from a source
  const char* buf_ = nullptr;      // owned_, or the caller's text
  size_t cap_ = 0;
  size_t rec_ = 0;            // index in buf_ of the current record's first byte
  size_t tail_ = 0;           // end of valid data in buf_
  size_t next_ = 0;           // index in buf_ where the next record may start
  uint64_t base_offset_ = 0;  // stream offset of buf_[0]
  uint64_t next_line_ = 1;    // physical line at next_
  bool eof_ = false;
  bool started_ = false;     // BOM check done
  bool discarding_ = false;  // over a limit: scan to the record's end, keep nothing
  uint64_t dropped_ = 0;     // bytes of the current record dropped while discarding
  severity severity_ = severity::none;
  limit limit_ = limit::none;  // goes with error_
  size_t limit_field_ = 0;

  // Views into buf_ from the start: fill() moves them along when it moves the record.
  std::vector<std::string_view> fields_;
  std::vector<escaped_field> escaped_;
  std::vector<size_t> rebase_;  // fill()'s scratch
  std::string scratch_;
  std::string error_;
  std::string_view raw_;
  uint64_t line_ = 0;
  uint64_t offset_ = 0;
  uint64_t records_ = 0;
};

// How a caller's users raise `which`, appended to the reader's error so that a rejected
// record says what to change: "; if such records are genuine, raise --max-field-bytes
// (OPTIONS::max_field_size)" where OPTIONS names the public options struct (csv_options,
// diff_options), whose members carry the reader's names. Empty for limit::none.
std::string limit_hint(csv_reader::limit which, std::string_view options_struct);

}  // namespace chanrules::io
