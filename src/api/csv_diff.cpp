// diff_csv(): one pass over a CSV export, validated and classified by two rule sets, to
// preview what a change to the standard or to a manufacturer list does (`chanrules diff`).
//
// Each record is read once by io::csv_reader and validated independently by each rule set
// into that rule set's own batch (the two may declare different fields, types, ranges or
// required columns). When the batches are full both are classified, and every record is
// counted in one cell of each compared decision's transition matrix; the records whose
// class changed, or that only one rule set accepted, are written to the changes file.
// Memory: two batches of options.batch_rows records, their input bytes, the matrices, and
// the `unique` values already accepted (as classify_csv keeps them).
#include <chanrules/diff.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "common/source.h"
#include "common/values.h"
#include "compile/string_table.h"
#include "io/byte_stream.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"
#include "io/encoding.h"

namespace chanrules {

namespace {

constexpr uint32_t kNoRow = UINT32_MAX;

struct failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::unique_ptr<io::byte_source> open_input(const std::string& path, input_encoding encoding,
                                            std::string* detected) {
  std::unique_ptr<io::byte_source> raw;
  if (path == "-") {
    raw = std::make_unique<io::fd_source>(0, "<stdin>");
  } else {
    raw = std::make_unique<io::file_source>(path);
  }
  struct stat st;
  bool regular = path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  io::utf8_input in;
  if (encoding == input_encoding::utf8) {
    in = io::open_utf8_input(std::move(raw), io::encoding::utf8);
  } else if (encoding == input_encoding::gb18030) {
    in = io::open_utf8_input(std::move(raw), io::encoding::gb18030);
  } else if (regular) {
    // The contract's rule ("decodes as UTF-8, else GB18030") applied to the whole file, as
    // classify_csv does; a pipe can be read only once, so it is decided from a sample.
    in = io::open_utf8_input(std::move(raw), io::detect_file_encoding(path));
  } else {
    in = io::open_utf8_input(std::move(raw));
  }
  *detected = io::to_string(in.detected);
  return std::move(in.source);
}

// One rule set's view of the input: which column holds each of its fields, its batch, its
// result, and the unique values it has accepted so far.
struct side {
  side(const rule_set& r, size_t capacity) : rules(r), rows(r, capacity) {}

  const rule_set& rules;
  batch rows;
  classification result;
  std::vector<int> column_of_field;
  std::vector<std::string_view> values;
  std::vector<size_t> unique_fields;
  std::vector<detail::string_table> seen;
  std::vector<std::vector<uint64_t>> first_line;

  // Why this rule set rejects the current record, or nothing: then the record is the
  // batch's last row.
  struct verdict {
    bool accepted = false;
    std::string column;
    std::string reason;
  };

