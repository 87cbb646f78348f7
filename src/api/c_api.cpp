// The C API (include/chanrules/chanrules.h) on top of the C++ API.
//
// Every exported function is noexcept and catches everything: a C caller (or a Python,
// Rust or Go one through an FFI) must never see a C++ exception unwind into its frames.
// Failures become a chanrules_status that the caller owns; running out of memory while
// making that status falls back to one static status, so even that path cannot throw.
//
// Columnar input is turned into a chanrules::batch with the batch's column setters, and
// rows are then judged as classify_csv judges CSV records (bad value, required value
// missing, repeated unique value: rejected), so the columns path, the CSV path and the CLI
// agree on what is accepted.
#include <chanrules/chanrules.h>
#include <chanrules/csv.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <chanrules/chanrules.hpp>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/values.h"
#include "compile/program.h"
#include "compile/string_table.h"
#include "exec/batch_impl.h"
#include "io/encoding.h"

// ---- Handle types (opaque to C) --------------------------------------------------------------

struct chanrules_diagnostics {
  std::vector<chanrules::diagnostic> items;
  std::vector<std::string> formatted;
  std::vector<chanrules_diagnostic> views;  // point into items / formatted: built once

  explicit chanrules_diagnostics(std::vector<chanrules::diagnostic> list) : items(std::move(list)) {
    formatted.reserve(items.size());
    views.reserve(items.size());
    for (const auto& d : items) formatted.push_back(chanrules::format(d));
    for (size_t i = 0; i < items.size(); ++i) {
      const auto& d = items[i];
      chanrules_diagnostic v;
      v.severity = d.level == chanrules::severity::error     ? CHANRULES_SEVERITY_ERROR
                   : d.level == chanrules::severity::warning ? CHANRULES_SEVERITY_WARNING
                                                             : CHANRULES_SEVERITY_NOTE;
      v.code = d.code.c_str();
      v.file = d.location.file.c_str();
      v.line = d.location.line;
      v.column = d.location.column;
      v.message = d.message.c_str();
      v.hint = d.hint.c_str();
      v.source_line = d.source_line.c_str();
      v.caret_length = d.caret_length;
      v.formatted = formatted[i].c_str();
      views.push_back(v);
    }
  }
};

struct chanrules_status {
  chanrules_code code = CHANRULES_INTERNAL_ERROR;
  std::string message;
  std::string file;
  uint32_t line = 0, column = 0;
  int64_t row = -1;
  std::string field;
  std::unique_ptr<chanrules_diagnostics> diagnostics;
};

struct chanrules_rules {
  std::shared_ptr<const chanrules::rule_set> rules;
  chanrules_diagnostics warnings;
  std::vector<std::string> source_files;
};

struct chanrules_result {
  struct reject {
    size_t row;
    size_t field;  // SIZE_MAX: the row as a whole
    std::string reason;
  };
  chanrules::classification c;
  std::vector<reject> rejects;  // ascending rows
  std::vector<std::string> warnings;
};

struct chanrules_csv_result {
  std::string output, rejects;
  chanrules::csv_summary summary;
};

