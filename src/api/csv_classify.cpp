// classify_csv(): the export contract's read -> validate -> classify -> write loop.
//
// Records are read in bulk by io::csv_reader, validated into a batch (bad rows go to the
// rejects with line, column and reason), classified a batch at a time, and written after
// their input bytes, which are copied through unchanged. Output and rejects go to
// temporary files that are renamed into place only at the very end.
#include <chanrules/csv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "common/values.h"
#include "compile/string_table.h"
#include "exec/batch_impl.h"
#include "io/byte_stream.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"
#include "io/encoding.h"

namespace chanrules {

namespace {

// A sink that is either an atomic file or standard output.
struct output_target {
  std::unique_ptr<io::atomic_file_writer> file;
  std::unique_ptr<io::fd_sink> stream;
  io::byte_sink& sink() {
    if (file) return *file;
    return *stream;
  }
  static output_target open(const std::string& path) {
    output_target t;
    struct stat st;
    if (path != "-" && ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      // The output replaces the file by renaming a temporary over it: a symbolic link would
      // be replaced instead of followed, a device or pipe would be replaced by a file.
      throw std::runtime_error(path +
                               " exists and is not a regular file; name a file, or '-' "
                               "for standard output");
    if (path == "-") {
      t.stream = std::make_unique<io::fd_sink>(1, "<stdout>");
    } else {
      t.file = std::make_unique<io::atomic_file_writer>(path);
    }
    return t;
  }
};

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::unique_ptr<io::byte_source> open_utf8(const std::string& path, input_encoding encoding,
                                           std::string* detected, uint64_t* total_bytes) {
  std::unique_ptr<io::byte_source> raw;
  if (path == "-") {
    raw = std::make_unique<io::fd_source>(0, "<stdin>");
  } else {
    struct stat st;
    if (total_bytes && ::stat(path.c_str(), &st) == 0)
      *total_bytes = static_cast<uint64_t>(st.st_size);
    raw = std::make_unique<io::file_source>(path);
  }
  io::utf8_input in;
  if (encoding == input_encoding::utf8) {
    in = io::open_utf8_input(std::move(raw), io::encoding::utf8);
  } else if (encoding == input_encoding::gb18030) {
    in = io::open_utf8_input(std::move(raw), io::encoding::gb18030);
  } else if (path != "-" && is_regular_file(path)) {
    // A regular file can be scanned whole first, so the contract's rule applies exactly.
    // (A pipe named by a path, such as <(...), can be read only once: it is sampled below.)
    in = io::open_utf8_input(std::move(raw), io::detect_file_encoding(path));
  } else {
    in = io::open_utf8_input(std::move(raw));
  }
  if (detected) *detected = io::to_string(in.detected);
  return std::move(in.source);
}

class csv_job {
 public:
  csv_job(const rule_set& rules, const csv_options& options) : rules_(rules), options_(options) {}

  csv_summary run(const std::string& input_path, const std::string& output_path,
                  const std::string& rejects_path) {
    auto started = std::chrono::steady_clock::now();
    try {
      open_input(input_path);
      out_ = output_target::open(output_path);
      io::csv_writer_options oo;
      oo.excel_safe = options_.excel_safe;
      out_writer_ = std::make_unique<io::csv_writer>(out_.sink(), oo);
      if (options_.excel_safe) safe_writer_ = std::make_unique<io::csv_writer>(safe_sink_, oo);
      if (!rejects_path.empty()) {
        rej_ = output_target::open(rejects_path);
        io::csv_writer_options ro;
        ro.excel_safe = options_.excel_safe;
        rej_writer_ = std::make_unique<io::csv_writer>(rej_.sink(), ro);
        rej_writer_->write_record({"line", "column", "reason", "record"});
      }
      process();
      out_writer_->flush();
      if (rej_writer_) rej_writer_->flush();
      // Rejects first: if the output commit then fails, the run failed and says so, but a
      // successful output never exists without its rejects.
      if (rej_.file) rej_.file->commit();
      if (out_.file) out_.file->commit();
      summary_.ok = true;
    } catch (const std::exception& e) {
      summary_.ok = false;
      summary_.error = e.what();
      if (out_.file) out_.file->abandon();
      if (rej_.file) rej_.file->abandon();
    }
    summary_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return std::move(summary_);
  }