  // Validates a well-formed record (as many fields as the header) exactly as classify_csv
  // does: unique values first, then each field by its type, then required fields.
  verdict add(const io::csv_reader& reader, uint64_t line) {
    for (size_t f = 0; f < values.size(); ++f)
      values[f] = column_of_field[f] >= 0 ? reader[static_cast<size_t>(column_of_field[f])]
                                          : std::string_view();
    verdict v;
    for (size_t i = 0; i < unique_fields.size(); ++i) {
      size_t f = unique_fields[i];
      std::string_view text = detail::trim_blanks(values[f]);
      uint32_t entry = seen[i].find(text);
      if (entry == detail::string_table::not_found) continue;
      v.column = rules.field_name(f);
      v.reason = "duplicate " + rules.field_name(f) + " " + detail::quote_for_message(text) +
                 " (first accepted on line " + std::to_string(first_line[i][entry]) + ")";
      return v;
    }
    std::string why;
    size_t bad = 0;
    if (!rows.add_record(values, &why, &bad)) {
      v.column = rules.field_name(bad);
      // add_record says "field: reason"; the column is reported on its own.
      size_t colon = why.find(": ");
      v.reason = colon == std::string::npos ? why : why.substr(colon + 2);
      return v;
    }
    for (size_t i = 0; i < unique_fields.size(); ++i) {
      seen[i].insert(detail::trim_blanks(values[unique_fields[i]]));
      first_line[i].push_back(line);
    }
    v.accepted = true;
    return v;
  }
};

// A decision both rule sets have: its index in each, and its matrix. Classes are numbered
// per rule set by label code, then no outcome, then rejected.
struct compared {
  size_t old_decision = 0;
  size_t new_decision = 0;
  size_t old_width = 0;  // old labels + 2
  size_t new_width = 0;  // new labels + 2
  // For each old class, the new class that would mean "unchanged" (same label, or the same
  // pseudo-class).
  std::vector<size_t> same;
  std::vector<uint64_t> cells;  // old_width * new_width
};

// A decision only one rule set has.
struct counted {
  size_t decision = 0;
  std::vector<uint64_t> counts;  // per label, then no outcome
};

// A record waiting for its batches to be classified.
struct pending {
  uint64_t line = 0;
  uint32_t old_row = kNoRow;  // row in the old batch, kNoRow when rejected by the old set
  uint32_t new_row = kNoRow;
  uint32_t reason = kNoRow;  // index in the reasons of a record rejected by one rule set
  size_t text_end = 0;       // end of its identity cells in `texts`
};

class diff_job {
 public:
  diff_job(const rule_set& old_rules, const rule_set& new_rules, const diff_options& options)
      : options_(options),
        old_(old_rules, options.batch_rows),
        new_(new_rules, options.batch_rows) {}

  diff_summary run(const std::string& input_path, const std::string& changes_path) {
    auto started = std::chrono::steady_clock::now();
    try {
      if (!changes_path.empty() && changes_path != "-" && input_path != "-")
        refuse_overwriting_input(input_path, changes_path);
      source_ = open_input(input_path, options_.encoding, &summary_.encoding);
      io::csv_reader_options ro;
      ro.max_field_size = options_.max_field_size;
      ro.max_record_size = options_.max_record_size;
      ro.max_fields = options_.max_fields;
      reader_ = std::make_unique<io::csv_reader>(*source_, ro);
      choose_decisions();
      if (!changes_path.empty()) open_changes(changes_path);
      process();
      if (writer_) writer_->flush();
      if (file_) file_->commit();
      finish();
      summary_.ok = true;
    } catch (const std::exception& e) {
      summary_.ok = false;
      summary_.error = e.what();
      if (file_) file_->abandon();
    }
    summary_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return std::move(summary_);
  }

 private:
  static void refuse_overwriting_input(const std::string& input, const std::string& output) {
    struct stat in, out;
    if (::stat(input.c_str(), &in) == 0 && ::stat(output.c_str(), &out) == 0 &&
        in.st_dev == out.st_dev && in.st_ino == out.st_ino)
      throw failure("the changes file " + output + " is the input file; name another file");
  }

  static size_t find_decision(const rule_set& rules, const std::string& name) {
    for (size_t d = 0; d < rules.decision_count(); ++d)
      if (rules.decision_name(d) == name) return d;
    return SIZE_MAX;
  }

  void add_compared(size_t od, size_t nd) {
    const auto& old_labels = old_.rules.outcome_labels(od);
    const auto& new_labels = new_.rules.outcome_labels(nd);
    compared c;
    c.old_decision = od;
    c.new_decision = nd;
    c.old_width = old_labels.size() + 2;
    c.new_width = new_labels.size() + 2;
    for (const auto& label : old_labels) {
      auto it = std::find(new_labels.begin(), new_labels.end(), label);
      // A class the new rule set no longer has: every row of it changes.
      c.same.push_back(it == new_labels.end() ? SIZE_MAX
                                              : static_cast<size_t>(it - new_labels.begin()));
    }
    c.same.push_back(new_labels.size());      // no outcome stays no outcome
    c.same.push_back(new_labels.size() + 1);  // rejected stays rejected
    c.cells.assign(c.old_width * c.new_width, 0);
    compared_.push_back(std::move(c));
  }