namespace {

using chanrules::detail::value_type;

// The status handed out when not even a status can be allocated. Never freed.
chanrules_status* out_of_memory_status() {
  static chanrules_status s = [] {
    chanrules_status st;
    st.code = CHANRULES_OUT_OF_MEMORY;
    st.message = "out of memory";
    return st;
  }();
  return &s;
}

// A failure on its way to the caller: thrown inside the library, caught at the boundary.
struct api_error {
  std::unique_ptr<chanrules_status> status;
};

[[noreturn]] void fail(chanrules_code code, std::string message) {
  auto st = std::make_unique<chanrules_status>();
  st->code = code;
  st->message = std::move(message);
  throw api_error{std::move(st)};
}

[[noreturn]] void fail_data(int64_t row, std::string field, std::string message) {
  auto st = std::make_unique<chanrules_status>();
  st->code = CHANRULES_DATA_ERROR;
  st->message = std::move(message);
  st->row = row;
  st->field = std::move(field);
  throw api_error{std::move(st)};
}

template <class T>
void require(const T* p, const char* what) {
  if (!p) fail(CHANRULES_INVALID_ARGUMENT, std::string(what) + " is NULL");
}

// Runs `body`, turning every way out other than success into a status.
template <class Body>
chanrules_code guarded(chanrules_status** status, Body&& body) noexcept {
  if (status) *status = nullptr;
  std::unique_ptr<chanrules_status> st;
  try {
    body();
    return CHANRULES_OK;
  } catch (api_error& e) {
    st = std::move(e.status);
  } catch (const std::bad_alloc&) {
    if (status) *status = out_of_memory_status();
    return CHANRULES_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    try {
      st = std::make_unique<chanrules_status>();
      st->code = CHANRULES_INTERNAL_ERROR;
      st->message = std::string("internal error: ") + e.what();
    } catch (...) {
      st.reset();
    }
  } catch (...) {
    try {
      st = std::make_unique<chanrules_status>();
      st->code = CHANRULES_INTERNAL_ERROR;
      st->message = "internal error: unknown exception";
    } catch (...) {
      st.reset();
    }
  }
  if (!st) {
    if (status) *status = out_of_memory_status();
    return CHANRULES_OUT_OF_MEMORY;
  }
  chanrules_code code = st->code;
  if (status) *status = st.release();
  return code;
}

const chanrules::detail::program& program_of(const chanrules_rules* r) {
  return *r->rules->program();
}

void check_index(size_t i, size_t n, const char* what) {
  if (i >= n)
    fail(CHANRULES_INVALID_ARGUMENT, std::string(what) + " " + std::to_string(i) +
                                         " is out of range (there are " + std::to_string(n) + ")");
}

// ---- Loading ----------------------------------------------------------------------------------

chanrules::load_options to_load_options(const chanrules_load_options* o) {
  chanrules::load_options lo;
  if (o) lo.allow_outside_paths = (o->flags & CHANRULES_LOAD_ALLOW_OUTSIDE_PATHS) != 0;
  return lo;
}

// The rule-set files a loaded rule set was read from (see chanrules_rules_source_file).
std::vector<std::string> source_files_of(const chanrules::rule_set& rs) {
  const auto& m = rs.program()->m;
  std::vector<std::string> files;
  std::set<std::string> seen;
  auto add = [&](const std::string& path) {
    if (!path.empty() && seen.insert(path).second) files.push_back(path);
  };
  if (m.file) add(m.file->path());
  for (const auto& t : m.tests)
    if (t.pos.file) add(t.pos.file->path());
  for (const auto& l : m.lists) add(l.path);
  return files;
}

chanrules_rules* make_rules(chanrules::load_result&& loaded) {
  if (!loaded.ok()) {
    const chanrules::diagnostic* first = nullptr;
    size_t errors = 0;
    for (const auto& d : loaded.diagnostics)
      if (d.level == chanrules::severity::error) {
        if (!first) first = &d;
        ++errors;
      }
    auto st = std::make_unique<chanrules_status>();
    st->code = CHANRULES_RULE_ERRORS;
    if (first) {
      std::string text = chanrules::format(*first);
      st->message = text.substr(0, text.find('\n'));
      if (errors > 1) st->message += " (and " + std::to_string(errors - 1) + " more errors)";
      st->file = first->location.file;
      st->line = first->location.line;
      st->column = first->location.column;
      // A rule set that cannot even be read is an I/O failure, not a rule author's error.
      if (errors == 1 && first->code == "E-file") st->code = CHANRULES_IO_ERROR;
    } else {
      st->message = "the rule set was refused without a diagnostic";
    }
    st->diagnostics = std::make_unique<chanrules_diagnostics>(std::move(loaded.diagnostics));
    throw api_error{std::move(st)};
  }
  auto files = source_files_of(*loaded.rules);
  return new chanrules_rules{std::move(loaded.rules),
                             chanrules_diagnostics(std::move(loaded.diagnostics)),
                             std::move(files)};
}

// ---- Columns -> batch -------------------------------------------------------------------------

chanrules_field_type field_type_of(value_type t) {
  switch (t) {
    case value_type::string:
      return CHANRULES_FIELD_STRING;
    case value_type::enumeration:
      return CHANRULES_FIELD_ENUM;
    case value_type::boolean:
      return CHANRULES_FIELD_BOOLEAN;
    case value_type::integer:
      return CHANRULES_FIELD_INTEGER;
    case value_type::date:
      return CHANRULES_FIELD_DATE;
    case value_type::decimal:
      return CHANRULES_FIELD_DECIMAL;
  }
  return CHANRULES_FIELD_STRING;
}

const char* column_type_name(chanrules_column_type t) {
  switch (t) {
    case CHANRULES_COLUMN_UTF8:
      return "UTF8";
    case CHANRULES_COLUMN_LARGE_UTF8:
      return "LARGE_UTF8";
    case CHANRULES_COLUMN_INT64:
      return "INT64";
    case CHANRULES_COLUMN_FLOAT64:
      return "FLOAT64";
    case CHANRULES_COLUMN_BOOL8:
      return "BOOL8";
    case CHANRULES_COLUMN_CODE16:
      return "CODE16";
  }
  return "unknown";
}

bool present(const uint8_t* validity, size_t i) {
  return !validity || ((validity[i >> 3] >> (i & 7)) & 1);
}

// The shortest fixed-notation text that reads back as the same double: 3.5 -> "3.5",
// 1e16 -> "10000000000000000" (the rule language's numbers have no exponent).
std::string_view double_text(double v, char (&buf)[400]) {
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string_view(buf, static_cast<size_t>(r.ptr - buf));
}

// Fills a batch from the caller's columns and judges every row.
class column_loader {
 public:
  column_loader(const chanrules_rules& rules, size_t rows, uint32_t flags)
      : rules_(rules), prog_(*rules.rules->program()), rows_(rows), flags_(flags) {}

