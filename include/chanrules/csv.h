// Classifying CSV exports: the streaming read -> classify -> write loop behind
// `chanrules classify`, available to every caller of the library.
//
// The input is read as the export contract says (UTF-8 with or without BOM, or GB18030;
// RFC 4180 quoting; CRLF or LF; columns in any order; extra columns passed through byte for
// byte). Every record either becomes one output row (in input order) or one line in the
// rejects file with its line number, column and reason: rows_out + rows_rejected == rows_in.
// Output and rejects are written to temporary files renamed into place only when the whole
// run succeeded, so a failed or interrupted run leaves no partial file under either name.
//
// It streams: the input is cut into pieces of whole records, which `jobs` threads parse,
// validate, classify and format at once, while one thread writes the pieces' rows in input
// order. The bytes written do not depend on `jobs`, `batch_rows` or `chunk_bytes`. Memory
// stays bounded whatever the input's size: a few pieces in flight per thread, plus the
// values of unique fields (customer ids) seen so far, which move to temporary files beside
// the output once they outgrow `unique_memory` (see docs/cli.md, "Memory").
#pragma once

#include <chanrules/rule_set.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace chanrules {

class coverage;

enum class input_encoding : uint8_t { automatic, utf8, gb18030 };

// The output file's format. The rejects file is always CSV.
//  csv:   every input column (copied byte for byte), then the class columns.
//  jsonl: one JSON object per line, with the same columns as members, in the same order:
//         input cells as strings (as read, unquoted), classes as strings or null (no
//         outcome), <decision>_rule as a string or null, <decision>_missing as an array.
enum class output_format : uint8_t { csv, jsonl };

struct csv_progress {
  uint64_t rows = 0;         // records read so far
  uint64_t bytes = 0;        // input bytes read so far (as in the file, before decoding)
  uint64_t total_bytes = 0;  // size of the input file, 0 when unknown (a pipe)
  double seconds = 0;        // since the run started
};

struct csv_options {
  input_encoding encoding = input_encoding::automatic;
  // Output decisions to write as columns, by name; empty: every output decision.
  std::vector<std::string> decisions;
  // Per decision, two more columns: <name>_rule (the rule that fired, "default" or empty)
  // and <name>_missing (fields whose missing values made a condition unknown, ';'-separated).
  bool reasons = false;
  // Neutralise cells starting with = + - @ (and tab or CR) in every cell of the output and
  // of the rejects file, so a spreadsheet never evaluates them as formulas. Input cells are
  // then re-encoded (with a leading ') instead of copied byte for byte.
  bool excel_safe = false;
  // Stop with an error once more rows than this have been rejected.
  uint64_t max_rejects = UINT64_MAX;
  // Size limits on one input record. A record over one is rejected (its line, the column
  // for a field, and a reason naming the limit) without being held in memory, and reading
  // goes on with the next record; a header over one fails the run. They keep memory
  // bounded whatever the input, so raise them only as far as genuine records need.
  // `chanrules classify` sets them with --max-field-bytes, --max-record-bytes, --max-fields.
  // Each must be at least 1; max_record_size at most 1 GiB (a piece of work must stay
  // within 4 GiB). Otherwise the run fails before reading.
  //  max_field_size:  bytes of one field as written (for a quoted field: between the
  //                   quotes, a doubled quote counting 2); default 1 MiB.
  //  max_record_size: bytes of one record without its line end; default 16 MiB.
  //  max_fields:      fields of one record; default 65536.
  size_t max_field_size = size_t{1} << 20;
  size_t max_record_size = size_t{16} << 20;
  size_t max_fields = size_t{1} << 16;
  output_format format = output_format::csv;
  // Rows classified together.
  size_t batch_rows = 16384;
  // Threads that parse, validate, classify and format rows; 0: one per core. With 1,
  // everything runs on the calling thread.
  unsigned jobs = 0;
  // Input bytes per piece of work (rounded up to the end of a record); at most 1 GiB.
  size_t chunk_bytes = size_t{1} << 20;
  // Memory for the values of unique fields seen so far (duplicate detection); beyond it
  // they go to temporary files beside the output (or in $TMPDIR when writing to stdout).
  size_t unique_memory = size_t{64} << 20;
  // Called on the calling thread after each piece written (at most every few
  // milliseconds' worth of rows); may be empty.
  std::function<void(const csv_progress&)> progress;
  // Set from another thread (e.g. a signal handler's flag) to stop early with an error.
  const std::atomic<bool>* cancel = nullptr;
  // When set, receives (is summed with) the coverage of the rows written to the output (see
  // chanrules/coverage.h), once the run has succeeded; a failed run leaves it unchanged. It
  // must be empty or coverage of this rule set (else the run fails before reading).
  chanrules::coverage* coverage = nullptr;
};

struct decision_summary {
  std::string name;
  std::vector<std::pair<std::string, uint64_t>> counts;  // label -> rows, in label order
  uint64_t no_outcome = 0;                               // rows without an outcome
  uint64_t with_missing = 0;                             // rows decided with missing data
};

struct reject_sample {
  uint64_t line = 0;
  std::string column;
  std::string reason;
};

struct csv_summary {
  bool ok = false;
  std::string error;     // why the run failed (then no output file was written)
  std::string encoding;  // "UTF-8" or "GB18030"
  uint64_t rows_in = 0;
  uint64_t rows_out = 0;
  uint64_t rows_rejected = 0;
  uint64_t rows_with_missing = 0;  // rows with any decision decided with missing data
  std::vector<decision_summary> decisions;
  std::vector<reject_sample> first_rejects;  // the first few, for the summary
  std::vector<std::string> warnings;         // e.g. an optional column absent from the input
  double seconds = 0;
  uint64_t input_bytes = 0;     // bytes read (after decoding GB18030)
  unsigned jobs = 1;            // threads that classified
  bool unique_spilled = false;  // the unique values outgrew unique_memory (see csv_options)
};

// Classifies `input_path` ("-" for standard input) into `output_path` ("-" for standard
// output); rejected rows go to `rejects_path` (empty: counted but not written). Never throws
// for bad input or I/O failures: they are reported in the summary (ok == false).
csv_summary classify_csv(const rule_set& rules, const std::string& input_path,
                         const std::string& output_path, const std::string& rejects_path,
                         const csv_options& options = {});

// The progress bar `chanrules classify` draws on a terminal, fitted to `width` columns:
//   [#########.........]  45%  1234567 rows  612345 rows/s  ETA 0:03
// (without the bar, percent and ETA when the input's size is unknown).
std::string progress_line(const csv_progress& progress, int width);

// One record of a CSV export, looked up by the value of a column (e.g. customer_id), as
// field -> cell text. Reads the file with the same rules as classify_csv: the encoding and
// the record limits (max_field_size, max_record_size, max_fields) of `options`; when the
// record is not found, the error also says how many records could not be read and why the
// first could not.
struct csv_lookup {
  bool found = false;
  std::string error;  // why not found
  uint64_t line = 0;  // line the record starts on
  std::map<std::string, std::string> record;
};
csv_lookup find_csv_record(const std::string& input_path, const std::string& column,
                           const std::string& value, const csv_options& options);
csv_lookup find_csv_record(const std::string& input_path, const std::string& column,
                           const std::string& value,
                           input_encoding encoding = input_encoding::automatic);

}  // namespace chanrules