 private:
  struct failure : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  void open_input(const std::string& path) {
    source_ = open_utf8(path, options_.encoding, &summary_.encoding, &total_bytes_);
    reader_ = std::make_unique<io::csv_reader>(*source_);
  }

  void read_header() {
    if (!reader_->next()) throw failure("the input is empty: it has no header row");
    if (!reader_->ok())
      throw failure("line " + std::to_string(reader_->line()) +
                    ": the header cannot be read: " + reader_->error());
    header_size_ = reader_->size();
    column_of_field_.assign(rules_.field_count(), -1);
    for (size_t c = 0; c < reader_->size(); ++c) {
      std::string name(detail::trim_blanks((*reader_)[c]));
      header_names_.push_back(name);
      for (size_t f = 0; f < rules_.field_count(); ++f) {
        if (rules_.field_name(f) != name) continue;
        if (column_of_field_[f] >= 0)
          throw failure("the header names the column '" + name + "' twice (columns " +
                        std::to_string(column_of_field_[f] + 1) + " and " + std::to_string(c + 1) +
                        ")");
        column_of_field_[f] = static_cast<int>(c);
      }
    }
    for (size_t f = 0; f < rules_.field_count(); ++f) {
      if (column_of_field_[f] >= 0) continue;
      if (rules_.field_required(f))
        throw failure("the header has no column '" + rules_.field_name(f) +
                      "', which the rule set requires");
      summary_.warnings.push_back("the input has no column '" + rules_.field_name(f) +
                                  "': every row is read as missing it");
    }
    // Output columns.
    if (options_.decisions.empty()) {
      decisions_ = rules_.output_decisions();
    } else {
      for (const std::string& name : options_.decisions) {
        size_t found = SIZE_MAX;
        for (size_t d = 0; d < rules_.decision_count(); ++d)
          if (rules_.decision_name(d) == name) found = d;
        if (found == SIZE_MAX) throw failure("the rule set has no decision '" + name + "'");
        if (std::find(decisions_.begin(), decisions_.end(), found) != decisions_.end())
          throw failure("the decision '" + name + "' is named twice in the columns");
        decisions_.push_back(found);
      }
    }
    for (size_t d : decisions_) {
      const std::string& n = rules_.decision_name(d);
      if (std::find(header_names_.begin(), header_names_.end(), n) != header_names_.end())
        throw failure("the input already has a column '" + n +
                      "'; chanrules would write a second one");
    }
    if (options_.excel_safe) {
      for (size_t c = 0; c < reader_->size(); ++c) out_writer_->write_field((*reader_)[c]);
    } else {
      out_writer_->write_raw_fields(reader_->raw());
    }
    for (size_t d : decisions_) {
      out_writer_->write_field(rules_.decision_name(d));
      if (options_.reasons) {
        out_writer_->write_field(rules_.decision_name(d) + "_rule");
        out_writer_->write_field(rules_.decision_name(d) + "_missing");
      }
    }
    out_writer_->end_record();
    for (size_t d : decisions_) {
      decision_summary s;
      s.name = rules_.decision_name(d);
      for (const auto& label : rules_.outcome_labels(d)) s.counts.emplace_back(label, 0);
      summary_.decisions.push_back(std::move(s));
    }
    unique_fields_.clear();
    for (size_t f = 0; f < rules_.field_count(); ++f)
      if (rules_.field_unique(f)) unique_fields_.push_back(f);
    seen_.resize(unique_fields_.size());
    first_line_.resize(unique_fields_.size());
  }