  void load(const chanrules_column* columns, size_t count, chanrules::batch& b,
            chanrules_result& out) {
    const auto& fields = prog_.m.fields;
    std::vector<const chanrules_column*> by_field(fields.size(), nullptr);
    for (size_t i = 0; i < count; ++i) {
      const chanrules_column& c = columns[i];
      if (!c.name) fail(CHANRULES_INVALID_ARGUMENT, "column " + std::to_string(i) + " has no name");
      size_t f = b.field(c.name);
      if (f == chanrules::batch::npos)
        fail(CHANRULES_INVALID_ARGUMENT, "column '" + std::string(c.name) +
                                             "' is not a field of the rule set " +
                                             rules_.rules->name());
      if (by_field[f])
        fail(CHANRULES_INVALID_ARGUMENT, "the column '" + std::string(c.name) + "' is given twice");
      by_field[f] = &c;
    }
    for (size_t f = 0; f < fields.size(); ++f) {
      if (by_field[f]) continue;
      if (fields[f].required)
        fail_data(-1, fields[f].name,
                  "there is no column '" + fields[f].name + "', which the rule set requires");
      out.warnings.push_back("the input has no column '" + fields[f].name +
                             "': every row is read as missing it");
    }
    first_error_.assign(rows_, UINT32_MAX);
    b.resize(rows_);
    // Fields in declaration order, so a row's first problem is its first bad field, as for a
    // CSV record.
    for (size_t f = 0; f < fields.size(); ++f)
      if (by_field[f]) fill(f, *by_field[f], b);
    judge(b, out);
  }

 private:
  void note(size_t row, size_t field, std::string reason) {
    if (first_error_[row] != UINT32_MAX) return;
    first_error_[row] = static_cast<uint32_t>(errors_.size());
    errors_.push_back({row, field, std::move(reason)});
  }
  void note_all(size_t field, std::vector<chanrules::batch::cell_error>&& errors) {
    for (auto& e : errors) note(e.row, field, std::move(e.reason));
  }

  [[noreturn]] void wrong_type(size_t field, const chanrules_column& c, const char* advice) {
    const auto& f = prog_.m.fields[field];
    fail(CHANRULES_INVALID_ARGUMENT, "column '" + f.name + "' is " + column_type_name(c.type) +
                                         ", which a " + chanrules::detail::to_string(f.type) +
                                         " field does not take; " + advice);
  }

  template <class Offset>
  void fill_text(size_t field, const chanrules_column& c, chanrules::batch& b) {
    if (rows_ == 0) return;
    require(c.offsets, "a text column's offsets");
    require(c.data, "a text column's data");
    const Offset* off = static_cast<const Offset*>(c.offsets);
    std::vector<std::string_view> cells(rows_);
    for (size_t i = 0; i < rows_; ++i) {
      if (off[i] < 0 || off[i + 1] < off[i])
        fail(CHANRULES_INVALID_ARGUMENT, "column '" + std::string(c.name) + "': offsets " +
                                             std::to_string(i) + " and " + std::to_string(i + 1) +
                                             " are negative or decreasing");
      if (!present(c.validity, i)) continue;
      std::string_view v(c.data + off[i], static_cast<size_t>(off[i + 1] - off[i]));
      if (!(flags_ & CHANRULES_CLASSIFY_VALID_UTF8) && !chanrules::io::is_valid_utf8(v)) {
        note(i, field, "the value is not valid UTF-8");
        continue;
      }
      cells[i] = v;
    }
    note_all(field, b.set_column_text(field, cells));
  }

  // Values converted to text one by one (numbers for string and decimal fields).
  void fill_texts(size_t field, const std::vector<std::string>& texts, const uint8_t* validity,
                  chanrules::batch& b) {
    std::vector<std::string_view> cells(rows_);
    for (size_t i = 0; i < rows_; ++i)
      if (present(validity, i)) cells[i] = texts[i];
    note_all(field, b.set_column_text(field, cells));
  }

