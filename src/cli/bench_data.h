// Records for `chanrules bench`: synthesised from a rule set's schema, or read from a CSV.
//
// Both give a record_table: the text of every cell in the rule set's field order, kept in one
// byte buffer (a million records of the 2009 set take about 100 MB, where a std::string per
// cell would take four times that). Built on the public API only.
#pragma once

#include <chanrules/rule_set.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules::cli {

class record_table {
 public:
  explicit record_table(size_t fields = 0) : fields_(fields) {}

  size_t fields() const { return fields_; }
  size_t rows() const { return row_start_.size(); }
  // Bytes of cell text in total.
  size_t bytes() const { return text_.size(); }

  std::string_view cell(size_t row, size_t field) const {
    const uint32_t* ends = &cell_end_[row * fields_];
    uint32_t begin = field == 0 ? 0 : ends[field - 1];
    return std::string_view(text_).substr(row_start_[row] + begin, ends[field] - begin);
  }
  // The cells of one row, in field order (views into the table).
  void row(size_t r, std::vector<std::string_view>& out) const;

  // Appends a row; `cells` must hold fields() values (empty = missing).
  void add_row(const std::vector<std::string_view>& cells);
  // Building a row cell by cell: begin_row(), then fields() calls of add_cell().
  void begin_row();
  void add_cell(std::string_view text);
  // Keeps only the rows whose flag is set, in order.
  void keep(const std::vector<bool>& rows);

  void reserve(size_t rows, size_t bytes_per_row);

 private:
  size_t fields_ = 0;
  std::string text_;
  std::vector<uint64_t> row_start_;  // offset of each row's first byte
  std::vector<uint32_t> cell_end_;   // per cell: end offset from its row's start
};

struct generator_options {
  uint64_t seed = 1;
  double missing = 0.10;     // share of missing values in optional fields
  double list_hit = 0.20;    // share of list-key cells that are listed keys
  double name_hit = 0.10;    // share of named-set cells that contain an alias
  double near_miss = 0.20;   // share of named-set cells holding an alias cut short
  double literal = 0.40;     // share of compared string cells holding a compared text
  double near_range = 0.60;  // share of number and date cells next to a range end
};

// `n` records synthesised from rules.schema() and the rules' list keys, deterministic for a
// seed (the same bytes on every platform: the draws use std::mt19937_64 only):
//  - enum fields: a value drawn uniformly; booleans: true or false;
//  - integer, decimal and date fields: mostly next to the ends of the ranges the conditions
//    test (end - 1, end, end + 1 in the field's steps), otherwise uniform over a window
//    around them, always within the field's min/max;
//  - string fields that a list is keyed by: listed keys (hits) and keys no list holds (misses);
//    unique fields never repeat a value;
//  - string fields that a named set searches: names holding an alias (Latin aliases in random
//    case, some full-width), names holding an alias cut short by its last character (near
//    misses) and plain names;
//  - string fields compared with texts: those texts and other texts;
//  - optional fields: missing in `missing` of the records.
// Every record is valid for the rule set (batch::add_record accepts it).
record_table generate_records(const rule_set& rules, size_t n, const generator_options& options);

struct csv_read_result {
  bool ok = false;
  std::string error;  // why the file could not be used at all
  record_table records;
  uint64_t rows_in = 0;        // records in the file
  uint64_t rows_rejected = 0;  // records batch::add_record refused (not benchmarked)
  std::string first_reject;    // "line N: reason" of the first one
  std::vector<std::string> ignored_columns;
};

// Reads a CSV export (RFC 4180, UTF-8 with or without BOM, LF or CRLF; the header names the
// columns, in any order; columns that are not fields are ignored) into records of the rule
// set's fields. Records the rule set would reject (bad values, missing required values, a
// wrong number of cells) are counted and left out. GB18030 input is refused with a hint to
// convert it (iconv -f GB18030 -t UTF-8).
csv_read_result read_csv_records(const rule_set& rules, const std::string& path);

// Writes the records as a CSV export: a header of the rule set's field names, then one line
// per record (RFC 4180 quoting where a cell needs it, LF line ends, UTF-8). Returns false
// with *error when the file cannot be written.
bool write_csv_records(const rule_set& rules, const record_table& records, const std::string& path,
                       std::string* error);

}  // namespace chanrules::cli