  void reject(uint64_t line, const std::string& column, const std::string& reason,
              std::string_view raw) {
    ++summary_.rows_rejected;
    if (summary_.first_rejects.size() < 10)
      summary_.first_rejects.push_back({line, column, reason});
    if (rej_writer_) {
      rej_writer_->write_field(std::to_string(line));
      rej_writer_->write_field(column);
      rej_writer_->write_field(reason);
      rej_writer_->write_field(raw);
      rej_writer_->end_record();
    }
    if (summary_.rows_rejected > options_.max_rejects)
      throw failure("more than " + std::to_string(options_.max_rejects) +
                    " rows rejected (--max-rejects); the first at line " +
                    std::to_string(summary_.first_rejects.front().line) + ": " +
                    summary_.first_rejects.front().reason);
  }

  void process() {
    read_header();
    batch rows(rules_, options_.batch_rows);
    std::vector<std::string_view> values(rules_.field_count());
    std::string raws;
    std::vector<size_t> raw_end;
    while (reader_->next()) {
      ++summary_.rows_in;
      if (options_.cancel && options_.cancel->load(std::memory_order_relaxed))
        throw failure("interrupted");
      uint64_t line = reader_->line();
      if (!reader_->ok()) {
        reject(line, "", reader_->error(), reader_->raw());
        continue;
      }
      if (reader_->size() != header_size_) {
        reject(line, "",
               "the record has " + std::to_string(reader_->size()) + " fields; the header has " +
                   std::to_string(header_size_),
               reader_->raw());
        continue;
      }
      for (size_t f = 0; f < values.size(); ++f)
        values[f] = column_of_field_[f] >= 0 ? (*reader_)[static_cast<size_t>(column_of_field_[f])]
                                             : std::string_view();
      std::string why;
      size_t bad = 0;
      if (is_duplicate(values, line)) continue;
      if (!rows.add_record(values, &why, &bad)) {
        reject(line, rules_.field_name(bad), why.substr(why.find(": ") + 2), reader_->raw());
        continue;
      }
      remember_unique(values, line);
      if (options_.excel_safe) {
        // Re-encode the input cells so none can start a formula; the raw bytes would.
        for (size_t c = 0; c < reader_->size(); ++c) safe_writer_->write_field((*reader_)[c]);
        safe_writer_->end_record();
        safe_writer_->flush();
        std::string row = safe_sink_.release();
        row.pop_back();  // the record's "\n": the class columns follow on the same line
        raws.append(row);
      } else {
        raws.append(reader_->raw());
      }
      raw_end.push_back(raws.size());
      if (rows.size() >= options_.batch_rows) flush(rows, raws, raw_end);
    }
    flush(rows, raws, raw_end);
  }

  // Unique fields: a later row reusing a value already accepted is rejected. Checked before
  // the row is added; remembered only once the row is accepted.
  bool is_duplicate(const std::vector<std::string_view>& values, uint64_t line) {
    for (size_t i = 0; i < unique_fields_.size(); ++i) {
      size_t f = unique_fields_[i];
      std::string_view v = detail::trim_blanks(values[f]);
      uint32_t entry = seen_[i].find(v);
      if (entry == detail::string_table::not_found) continue;
      reject(line, rules_.field_name(f),
             "duplicate " + rules_.field_name(f) + " " + detail::quote_for_message(v) +
                 " (first accepted on line " + std::to_string(first_line_[i][entry]) + ")",
             reader_->raw());
      return true;
    }
    return false;
  }

  void remember_unique(const std::vector<std::string_view>& values, uint64_t line) {
    for (size_t i = 0; i < unique_fields_.size(); ++i) {
      seen_[i].insert(detail::trim_blanks(values[unique_fields_[i]]));
      first_line_[i].push_back(line);
    }
  }