  void fill(size_t field, const chanrules_column& c, chanrules::batch& b) {
    const auto& f = prog_.m.fields[field];
    switch (c.type) {
      case CHANRULES_COLUMN_UTF8:
        return fill_text<int32_t>(field, c, b);
      case CHANRULES_COLUMN_LARGE_UTF8:
        return fill_text<int64_t>(field, c, b);
      case CHANRULES_COLUMN_INT64: {
        if (rows_) require(c.values, "an INT64 column's values");
        const int64_t* v = static_cast<const int64_t*>(c.values);
        if (f.type == value_type::integer || f.type == value_type::date)
          return note_all(field, b.set_column_integers(field, v, rows_, c.validity));
        if (f.type == value_type::boolean) {
          std::vector<uint8_t> flags(rows_);
          std::vector<uint8_t> valid((rows_ + 7) / 8, 0xFF);
          for (size_t i = 0; i < rows_; ++i) {
            if (!present(c.validity, i)) {
              valid[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
            } else if (v[i] == 0 || v[i] == 1) {
              flags[i] = static_cast<uint8_t>(v[i]);
            } else {
              valid[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
              note(i, field, std::to_string(v[i]) + " is not a boolean (0 or 1)");
            }
          }
          return note_all(field, b.set_column_booleans(field, flags.data(), rows_, valid.data()));
        }
        if (f.type == value_type::decimal || f.type == value_type::string) {
          std::vector<std::string> texts(rows_);
          for (size_t i = 0; i < rows_; ++i)
            if (present(c.validity, i)) texts[i] = std::to_string(v[i]);
          return fill_texts(field, texts, c.validity, b);
        }
        wrong_type(field, c, "give the labels as text (UTF8) or their codes (CODE16)");
      }
      case CHANRULES_COLUMN_FLOAT64: {
        if (rows_) require(c.values, "a FLOAT64 column's values");
        const double* v = static_cast<const double*>(c.values);
        if (f.type == value_type::integer) {
          std::vector<int64_t> ints(rows_);
          std::vector<uint8_t> valid((rows_ + 7) / 8, 0xFF);
          for (size_t i = 0; i < rows_; ++i) {
            double x = v[i];
            bool ok = present(c.validity, i) && !std::isnan(x);
            if (ok && (std::trunc(x) != x || !(std::fabs(x) < 9.2e18))) {
              char buf[400];
              note(i, field,
                   std::string(std::isfinite(x) ? double_text(x, buf) : std::string_view("inf")) +
                       " is not a whole number");
              ok = false;
            }
            if (ok) {
              ints[i] = static_cast<int64_t>(x);
            } else {
              valid[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
            }
          }
          return note_all(field, b.set_column_integers(field, ints.data(), rows_, valid.data()));
        }
        if (f.type == value_type::decimal) {
          std::vector<std::string> texts(rows_);
          std::vector<uint8_t> valid((rows_ + 7) / 8, 0xFF);
          for (size_t i = 0; i < rows_; ++i) {
            double x = v[i];
            if (!present(c.validity, i) || std::isnan(x)) {
              valid[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
            } else if (!std::isfinite(x)) {
              valid[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
              note(i, field, "an infinite value is not a decimal number");
            } else {
              char buf[400];
              texts[i] = std::string(double_text(x, buf));
            }
          }
          return fill_texts(field, texts, valid.data(), b);
        }
        wrong_type(field, c, "FLOAT64 is for integer and decimal fields");
      }
      case CHANRULES_COLUMN_BOOL8:
        if (f.type != value_type::boolean) wrong_type(field, c, "BOOL8 is for boolean fields");
        if (rows_) require(c.values, "a BOOL8 column's values");
        return note_all(field, b.set_column_booleans(field, static_cast<const uint8_t*>(c.values),
                                                     rows_, c.validity));
      case CHANRULES_COLUMN_CODE16:
        if (f.type != value_type::enumeration) wrong_type(field, c, "CODE16 is for enum fields");
        if (rows_) require(c.values, "a CODE16 column's values");
        return note_all(field, b.set_column_codes(field, static_cast<const uint16_t*>(c.values),
                                                  rows_, c.validity));
    }
    fail(CHANRULES_INVALID_ARGUMENT, "column '" + std::string(c.name) + "' has the unknown type " +
                                         std::to_string(static_cast<int>(c.type)));
  }

  // Judges rows in order, as classify_csv judges records: a repeated unique value first, then
  // the first unreadable value, then the first required value missing. Only accepted rows
  // claim their unique values.
  void judge(chanrules::batch& b, chanrules_result& out) {
    const auto& fields = prog_.m.fields;
    const auto& impl = chanrules::detail::batch_access::of(b);
    std::vector<size_t> unique, required;
    for (size_t f = 0; f < fields.size(); ++f) {
      if (fields[f].unique && !(flags_ & CHANRULES_CLASSIFY_NO_UNIQUE_CHECK)) unique.push_back(f);
      if (fields[f].required) required.push_back(f);
    }
    std::vector<chanrules::detail::string_table> seen(unique.size());
    std::vector<std::vector<size_t>> first_row(unique.size());
    std::vector<std::string> keys(unique.size());
    for (size_t row = 0; row < rows_; ++row) {
      bool rejected = false;
      for (size_t k = 0; k < unique.size() && !rejected; ++k) {
        size_t f = unique[k];
        const auto& col = impl.columns[f];
        if (!col.is_valid(row)) {
          keys[k].clear();
          continue;
        }
        std::string_view key;
        if (col.type == value_type::string) {
          key = chanrules::detail::trim_blanks(col.text(row));
        } else {
          keys[k] = b.value_text(row, f);
          key = keys[k];
        }
        uint32_t entry = seen[k].find(key);
        if (entry == chanrules::detail::string_table::not_found) {
          if (col.type == value_type::string) keys[k].assign(key);
          continue;
        }
        reject(out, row, f,
               "duplicate " + fields[f].name + " " + chanrules::detail::quote_for_message(key) +
                   " (first accepted in row " + std::to_string(first_row[k][entry]) + ")");
        rejected = true;
      }
      if (rejected) continue;
      if (first_error_[row] != UINT32_MAX) {
        const auto& e = errors_[first_error_[row]];
        reject(out, row, e.field, e.reason);
        continue;
      }
      for (size_t f : required) {
        if (impl.columns[f].is_valid(row)) continue;
        reject(out, row, f, "a value is required");
        rejected = true;
        break;
      }
      if (rejected) continue;
      for (size_t k = 0; k < unique.size(); ++k) {
        if (!impl.columns[unique[k]].is_valid(row)) continue;
        seen[k].insert(keys[k]);
        first_row[k].push_back(row);
      }
    }
  }

  void reject(chanrules_result& out, size_t row, size_t field, std::string reason) {
    const auto& fields = prog_.m.fields;
    if (flags_ & CHANRULES_CLASSIFY_STRICT)
      fail_data(static_cast<int64_t>(row), field < fields.size() ? fields[field].name : "",
                "row " + std::to_string(row) +
                    (field < fields.size() ? ", field '" + fields[field].name + "'" : "") + ": " +
                    reason);
    out.rejects.push_back({row, field, std::move(reason)});
  }

  struct cell_problem {
    size_t row;
    size_t field;
    std::string reason;
  };

  const chanrules_rules& rules_;
  const chanrules::detail::program& prog_;
  size_t rows_;
  uint32_t flags_;
  std::vector<uint32_t> first_error_;  // per row: index in errors_, or UINT32_MAX
  std::vector<cell_problem> errors_;
};

// A rejected row has no outcome, no rule and no missing field in any decision.
void blank_rejected_rows(chanrules_result& r) {
  using access = chanrules::detail::result_access;
  auto& outcomes = access::outcomes(r.c);
  auto& rules = access::rules(r.c);
  auto& missing = access::missing(r.c);
  const size_t bits = access::missing_row_bits(r.c);
  for (const auto& rej : r.rejects) {
    for (size_t d = 0; d < outcomes.size(); ++d) {
      outcomes[d][rej.row] = chanrules::classification::no_outcome;
      rules[d][rej.row] = chanrules::classification::no_rule;
      for (size_t bit = rej.row * bits; bit < (rej.row + 1) * bits; ++bit)
        missing[d][bit / 64] &= ~(uint64_t{1} << (bit % 64));
    }
  }
}

// A private folder under $TMPDIR (or /tmp), removed with everything in it when it goes.
class temp_folder {
 public:
  temp_folder() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/chanrules-csv-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
      fail(CHANRULES_IO_ERROR,
           "cannot create a temporary folder from " + tmpl + ": " + std::strerror(errno));
    path_ = buf.data();
  }
  ~temp_folder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;
  std::string file(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_whole_file(const std::string& path, const char* data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(data, static_cast<std::streamsize>(size));
  out.close();
  if (!out) fail(CHANRULES_IO_ERROR, "cannot write " + path + ": " + std::strerror(errno));
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(CHANRULES_IO_ERROR, "cannot read " + path + ": " + std::strerror(errno));
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(CHANRULES_IO_ERROR, "cannot read " + path + ": " + std::strerror(errno));
  return s;
}

char* copy_to_malloc(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size() + 1);
  return p;
}

}  // namespace

// ---- Exported functions -------------------------------------------------------------------------

extern "C" {

chanrules_code chanrules_status_code(const chanrules_status* s) {
  return s ? s->code : CHANRULES_OK;
}
const char* chanrules_status_message(const chanrules_status* s) {
  return s ? s->message.c_str() : "";
}
const char* chanrules_status_file(const chanrules_status* s) { return s ? s->file.c_str() : ""; }
uint32_t chanrules_status_line(const chanrules_status* s) { return s ? s->line : 0; }
uint32_t chanrules_status_column(const chanrules_status* s) { return s ? s->column : 0; }
int64_t chanrules_status_row(const chanrules_status* s) { return s ? s->row : -1; }
const char* chanrules_status_field(const chanrules_status* s) { return s ? s->field.c_str() : ""; }
const chanrules_diagnostics* chanrules_status_diagnostics(const chanrules_status* s) {
  return s ? s->diagnostics.get() : nullptr;
}
void chanrules_status_free(chanrules_status* s) {
  if (s != out_of_memory_status()) delete s;
}

void chanrules_free(void* p) { std::free(p); }

const char* chanrules_version(void) { return CHANRULES_VERSION_STRING; }

// ---- Diagnostics ----

size_t chanrules_diagnostics_count(const chanrules_diagnostics* list) {
  return list ? list->views.size() : 0;
}

chanrules_code chanrules_diagnostics_get(const chanrules_diagnostics* list, size_t i,
                                         const chanrules_diagnostic** out,
                                         chanrules_status** status) {
  return guarded(status, [&] {
    require(list, "the diagnostics");
    require(out, "the output pointer");
    check_index(i, list->views.size(), "diagnostic");
    *out = &list->views[i];
  });
}

chanrules_code chanrules_diagnostics_json(const chanrules_diagnostics* list, char** json,
                                          chanrules_status** status) {
  return guarded(status, [&] {
    require(list, "the diagnostics");
    require(json, "the output pointer");
    std::string s = "[";
    for (size_t i = 0; i < list->items.size(); ++i) {
      if (i) s += ',';
      s += chanrules::to_json(list->items[i]);
    }
    s += ']';
    *json = copy_to_malloc(s);
  });
}

void chanrules_diagnostics_free(chanrules_diagnostics* list) { delete list; }

// ---- Loading ----

chanrules_code chanrules_load(const char* path, const chanrules_load_options* options,
                              chanrules_rules** out, chanrules_status** status) {
  if (out) *out = nullptr;
  return guarded(status, [&] {
    require(path, "the path");
    require(out, "the output pointer");
    *out = make_rules(chanrules::rule_set::load(path, to_load_options(options)));
  });
}

chanrules_code chanrules_load_string(const char* yaml, size_t yaml_size, const char* name,
                                     const char* base_dir, const chanrules_load_options* options,
                                     chanrules_rules** out, chanrules_status** status) {
  if (out) *out = nullptr;
  return guarded(status, [&] {
    if (yaml_size) require(yaml, "the YAML text");
    require(out, "the output pointer");
    *out = make_rules(chanrules::rule_set::load_string(
        std::string_view(yaml ? yaml : "", yaml_size), name ? name : "<string>",
        base_dir ? base_dir : ".", to_load_options(options)));
  });
}

chanrules_code chanrules_check(const char* path, const chanrules_load_options* options,
                               chanrules_diagnostics** out, chanrules_status** status) {
  if (out) *out = nullptr;
  return guarded(status, [&] {
    require(path, "the path");
    require(out, "the output pointer");
    auto loaded = chanrules::rule_set::load(path, to_load_options(options));
    *out = new chanrules_diagnostics(std::move(loaded.diagnostics));
  });
}

void chanrules_rules_free(chanrules_rules* rules) { delete rules; }

// ---- Rule-set metadata ----

const char* chanrules_rules_name(const chanrules_rules* r) {
  return r ? r->rules->name().c_str() : "";
}
const char* chanrules_rules_version(const chanrules_rules* r) {
  return r ? r->rules->version().c_str() : "";
}
const chanrules_diagnostics* chanrules_rules_diagnostics(const chanrules_rules* r) {
  return r ? &r->warnings : nullptr;
}
size_t chanrules_rules_field_count(const chanrules_rules* r) {
  return r ? r->rules->field_count() : 0;
}

chanrules_code chanrules_rules_field(const chanrules_rules* r, size_t field,
                                     chanrules_field_info* out, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the rule set");
    require(out, "the output pointer");
    const auto& fields = program_of(r).m.fields;
    check_index(field, fields.size(), "field");
    const auto& f = fields[field];
    out->name = f.name.c_str();
    out->type = field_type_of(f.type);
    out->required = f.required;
    out->unique = f.unique;
    out->value_count = f.type == value_type::enumeration ? f.values.labels.size() : 0;
    out->trim = f.trim;
  });
}

chanrules_code chanrules_rules_field_index(const chanrules_rules* r, const char* name, size_t* out,
                                           chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the rule set");
    require(name, "the name");
    require(out, "the output pointer");
    const auto& fields = program_of(r).m.fields;
    for (size_t i = 0; i < fields.size(); ++i)
      if (fields[i].name == name) {
        *out = i;
        return;
      }
    fail(CHANRULES_INVALID_ARGUMENT,
         "the rule set " + r->rules->name() + " has no field '" + std::string(name) + "'");
  });
}

chanrules_code chanrules_rules_field_value(const chanrules_rules* r, size_t field, size_t i,
                                           const char** out, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the rule set");
    require(out, "the output pointer");
    const auto& fields = program_of(r).m.fields;
    check_index(field, fields.size(), "field");
    const auto& f = fields[field];
    if (f.type != value_type::enumeration)
      fail(CHANRULES_INVALID_ARGUMENT, "field '" + f.name + "' is not an enum field");
    check_index(i, f.values.labels.size(), "value");
    *out = f.values.labels[i].c_str();
  });
}