  void choose_decisions() {
    const rule_set& o = old_.rules;
    const rule_set& n = new_.rules;
    if (!options_.decisions.empty()) {
      for (const std::string& name : options_.decisions) {
        size_t od = find_decision(o, name), nd = find_decision(n, name);
        if (od == SIZE_MAX && nd == SIZE_MAX)
          throw failure("neither rule set has a decision '" + name + "'");
        if (od == SIZE_MAX) throw failure("the old rule set has no decision '" + name + "'");
        if (nd == SIZE_MAX) throw failure("the new rule set has no decision '" + name + "'");
        for (const auto& c : compared_)
          if (c.old_decision == od) throw failure("the decision '" + name + "' is named twice");
        add_compared(od, nd);
      }
      return;
    }
    for (size_t od : o.output_decisions()) {
      size_t nd = find_decision(n, o.decision_name(od));
      if (nd != SIZE_MAX && n.decision_is_output(nd)) {
        add_compared(od, nd);
      } else {
        removed_.push_back({od, std::vector<uint64_t>(o.outcome_labels(od).size() + 1, 0)});
      }
    }
    for (size_t nd : n.output_decisions()) {
      size_t od = find_decision(o, n.decision_name(nd));
      if (od == SIZE_MAX || !o.decision_is_output(od))
        added_.push_back({nd, std::vector<uint64_t>(n.outcome_labels(nd).size() + 1, 0)});
    }
  }

