// CSV output of the classifier (accepted rows, rejects): RFC 4180 quoting only where
// needed, UTF-8, "\n" line ends, no BOM, as spec/distributor-export.md requires; plus
// atomic_file_writer, so that a failed or interrupted run never leaves a half-written
// output file in place of a good one.
//
//   io::atomic_file_writer file(out_path);
//   io::csv_writer out(file);
//   out.write_record({"customer_id", "samsung_class"});
//   ...                       // for pass-through: out.write_raw_fields(reader.raw());
//   out.flush();              // surfaces buffered write errors
//   file.commit();            // fsync + rename; without it the destructor discards
//
// Writes are buffered (1 MiB by default) and reach the sink in large blocks. Sink failures
// are io_error exceptions naming the file and strerror (ENOSPC, EPIPE, EBADF, ...).
//
// Not thread-safe; one writer per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "io/byte_stream.h"

namespace chanrules::io {

struct csv_writer_options {
  // Prefix a ' to every field starting with = + - @ (and tab or CR, which OWASP lists with
  // them), so a spreadsheet opening the file shows the text instead of evaluating a
  // formula. Off by default: it changes the data (a cell "-5" becomes "'-5").
  bool excel_safe = false;
  // Bytes buffered before a write to the sink.
  size_t buffer_size = size_t{1} << 20;
};

class csv_writer {
 public:
  // The writer does not own `sink`, which must outlive it.
  explicit csv_writer(byte_sink& sink, csv_writer_options options = {});
  // Flushes on a best-effort basis: a destructor cannot report failure, so call flush()
  // first when the result matters (it always does for a file about to be committed).
  ~csv_writer();
  csv_writer(const csv_writer&) = delete;
  csv_writer& operator=(const csv_writer&) = delete;

  // Appends one field to the current record, quoting it only if it holds a comma, quote,
  // CR or LF (quotes doubled).
  void write_field(std::string_view field);
  // Appends text that already encodes one or more CSV fields, byte for byte (e.g.
  // csv_reader::raw(), to pass input columns through unchanged). It is separated from the
  // neighbouring fields by commas like a field; excel_safe does not apply to it.
  void write_raw_fields(std::string_view csv_text);
  // Ends the current record with "\n". A record of a single empty field is written as ""
  // (an empty line would read back as no record at all); so is a record with no fields.
  void end_record();

  // write_field for each, then end_record().
  void write_record(std::span<const std::string_view> fields);
  void write_record(std::span<const std::string> fields);
  void write_record(std::initializer_list<std::string_view> fields);

  // Hands everything buffered to the sink. Throws what the sink throws.
  void flush();

  // Bytes accepted so far (buffered or flushed).
  uint64_t bytes_written() const noexcept { return bytes_; }
  // Records ended so far.
  uint64_t record_count() const noexcept { return records_; }

 private:
  void put(const char* data, size_t n);
  void put_char(char c) {
    if (len_ == cap_) flush_buffer();
    buf_[len_++] = c;
    ++bytes_;
  }
  void flush_buffer();
  void begin_field();

  byte_sink& sink_;
  csv_writer_options options_;
  std::unique_ptr<char[]> buf_;
  size_t cap_;
  size_t len_ = 0;
  size_t fields_in_record_ = 0;
  bool record_has_bytes_ = false;
  uint64_t bytes_ = 0;
  uint64_t records_ = 0;
};

// Appends one CSV field to `out` exactly as csv_writer::write_field writes it (quotes only
// where needed, the excel_safe guard), for callers that format rows in their own buffers
// (the threads of classify_csv).
void append_csv_field(std::string& out, std::string_view field, bool excel_safe);

// Appends `text` (valid UTF-8) as a JSON string, quotes included: " and \ escaped, control
// characters as \n \r \t or \u00XX, everything else as it is.
void append_json_string(std::string& out, std::string_view text);

// A byte_sink writing to `<target>.tmp.XXXXXX` (mkstemp, in the target's directory so the
// final rename stays on one filesystem and is atomic). commit() fsyncs the file, renames it
// over the target and fsyncs the directory; until then the target is untouched. Without a
// commit() the destructor (or abandon()) deletes the temporary file, so an exception or
// early return leaves neither a partial target nor a stray temporary.
class atomic_file_writer : public byte_sink {
 public:
  // Creates the temporary file with `permissions` (not subject to the umask). Throws
  // io_error, e.g. when the directory does not exist or is not writable.
  explicit atomic_file_writer(std::string target, unsigned permissions = 0644);
  ~atomic_file_writer() override;
  atomic_file_writer(const atomic_file_writer&) = delete;
  atomic_file_writer& operator=(const atomic_file_writer&) = delete;

  // Unbuffered write(2) to the temporary file (csv_writer does the buffering). Throws
  // io_error naming the target (ENOSPC, EIO, ...), or if already committed or abandoned.
  void write(const char* data, size_t n) override;
  // Makes the written bytes the target's content, durably. Throws io_error; if it fails
  // before the rename the target is untouched and the temporary file is removed.
  void commit();
  // Deletes the temporary file now; later writes and commit() throw.
  void abandon() noexcept;

  const std::string& name() const override { return target_; }
  const std::string& target() const noexcept { return target_; }
  // The temporary file's descriptor (-1 once committed or abandoned), for callers that
  // rewrite what they wrote in place (classify_csv taking back duplicate rows).
  int fd() const noexcept { return fd_; }
  // Cuts the temporary file to `size` bytes; later writes go after them. Throws io_error.
  void truncate(uint64_t size);
  const std::string& temp_path() const noexcept { return temp_; }
  bool committed() const noexcept { return committed_; }

 private:
  std::string target_;
  std::string temp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace chanrules::io