size_t chanrules_rules_decision_count(const chanrules_rules* r) {
  return r ? r->rules->decision_count() : 0;
}

chanrules_code chanrules_rules_decision(const chanrules_rules* r, size_t decision,
                                        chanrules_decision_info* out, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the rule set");
    require(out, "the output pointer");
    const auto& decisions = program_of(r).m.decisions;
    check_index(decision, decisions.size(), "decision");
    const auto& d = decisions[decision];
    out->name = d.name.c_str();
    out->is_output = d.output;
    out->outcome_count = d.outcomes.labels.size();
    out->rule_count = d.rules.size();
  });
}

chanrules_code chanrules_rules_decision_index(const chanrules_rules* r, const char* name,
                                              size_t* out, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the rule set");
    require(name, "the name");
    require(out, "the output pointer");
    const auto& decisions = program_of(r).m.decisions;
    for (size_t i = 0; i < decisions.size(); ++i)
      if (decisions[i].name == name) {
        *out = i;
        return;
      }
    fail(CHANRULES_INVALID_ARGUMENT,
         "the rule set " + r->rules->name() + " has no decision '" + std::string(name) + "'");
  });
}

chanrules_code chanrules_rules_outcome_label(const chanrules_rules* r, size_t decision, size_t code,
                                             const char** out, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the rule set");
    require(out, "the output pointer");
    const auto& decisions = program_of(r).m.decisions;
    check_index(decision, decisions.size(), "decision");
    const auto& labels = decisions[decision].outcomes.labels;
    check_index(code, labels.size(), "outcome code");
    *out = labels[code].c_str();
  });
}