  void open_changes(const std::string& path) {
    struct stat st;
    if (path != "-" && ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      // The file is replaced by renaming a temporary over it: a link, device or pipe would
      // be replaced instead of written to.
      throw failure(path +
                    " exists and is not a regular file; name a file, or '-' for "
                    "standard output");
    io::csv_writer_options wo;
    wo.excel_safe = options_.excel_safe;
    if (path == "-") {
      stream_ = std::make_unique<io::fd_sink>(1, "<stdout>");
      writer_ = std::make_unique<io::csv_writer>(*stream_, wo);
    } else {
      file_ = std::make_unique<io::atomic_file_writer>(path);
      writer_ = std::make_unique<io::csv_writer>(*file_, wo);
    }
  }

  // Maps the header's columns to each rule set's fields; fails on what classify_csv fails on.
  void map_columns(side& s, std::vector<std::string>& absent) {
    const rule_set& r = s.rules;
    s.column_of_field.assign(r.field_count(), -1);
    for (size_t c = 0; c < header_.size(); ++c)
      for (size_t f = 0; f < r.field_count(); ++f) {
        if (r.field_name(f) != header_[c]) continue;
        if (s.column_of_field[f] >= 0)
          throw failure("the header names the column '" + header_[c] + "' twice (columns " +
                        std::to_string(s.column_of_field[f] + 1) + " and " + std::to_string(c + 1) +
                        ")");
        s.column_of_field[f] = static_cast<int>(c);
      }
    for (size_t f = 0; f < r.field_count(); ++f) {
      if (s.column_of_field[f] >= 0) continue;
      if (r.field_required(f)) {
        bool both = false;
        const rule_set& other = &s == &old_ ? new_.rules : old_.rules;
        for (size_t g = 0; g < other.field_count(); ++g)
          both |= other.field_name(g) == r.field_name(f) && other.field_required(g);
        throw failure("the header has no column '" + r.field_name(f) + "', which " +
                      (both          ? "both rule sets require"
                       : &s == &old_ ? "the old rule set requires"
                                     : "the new rule set requires"));
      }
      absent.push_back(r.field_name(f));
    }
    s.values.assign(r.field_count(), {});
    for (size_t f = 0; f < r.field_count(); ++f)
      if (r.field_unique(f)) s.unique_fields.push_back(f);
    s.seen.resize(s.unique_fields.size());
    s.first_line.resize(s.unique_fields.size());
  }

  void read_header() {
    if (!reader_->next()) throw failure("the input is empty: it has no header row");
    if (!reader_->ok())
      throw failure("line " + std::to_string(reader_->line()) + ": the header cannot be read: " +
                    reader_->error() + io::limit_hint(reader_->broken_limit(), "diff_options"));
    for (size_t c = 0; c < reader_->size(); ++c)
      header_.emplace_back(detail::trim_blanks((*reader_)[c]));
    std::vector<std::string> old_absent, new_absent;
    map_columns(old_, old_absent);
    map_columns(new_, new_absent);
    for (const auto& name : old_absent) {
      bool both = std::find(new_absent.begin(), new_absent.end(), name) != new_absent.end();
      summary_.warnings.push_back("the input has no column '" + name +
                                  "': every row is read as missing it" +
                                  (both ? "" : " (old rule set)"));
    }
    for (const auto& name : new_absent)
      if (std::find(old_absent.begin(), old_absent.end(), name) == old_absent.end())
        summary_.warnings.push_back("the input has no column '" + name +
                                    "': every row is read as missing it (new rule set)");

    if (options_.key_columns.empty()) {
      for (size_t c = 0; c < header_.size(); ++c) key_.push_back(c);
    } else {
      for (const std::string& name : options_.key_columns) {
        auto it = std::find(header_.begin(), header_.end(), name);
        if (it == header_.end()) throw failure("the header has no key column '" + name + "'");
        size_t c = static_cast<size_t>(it - header_.begin());
        if (std::find(key_.begin(), key_.end(), c) != key_.end())
          throw failure("the key column '" + name + "' is named twice");
        key_.push_back(c);
      }
    }
    // Input cells are copied byte for byte unless only some are wanted or they must be
    // neutralised for spreadsheets; then they are written again, field by field.
    raw_keys_ = options_.key_columns.empty() && !options_.excel_safe;
    if (!writer_) return;

    std::vector<std::string> added = {"line", "change"};
    for (const auto& c : compared_) {
      const std::string& n = old_.rules.decision_name(c.old_decision);
      for (const char* suffix : {"_old", "_new", "_old_rule", "_new_rule"})
        added.push_back(n + suffix);
    }
    added.push_back("reason");
    for (size_t c : key_)
      if (std::find(added.begin(), added.end(), header_[c]) != added.end())
        throw failure("the input has a column '" + header_[c] +
                      "', which the changes file adds; use --key to leave it out");
    writer_->write_field("line");
    if (raw_keys_) {
      writer_->write_raw_fields(reader_->raw());
    } else {
      for (size_t c : key_) writer_->write_field((*reader_)[c]);
    }
    for (size_t i = 1; i < added.size(); ++i) writer_->write_field(added[i]);
    writer_->end_record();
  }

  void note_reject(uint64_t line, bool by_old, bool by_new, const std::string& column,
                   const std::string& reason) {
    if (summary_.first_rejects.size() < 10)
      summary_.first_rejects.push_back({line, by_old, by_new, column, reason});
  }

  // Keeps the identity cells of the current record until its batch is written.
  void keep_identity() {
    if (!writer_) return;
    if (raw_keys_) {
      texts_.append(reader_->raw());
      return;
    }
    if (!scratch_writer_) {
      io::csv_writer_options wo;
      wo.excel_safe = options_.excel_safe;
      wo.buffer_size = 4096;
      scratch_writer_ = std::make_unique<io::csv_writer>(scratch_, wo);
    }
    for (size_t c : key_) scratch_writer_->write_field((*reader_)[c]);
    scratch_writer_->end_record();
    scratch_writer_->flush();
    std::string row = scratch_.release();
    row.pop_back();  // the "\n": the other columns follow on the same line
    texts_.append(row);
  }

  void process() {
    read_header();
    const size_t header_size = header_.size();
    while (reader_->next()) {
      ++summary_.rows_in;
      if (options_.cancel && options_.cancel->load(std::memory_order_relaxed))
        throw failure("interrupted");
      uint64_t line = reader_->line();
      // A record that is not even CSV, or has the wrong number of fields, is rejected by
      // both rule sets alike.
      if (!reader_->ok()) {
        ++summary_.rows_rejected_both;
        // A field over max_field_size is named by its column; other problems are the
        // record's.
        const bool in_column = reader_->broken_limit() == io::csv_reader::limit::field_size &&
                               reader_->limit_field() < header_size;
        note_reject(line, true, true, in_column ? header_[reader_->limit_field()] : "",
                    reader_->error() + io::limit_hint(reader_->broken_limit(), "diff_options"));
        continue;
      }
      if (reader_->size() != header_size) {
        ++summary_.rows_rejected_both;
        note_reject(line, true, true, "",
                    "the record has " + std::to_string(reader_->size()) +
                        " fields; the header has " + std::to_string(header_size));
        continue;
      }
      side::verdict o = old_.add(*reader_, line);
      side::verdict n = new_.add(*reader_, line);
      if (!o.accepted && !n.accepted) {
        ++summary_.rows_rejected_both;
        note_reject(line, true, true, o.column, o.reason);
        continue;
      }
      pending p;
      p.line = line;
      if (o.accepted) p.old_row = static_cast<uint32_t>(old_.rows.size() - 1);
      if (n.accepted) p.new_row = static_cast<uint32_t>(new_.rows.size() - 1);
      if (!o.accepted || !n.accepted) {
        const side::verdict& v = o.accepted ? n : o;
        ++(o.accepted ? summary_.rows_rejected_new : summary_.rows_rejected_old);
        note_reject(line, !o.accepted, !n.accepted, v.column, v.reason);
        p.reason = static_cast<uint32_t>(reasons_.size());
        reasons_.push_back(v.column.empty() ? v.reason : v.column + ": " + v.reason);
      }
      keep_identity();
      p.text_end = texts_.size();
      pending_.push_back(p);
      if (pending_.size() >= options_.batch_rows) flush();
    }
    flush();
  }

  // Index of a row's class in a decision's matrix: its label code, then no outcome, then
  // rejected.
  static size_t class_index(const classification& result, size_t decision, uint32_t row,
                            size_t labels) {
    if (row == kNoRow) return labels + 1;
    uint16_t code = result.outcome_codes(decision)[row];
    return code == classification::no_outcome ? labels : code;
  }

  static void count_only(const side& s, std::vector<counted>& decisions, uint32_t row) {
    if (row == kNoRow) return;
    for (auto& d : decisions) {
      uint16_t code = s.result.outcome_codes(d.decision)[row];
      ++d.counts[code == classification::no_outcome ? d.counts.size() - 1 : code];
    }
  }

  void write_row(const pending& p, size_t text_begin) {
    writer_->write_field(std::to_string(p.line));
    writer_->write_raw_fields(std::string_view(texts_).substr(text_begin, p.text_end - text_begin));
    writer_->write_field(p.old_row == kNoRow   ? "rejected by old"
                         : p.new_row == kNoRow ? "rejected by new"
                                               : "changed");
    for (const auto& c : compared_) {
      bool has_old = p.old_row != kNoRow, has_new = p.new_row != kNoRow;
      writer_->write_field(has_old ? old_.result.outcome(c.old_decision, p.old_row) : "");
      writer_->write_field(has_new ? new_.result.outcome(c.new_decision, p.new_row) : "");
      writer_->write_field(has_old ? old_.result.rule_id(c.old_decision, p.old_row) : "");
      writer_->write_field(has_new ? new_.result.rule_id(c.new_decision, p.new_row) : "");
    }
    writer_->write_field(p.reason == kNoRow ? std::string_view() : reasons_[p.reason]);
    writer_->end_record();
    ++summary_.rows_written;
  }

  void flush() {
    if (pending_.empty()) return;
    if (old_.rows.size() > 0) old_.rules.classify(old_.rows, old_.result);
    if (new_.rows.size() > 0) new_.rules.classify(new_.rows, new_.result);
    size_t text_begin = 0;
    for (const pending& p : pending_) {
      bool changed = false;
      for (auto& c : compared_) {
        size_t o = class_index(old_.result, c.old_decision, p.old_row, c.old_width - 2);
        size_t n = class_index(new_.result, c.new_decision, p.new_row, c.new_width - 2);
        ++c.cells[o * c.new_width + n];
        changed |= c.same[o] != n;
      }
      count_only(old_, removed_, p.old_row);
      count_only(new_, added_, p.new_row);
      bool both = p.old_row != kNoRow && p.new_row != kNoRow;
      if (both) {
        ++summary_.rows_compared;
        summary_.rows_changed += changed;
      }
      if (writer_ && (changed || !both)) write_row(p, text_begin);
      text_begin = p.text_end;
    }
    pending_.clear();
    texts_.clear();
    reasons_.clear();
    old_.rows.clear();
    new_.rows.clear();
  }

  static decision_counts to_counts(const rule_set& rules, const counted& c) {
    decision_counts out;
    out.name = rules.decision_name(c.decision);
    const auto& labels = rules.outcome_labels(c.decision);
    for (size_t i = 0; i < labels.size(); ++i) out.counts.emplace_back(labels[i], c.counts[i]);
    out.no_outcome = c.counts.back();
    return out;
  }

  void finish() {
    for (const auto& c : compared_) {
      decision_diff d;
      d.name = old_.rules.decision_name(c.old_decision);
      const auto& old_labels = old_.rules.outcome_labels(c.old_decision);
      const auto& new_labels = new_.rules.outcome_labels(c.new_decision);
      for (size_t o = 0; o < c.old_width; ++o)
        for (size_t n = 0; n < c.new_width; ++n) {
          uint64_t rows = c.cells[o * c.new_width + n];
          if (rows == 0) continue;
          diff_transition t;
          t.old_label = o < old_labels.size() ? old_labels[o] : "";
          t.new_label = n < new_labels.size() ? new_labels[n] : "";
          t.old_rejected = o == c.old_width - 1;
          t.new_rejected = n == c.new_width - 1;
          t.old_index = o;
          t.new_index = n;
          t.rows = rows;
          if (c.same[o] != n) d.rows_changed += rows;
          d.transitions.push_back(std::move(t));
        }
      summary_.decisions.push_back(std::move(d));
    }
    for (const auto& c : removed_) summary_.removed.push_back(to_counts(old_.rules, c));
    for (const auto& c : added_) summary_.added.push_back(to_counts(new_.rules, c));
  }

  const diff_options& options_;
  diff_summary summary_;
  side old_, new_;
  std::vector<compared> compared_;
  std::vector<counted> removed_, added_;
  std::unique_ptr<io::byte_source> source_;
  std::unique_ptr<io::csv_reader> reader_;
  std::unique_ptr<io::atomic_file_writer> file_;
  std::unique_ptr<io::fd_sink> stream_;
  std::unique_ptr<io::csv_writer> writer_;
  io::string_sink scratch_;
  std::unique_ptr<io::csv_writer> scratch_writer_;
  std::vector<std::string> header_;
  std::vector<size_t> key_;
  bool raw_keys_ = true;
  std::vector<pending> pending_;
  std::string texts_;  // identity cells of the pending records, encoded as CSV
  std::vector<std::string> reasons_;
};

void append_class(std::string& out, const std::string& label, bool rejected) {
  if (rejected) {
    out += "null";
  } else {
    detail::append_json_string(out, label);
  }
}

void append_counts(std::string& out, const std::vector<decision_counts>& list) {
  out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    out += i ? ",{\"name\":" : "{\"name\":";
    detail::append_json_string(out, list[i].name);
    out += ",\"counts\":{";
    for (size_t j = 0; j < list[i].counts.size(); ++j) {
      if (j) out += ',';
      detail::append_json_string(out, list[i].counts[j].first);
      out += ':' + std::to_string(list[i].counts[j].second);
    }
    out += "},\"no_outcome\":" + std::to_string(list[i].no_outcome) + '}';
  }
  out += ']';
}

void append_rule_set(std::string& out, const char* key, const rule_set& rules) {
  out += '"';
  out += key;
  out += "\":{\"name\":";
  detail::append_json_string(out, rules.name());
  out += ",\"version\":";
  detail::append_json_string(out, rules.version());
  out += '}';
}

}  // namespace

diff_summary diff_csv(const rule_set& old_rules, const rule_set& new_rules,
                      const std::string& input_path, const std::string& changes_path,
                      const diff_options& options) {
  if (options.batch_rows == 0 || options.batch_rows > (size_t{1} << 24)) {
    diff_summary s;
    s.error = "batch_rows must be between 1 and 16777216";
    return s;
  }
  if (options.max_field_size == 0 || options.max_record_size == 0 || options.max_fields == 0) {
    diff_summary s;
    s.error = "diff_options::max_field_size, max_record_size and max_fields must be at least 1";
    return s;
  }
  try {
    diff_job job(old_rules, new_rules, options);
    return job.run(input_path, changes_path);
  } catch (const std::exception& e) {
    // Only allocation failures can get here (the batches are made before run()).
    diff_summary s;
    s.error = e.what();
    return s;
  }
}

std::string to_json(const diff_summary& s, const rule_set& old_rules, const rule_set& new_rules) {
  std::string out = "{";
  append_rule_set(out, "old", old_rules);
  out += ',';
  append_rule_set(out, "new", new_rules);
  out += ",\"encoding\":";
  detail::append_json_string(out, s.encoding);
  auto number = [&out](const char* key, uint64_t v) {
    out += ",\"";
    out += key;
    out += "\":" + std::to_string(v);
  };
  number("rows_in", s.rows_in);
  number("rows_compared", s.rows_compared);
  number("rows_rejected_both", s.rows_rejected_both);
  number("rows_rejected_old", s.rows_rejected_old);
  number("rows_rejected_new", s.rows_rejected_new);
  number("rows_changed", s.rows_changed);
  number("rows_written", s.rows_written);
  out += ",\"decisions\":[";
  for (size_t i = 0; i < s.decisions.size(); ++i) {
    const decision_diff& d = s.decisions[i];
    out += i ? ",{\"name\":" : "{\"name\":";
    detail::append_json_string(out, d.name);
    out += ",\"rows_changed\":" + std::to_string(d.rows_changed) + ",\"transitions\":[";
    for (size_t j = 0; j < d.transitions.size(); ++j) {
      const diff_transition& t = d.transitions[j];
      out += j ? ",{\"old\":" : "{\"old\":";
      append_class(out, t.old_label, t.old_rejected);
      out += ",\"new\":";
      append_class(out, t.new_label, t.new_rejected);
      out += ",\"rows\":" + std::to_string(t.rows) + '}';
    }
    out += "]}";
  }
  out += "],\"added\":";
  append_counts(out, s.added);
  out += ",\"removed\":";
  append_counts(out, s.removed);
  out += ",\"rejects\":[";
  for (size_t i = 0; i < s.first_rejects.size(); ++i) {
    const diff_reject& r = s.first_rejects[i];
    out += i ? ",{\"line\":" : "{\"line\":";
    out += std::to_string(r.line);
    out += ",\"by\":";
    out += r.by_old && r.by_new ? "\"both\"" : r.by_old ? "\"old\"" : "\"new\"";
    out += ",\"column\":";
    detail::append_json_string(out, r.column);
    out += ",\"reason\":";
    detail::append_json_string(out, r.reason);
    out += '}';
  }
  out += "],\"warnings\":[";
  for (size_t i = 0; i < s.warnings.size(); ++i) {
    if (i) out += ',';
    detail::append_json_string(out, s.warnings[i]);
  }
  out += "]}";
  return out;
}

}  // namespace chanrules