  void flush(batch& rows, std::string& raws, std::vector<size_t>& raw_end) {
    if (rows.size() == 0) return;
    rules_.classify(rows, result_);
    const classification& result = result_;
    size_t begin = 0;
    std::string missing_text;
    for (size_t r = 0; r < rows.size(); ++r) {
      out_writer_->write_raw_fields(std::string_view(raws).substr(begin, raw_end[r] - begin));
      begin = raw_end[r];
      bool any_missing = false;
      for (size_t k = 0; k < decisions_.size(); ++k) {
        size_t d = decisions_[k];
        uint16_t code = result.outcome_codes(d)[r];
        decision_summary& s = summary_.decisions[k];
        if (code == classification::no_outcome) {
          ++s.no_outcome;
          out_writer_->write_field({});
        } else {
          ++s.counts[code].second;
          out_writer_->write_field(s.counts[code].first);
        }
        bool missing = result.missing(d, r);
        s.with_missing += missing;
        any_missing |= missing;
        if (options_.reasons) {
          out_writer_->write_field(result.rule_id(d, r));
          missing_text.clear();
          if (missing)
            for (auto f : result.missing_fields(d, r)) {
              if (!missing_text.empty()) missing_text += ';';
              missing_text += f;
            }
          out_writer_->write_field(missing_text);
        }
      }
      summary_.rows_with_missing += any_missing;
      out_writer_->end_record();
    }
    summary_.rows_out += rows.size();
    rows.clear();
    raws.clear();
    raw_end.clear();
    if (options_.progress) {
      csv_progress p;
      p.rows = summary_.rows_in;
      p.bytes = reader_->offset();
      p.total_bytes = total_bytes_;
      options_.progress(p);
    }
  }

  const rule_set& rules_;
  const csv_options& options_;
  csv_summary summary_;
  classification result_;  // reused batch after batch
  std::unique_ptr<io::byte_source> source_;
  std::unique_ptr<io::csv_reader> reader_;
  output_target out_, rej_;
  std::unique_ptr<io::csv_writer> out_writer_, rej_writer_;
  io::string_sink safe_sink_;  // --excel-safe: one re-encoded row
  std::unique_ptr<io::csv_writer> safe_writer_;
  uint64_t total_bytes_ = 0;
  size_t header_size_ = 0;
  std::vector<std::string> header_names_;
  std::vector<int> column_of_field_;
  std::vector<size_t> decisions_;
  std::vector<size_t> unique_fields_;
  std::vector<detail::string_table> seen_;
  std::vector<std::vector<uint64_t>> first_line_;
};

}  // namespace

csv_lookup find_csv_record(const std::string& input_path, const std::string& column,
                           const std::string& value, input_encoding encoding) {
  csv_lookup out;
  try {
    auto source = open_utf8(input_path, encoding, nullptr, nullptr);
    io::csv_reader reader(*source);
    if (!reader.next() || !reader.ok()) {
      out.error = input_path + ": no readable header row";
      return out;
    }
    std::vector<std::string> header;
    int at = -1;
    for (size_t i = 0; i < reader.size(); ++i) {
      header.emplace_back(detail::trim_blanks(reader[i]));
      if (header.back() == column) at = static_cast<int>(i);
    }
    if (at < 0) {
      out.error = input_path + ": the header has no column '" + column + "'";
      return out;
    }
    while (reader.next()) {
      if (!reader.ok() || reader.size() != header.size()) continue;
      if (detail::trim_blanks(reader[static_cast<size_t>(at)]) != value) continue;
      out.found = true;
      out.line = reader.line();
      for (size_t i = 0; i < header.size(); ++i) out.record[header[i]] = std::string(reader[i]);
      return out;
    }
    out.error = input_path + ": no record with " + column + " " + detail::quote_for_message(value);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

csv_summary classify_csv(const rule_set& rules, const std::string& input_path,
                         const std::string& output_path, const std::string& rejects_path,
                         const csv_options& options) {
  csv_job job(rules, options);
  return job.run(input_path, output_path, rejects_path);
}

}  // namespace chanrules