chanrules_code chanrules_rules_rule_id(const chanrules_rules* r, size_t decision, size_t index,
                                       const char** out, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the rule set");
    require(out, "the output pointer");
    const auto& decisions = program_of(r).m.decisions;
    check_index(decision, decisions.size(), "decision");
    const auto& rules = decisions[decision].rules;
    check_index(index, rules.size(), "rule index");
    *out = rules[index].id.c_str();
  });
}

size_t chanrules_rules_source_file_count(const chanrules_rules* r) {
  return r ? r->source_files.size() : 0;
}

chanrules_code chanrules_rules_source_file(const chanrules_rules* r, size_t i, const char** path,
                                           chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the rule set");
    require(path, "the output pointer");
    check_index(i, r->source_files.size(), "source file");
    *path = r->source_files[i].c_str();
  });
}

const char* chanrules_rules_base_dir(const chanrules_rules* r) {
  return r ? program_of(r).m.base_dir.c_str() : "";
}

// ---- Classifying columns ----

chanrules_code chanrules_classify_columns(const chanrules_rules* rules,
                                          const chanrules_column* columns, size_t column_count,
                                          size_t rows, const chanrules_classify_options* options,
                                          chanrules_result** out, chanrules_status** status) {
  if (out) *out = nullptr;
  return guarded(status, [&] {
    require(rules, "the rule set");
    require(out, "the output pointer");
    if (column_count) require(columns, "the columns");
    if (rows > UINT32_MAX)
      fail(CHANRULES_INVALID_ARGUMENT, std::to_string(rows) +
                                           " rows in one call; classify at most 4294967295 rows "
                                           "at a time");
    auto result = std::make_unique<chanrules_result>();
    {
      chanrules::batch b(*rules->rules);
      column_loader loader(*rules, rows, options ? options->flags : 0);
      loader.load(columns, column_count, b, *result);
      rules->rules->classify(b, result->c);
    }
    blank_rejected_rows(*result);
    *out = result.release();
  });
}

// ---- Results ----

size_t chanrules_result_rows(const chanrules_result* r) { return r ? r->c.rows() : 0; }
size_t chanrules_result_rejected_rows(const chanrules_result* r) {
  return r ? r->rejects.size() : 0;
}

chanrules_code chanrules_result_outcome_codes(const chanrules_result* r, size_t decision,
                                              const uint16_t** codes, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the result");
    require(codes, "the output pointer");
    check_index(decision, r->c.decision_count(), "decision");
    *codes = r->c.outcome_codes(decision);
  });
}

chanrules_code chanrules_result_rule_indices(const chanrules_result* r, size_t decision,
                                             const uint16_t** indices, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the result");
    require(indices, "the output pointer");
    check_index(decision, r->c.decision_count(), "decision");
    *indices = r->c.rule_indices(decision);
  });
}

chanrules_code chanrules_result_outcome(const chanrules_result* r, size_t decision, size_t row,
                                        const char** label, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the result");
    require(label, "the output pointer");
    check_index(decision, r->c.decision_count(), "decision");
    check_index(row, r->c.rows(), "row");
    uint16_t code = r->c.outcome_codes(decision)[row];
    *label = code == chanrules::classification::no_outcome
                 ? ""
                 : r->c.outcome_labels(decision)[code].c_str();
  });
}

chanrules_code chanrules_result_rule_id(const chanrules_result* r, size_t decision, size_t row,
                                        const char** id, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the result");
    require(id, "the output pointer");
    check_index(decision, r->c.decision_count(), "decision");
    check_index(row, r->c.rows(), "row");
    // rule_id() returns views of NUL-terminated strings (the rule ids, "default", "").
    *id = r->c.rule_id(decision, row).data();
    if (!*id) *id = "";
  });
}

chanrules_code chanrules_result_missing_fields(const chanrules_result* r, size_t decision,
                                               size_t row, size_t* fields, size_t capacity,
                                               size_t* count, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the result");
    require(count, "the count pointer");
    if (capacity) require(fields, "the field array");
    check_index(decision, r->c.decision_count(), "decision");
    check_index(row, r->c.rows(), "row");
    using access = chanrules::detail::result_access;
    const auto& bits = access::missing(const_cast<chanrules::classification&>(r->c))[decision];
    const size_t per_row = access::missing_row_bits(r->c);
    const size_t n_fields = access::prog(r->c).m.fields.size();
    size_t n = 0;
    for (size_t f = 0; f < n_fields && f < per_row; ++f) {
      size_t bit = row * per_row + f;
      if (!((bits[bit / 64] >> (bit % 64)) & 1)) continue;
      if (n < capacity) fields[n] = f;
      ++n;
    }
    *count = n;
  });
}

chanrules_code chanrules_result_reject(const chanrules_result* r, size_t row, const char** reason,
                                       size_t* field, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the result");
    require(reason, "the reason pointer");
    check_index(row, r->c.rows(), "row");
    *reason = nullptr;
    if (field) *field = SIZE_MAX;
    auto it =
        std::lower_bound(r->rejects.begin(), r->rejects.end(), row,
                         [](const chanrules_result::reject& a, size_t b) { return a.row < b; });
    if (it == r->rejects.end() || it->row != row) return;
    *reason = it->reason.c_str();
    if (field) *field = it->field;
  });
}

size_t chanrules_result_warning_count(const chanrules_result* r) {
  return r ? r->warnings.size() : 0;
}

chanrules_code chanrules_result_warning(const chanrules_result* r, size_t i, const char** text,
                                        chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the result");
    require(text, "the output pointer");
    check_index(i, r->warnings.size(), "warning");
    *text = r->warnings[i].c_str();
  });
}

void chanrules_result_free(chanrules_result* r) { delete r; }

// ---- Classifying CSV ----

// The CSV path of the library is file-based (its output is renamed into place only when the
// whole run succeeded, it may spill to files beside the output), so a buffer goes through a
// private temporary folder: the same code as `chanrules classify`, hence the same output
// byte for byte. Callers with data in memory and no need for CSV use the columns instead.
chanrules_code chanrules_classify_csv(const chanrules_rules* rules, const char* data, size_t size,
                                      const chanrules_csv_options* options,
                                      chanrules_csv_result** out, chanrules_status** status) {
  if (out) *out = nullptr;
  return guarded(status, [&] {
    require(rules, "the rule set");
    require(out, "the output pointer");
    if (size) require(data, "the CSV data");
    chanrules::csv_options co;
    if (options) {
      co.reasons = (options->flags & CHANRULES_CSV_REASONS) != 0;
      co.excel_safe = (options->flags & CHANRULES_CSV_EXCEL_SAFE) != 0;
      if (options->flags & CHANRULES_CSV_MAX_REJECTS) co.max_rejects = options->max_rejects;
      if (options->flags & CHANRULES_CSV_LIMITS) {
        co.max_field_size = options->max_field_size;
        co.max_record_size = options->max_record_size;
        co.max_fields = options->max_fields;
        if (co.max_field_size == 0 || co.max_record_size == 0 || co.max_fields == 0 ||
            co.max_record_size > (size_t{1} << 30))
          fail(CHANRULES_INVALID_ARGUMENT,
               "with CHANRULES_CSV_LIMITS, max_field_size, max_record_size and max_fields must "
               "be at least 1, and max_record_size at most 1073741824");
      }
      switch (options->encoding) {
        case CHANRULES_ENCODING_AUTO:
          co.encoding = chanrules::input_encoding::automatic;
          break;
        case CHANRULES_ENCODING_UTF8:
          co.encoding = chanrules::input_encoding::utf8;
          break;
        case CHANRULES_ENCODING_GB18030:
          co.encoding = chanrules::input_encoding::gb18030;
          break;
        default:
          fail(CHANRULES_INVALID_ARGUMENT,
               "unknown encoding " + std::to_string(static_cast<int>(options->encoding)));
      }
      if (options->decision_count) require(options->decisions, "the decision names");
      for (size_t i = 0; i < options->decision_count; ++i) {
        if (!options->decisions[i])
          fail(CHANRULES_INVALID_ARGUMENT, "decision name " + std::to_string(i) + " is NULL");
        co.decisions.emplace_back(options->decisions[i]);
      }
    }
    auto result = std::make_unique<chanrules_csv_result>();
    {
      temp_folder dir;
      const std::string in = dir.file("input.csv"), output = dir.file("output.csv"),
                        rejects = dir.file("rejects.csv");
      write_whole_file(in, data, size);
      result->summary = chanrules::classify_csv(*rules->rules, in, output, rejects, co);
      if (!result->summary.ok) fail(CHANRULES_DATA_ERROR, result->summary.error);
      result->output = read_whole_file(output);
      result->rejects = read_whole_file(rejects);
    }
    *out = result.release();
  });
}

const char* chanrules_csv_result_output(const chanrules_csv_result* r, size_t* size) {
  if (size) *size = r ? r->output.size() : 0;
  return r ? r->output.c_str() : "";
}

const char* chanrules_csv_result_rejects(const chanrules_csv_result* r, size_t* size) {
  if (size) *size = r ? r->rejects.size() : 0;
  return r ? r->rejects.c_str() : "";
}

chanrules_code chanrules_csv_result_summary(const chanrules_csv_result* r,
                                            chanrules_csv_summary* out, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the CSV result");
    require(out, "the output pointer");
    out->rows_in = r->summary.rows_in;
    out->rows_out = r->summary.rows_out;
    out->rows_rejected = r->summary.rows_rejected;
    out->rows_with_missing = r->summary.rows_with_missing;
    out->encoding = r->summary.encoding.c_str();
  });
}

size_t chanrules_csv_result_warning_count(const chanrules_csv_result* r) {
  return r ? r->summary.warnings.size() : 0;
}

chanrules_code chanrules_csv_result_warning(const chanrules_csv_result* r, size_t i,
                                            const char** text, chanrules_status** status) {
  return guarded(status, [&] {
    require(r, "the CSV result");
    require(text, "the output pointer");
    check_index(i, r->summary.warnings.size(), "warning");
    *text = r->summary.warnings[i].c_str();
  });
}

void chanrules_csv_result_free(chanrules_csv_result* r) { delete r; }

// ---- Explaining ----

chanrules_code chanrules_explain_json(const chanrules_rules* rules, const char* const* names,
                                      const char* const* values, size_t count, char** json,
                                      chanrules_status** status) {
  if (json) *json = nullptr;
  return guarded(status, [&] {
    require(rules, "the rule set");
    require(json, "the output pointer");
    if (count) {
      require(names, "the field names");
      require(values, "the values");
    }
    std::map<std::string, std::string> record;
    for (size_t i = 0; i < count; ++i) {
      if (!names[i])
        fail(CHANRULES_INVALID_ARGUMENT, "field name " + std::to_string(i) + " is NULL");
      record[names[i]] = values[i] ? values[i] : "";
    }
    *json = copy_to_malloc(rules->rules->explain(record).to_json());
  });
}

}  // extern "C"
