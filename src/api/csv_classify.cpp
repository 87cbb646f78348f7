// classify_csv(): the export contract's read -> validate -> classify -> write loop, on every
// core.
//
// The pipeline (queues between the threads; a fixed pool of pieces bounds what is in them):
//
//   reader thread             worker threads (jobs)              calling thread
//   io::csv_chunker  ──────▶  parse (csv_reader over the piece)  ──────▶  in input order:
//   (pieces of whole          validate into a batch,                    duplicates, counts,
//    records, ~1 MiB)         classify, format output rows               write output, rejects
//
// Pieces are numbered; the writer holds back a piece until all the earlier ones are written,
// so the output is in input order and byte for byte the same whatever the number of
// threads (jobs == 1 runs the same steps one after the other on the calling thread). The
// reader counts each piece's line feeds, so every piece knows the line it starts on. The
// writer keeps everything that depends on the rows before: duplicate detection (a row is a
// duplicate only of an earlier *accepted* row; beyond unique_memory settled at the end, see
// "ids beyond unique_memory" below), the counts and --max-rejects. Pieces are recycled
// through a fixed pool, which bounds the memory in flight.
//
// Output and rejects go to temporary files that are renamed into place only at the very end.
//
// Coverage (csv_options::coverage): each worker covers the batches it classifies; the sum is
// the coverage of every candidate row, and the rows the writer then finds to be duplicates
// are classified again from their input record and taken back out, so that the coverage is
// exactly that of the rows written.
#include <chanrules/coverage.h>
#include <chanrules/csv.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>

#include "api/coverage_internal.h"
#include "common/values.h"
#include "compile/string_table.h"
#include "exec/batch_impl.h"
#include "io/byte_stream.h"
#include "io/csv_chunker.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"
#include "io/encoding.h"
#include "io/key_index.h"
#include "io/spill_file.h"

namespace chanrules {

namespace {

using clock_type = std::chrono::steady_clock;

// A sink that is either an atomic file or standard output.
struct output_target {
  std::unique_ptr<io::atomic_file_writer> file;
  std::unique_ptr<io::fd_sink> stream;
  io::byte_sink& sink() {
    if (file) return *file;
    return *stream;
  }
  // `cancel` (may be null): a write to standard output blocked on a stalled reader ends
  // when a signal sets it (io::fd_sink::set_cancel).
  static output_target open(const std::string& path, const std::atomic<bool>* cancel = nullptr) {
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
      t.stream->set_cancel(cancel);
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

// Counts the bytes read from the file as it is (before GB18030 decoding): the progress
// bar's percent compares them with the file's size.
class counting_source : public io::byte_source {
 public:
  counting_source(std::unique_ptr<io::byte_source> inner, std::atomic<uint64_t>* count)
      : inner_(std::move(inner)), count_(count) {}
  size_t read(char* buf, size_t n) override {
    size_t got = inner_->read(buf, n);
    count_->fetch_add(got, std::memory_order_relaxed);
    return got;
  }
  const std::string& name() const override { return inner_->name(); }

 private:
  std::unique_ptr<io::byte_source> inner_;
  std::atomic<uint64_t>* count_;
};

// `cancel` (may be null): a read blocked on a pipe or FIFO ends when a signal sets it
// (io::fd_source::set_cancel), so Ctrl-C works on a stalled input. `raw_bytes` (may be
// null) counts the bytes read before decoding.
std::unique_ptr<io::byte_source> open_utf8(const std::string& path, input_encoding encoding,
                                           std::string* detected, uint64_t* total_bytes,
                                           const std::atomic<bool>* cancel = nullptr,
                                           std::atomic<uint64_t>* raw_bytes = nullptr) {
  std::unique_ptr<io::byte_source> raw;
  if (path == "-") {
    auto in = std::make_unique<io::fd_source>(0, "<stdin>");
    in->set_cancel(cancel);
    raw = std::move(in);
  } else {
    struct stat st;
    if (total_bytes && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      *total_bytes = static_cast<uint64_t>(st.st_size);
    auto in = std::make_unique<io::file_source>(path);
    in->set_cancel(cancel);
    raw = std::move(in);
  }
  if (raw_bytes) raw = std::make_unique<counting_source>(std::move(raw), raw_bytes);
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

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

struct failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The reader's limits, as the caller set them (every reader of the run uses the same, so
// that a record reads the same wherever it is read again).
io::csv_reader_options reader_options(const csv_options& options) {
  io::csv_reader_options ro;
  ro.max_field_size = options.max_field_size;
  ro.max_record_size = options.max_record_size;
  ro.max_fields = options.max_fields;
  return ro;
}

// Why the limits in `options` cannot be used; empty when they can.
std::string limits_problem(const csv_options& options) {
  constexpr size_t max_record = size_t{1} << 30;
  if (options.max_field_size == 0) return "csv_options::max_field_size must be at least 1";
  if (options.max_fields == 0) return "csv_options::max_fields must be at least 1";
  if (options.max_record_size == 0) return "csv_options::max_record_size must be at least 1";
  // A piece of work holds a whole record and is indexed with 32-bit offsets.
  if (options.max_record_size > max_record)
    return "csv_options::max_record_size is " + std::to_string(options.max_record_size) +
           " bytes; the most it can be is " + std::to_string(max_record) + " (1 GiB)";
  // A piece is chunk_bytes and at most one record more: within 32-bit offsets too.
  if (options.chunk_bytes > max_record)
    return "csv_options::chunk_bytes is " + std::to_string(options.chunk_bytes) +
           " bytes; the most it can be is " + std::to_string(max_record) + " (1 GiB)";
  return {};
}

// The reason for a record the reader refused, with how to raise a limit it broke.
std::string unreadable_reason(const io::csv_reader& reader) {
  return reader.error() + io::limit_hint(reader.broken_limit(), "csv_options");
}

std::string oversized_reason(const csv_options& options) {
  return "record longer than max_record_size (" + std::to_string(options.max_record_size) +
         " bytes)" + io::limit_hint(io::csv_reader::limit::record_size, "csv_options");
}

// --- a piece of work -------------------------------------------------------------------

enum class row_kind : uint8_t {
  unreadable,  // syntax error or wrong field count: rejected, never a duplicate
  invalid,     // a bad value: rejected, unless it is a duplicate (that reason comes first)
  candidate,   // classified: accepted unless it is a duplicate
};

struct row_entry {
  uint64_t line;                 // where the record starts
  uint32_t raw_begin, raw_size;  // the record's bytes in the piece
  uint32_t item;                 // unreadable/invalid: index in problems; candidate: in out_end
  uint32_t key;                  // index of its first unique value in key_end
  row_kind kind;
};

struct problem {
  // Invalid rows: the rule set's field. Unreadable rows: the input column of a field over
  // max_field_size. -1 when the record as a whole is bad.
  int field;
  std::string reason;
};

struct piece {
  uint64_t seq = 0;
  io::csv_chunk chunk;
  size_t start = 0;         // bytes of chunk before the first record to read (the header)
  uint64_t start_line = 0;  // line number at chunk[start]
  // Filled by a worker.
  std::vector<row_entry> rows;
  std::vector<problem> problems;
  std::string keys;  // unique values, trimmed, back to back
  std::vector<uint32_t> key_end;
  std::vector<uint64_t> key_hash;
  std::string out;  // formatted output rows of the candidates, back to back
  std::vector<uint32_t> out_end;
  std::vector<uint16_t> codes;    // candidates x written decisions
  std::vector<uint32_t> missing;  // per candidate: bit k = decision k decided with missing data
  std::exception_ptr error;

  void clear_results() {
    rows.clear();
    problems.clear();
    keys.clear();
    key_end.clear();
    key_hash.clear();
    out.clear();
    out_end.clear();
    codes.clear();
    missing.clear();
    error = nullptr;
  }
};

// A blocking FIFO that can be closed: pop() then returns null once it is empty.
template <class T>
class channel {
 public:
  void push(T item) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
  }
  bool pop(T& item) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return false;
    item = std::move(items_.front());
    items_.pop_front();
    return true;
  }
  // As pop(), but gives up after `timeout` (returns false with `timed_out` set).
  bool pop_for(T& item, std::chrono::milliseconds timeout, bool& timed_out) {
    std::unique_lock<std::mutex> lock(mutex_);
    timed_out = !ready_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; });
    if (timed_out || items_.empty()) return false;
    item = std::move(items_.front());
    items_.pop_front();
    return true;
  }
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
  bool closed_ = false;
};

// --- what every thread needs to know about the columns -----------------------------------

struct layout {
  size_t header_size = 0;
  std::vector<std::string> header_names;
  std::vector<int> column_of_field;  // per field: input column, or -1
  std::vector<size_t> decisions;     // written decisions
  std::vector<size_t> unique_fields;
  bool reasons = false;
  bool excel_safe = false;
  output_format format = output_format::csv;
  // Preformatted text per written decision: for every outcome code, the separator and
  // the cell (CSV: ",label"; JSON: ,"name":"label"), and the text for no outcome.
  std::vector<std::vector<std::string>> outcome_text;
  std::vector<std::string> no_outcome_text;
  std::vector<std::string> json_rule_key, json_missing_key;  // ,"name_rule": ...
  std::vector<std::string> json_column_key;                  // "col": (the first without ,)
};

// --- a worker: one piece at a time -----------------------------------------------------

class worker {
 public:
  worker(const rule_set& rules, const csv_options& options, const layout& lay)
      : rules_(rules), options_(options), lay_(lay), rows_(rules, options.batch_rows) {
    values_.resize(rules.field_count());
    if (options.coverage) covered_ = std::make_unique<coverage>(rules);
  }

  // The coverage of the batches classified so far (null without csv_options::coverage).
  const coverage* covered() const { return covered_.get(); }

  void process(piece& pc) {
    pc.clear_results();
    if (pc.chunk.error || pc.chunk.oversized) return;
    std::string_view text = pc.chunk.text().substr(pc.start);
    io::csv_reader_options ro = reader_options(options_);
    ro.skip_bom = false;  // the header (and a BOM before it) came out of the first piece
    ro.first_line = pc.start_line;
    io::csv_reader reader(text, ro);
    const char* base = pc.chunk.data.get();
    prefix_.clear();
    prefix_end_.clear();
    batch_raw_.clear();
    while (reader.next()) {
      row_entry e{};
      e.line = reader.line();
      std::string_view raw = reader.raw();
      e.raw_begin = raw.empty() ? 0 : static_cast<uint32_t>(raw.data() - base);
      e.raw_size = static_cast<uint32_t>(raw.size());
      if (!reader.ok()) {
        e.kind = row_kind::unreadable;
        e.item = static_cast<uint32_t>(pc.problems.size());
        const bool in_column = reader.broken_limit() == io::csv_reader::limit::field_size &&
                               reader.limit_field() < lay_.header_size;
        pc.problems.push_back(
            {in_column ? static_cast<int>(reader.limit_field()) : -1, unreadable_reason(reader)});
        pc.rows.push_back(e);
        continue;
      }
      if (reader.size() != lay_.header_size) {
        e.kind = row_kind::unreadable;
        e.item = static_cast<uint32_t>(pc.problems.size());
        pc.problems.push_back({-1, "the record has " + std::to_string(reader.size()) +
                                       " fields; the header has " +
                                       std::to_string(lay_.header_size)});
        pc.rows.push_back(e);
        continue;
      }
      for (size_t f = 0; f < values_.size(); ++f)
        values_[f] = lay_.column_of_field[f] >= 0
                         ? reader[static_cast<size_t>(lay_.column_of_field[f])]
                         : std::string_view();
      e.key = static_cast<uint32_t>(pc.key_end.size());
      for (size_t f : lay_.unique_fields) {
        std::string_view v = detail::trim_blanks(values_[f]);
        pc.keys.append(v);
        pc.key_end.push_back(static_cast<uint32_t>(pc.keys.size()));
        pc.key_hash.push_back(detail::hash_bytes(v));
      }
      std::string why;
      size_t bad = 0;
      if (!rows_.add_record(values_, &why, &bad)) {
        e.kind = row_kind::invalid;
        e.item = static_cast<uint32_t>(pc.problems.size());
        pc.problems.push_back({static_cast<int>(bad), why.substr(why.find(": ") + 2)});
        pc.rows.push_back(e);
        continue;
      }
      e.kind = row_kind::candidate;
      e.item = static_cast<uint32_t>(pc.out_end.size() + batch_raw_.size());
      pc.rows.push_back(e);
      add_prefix(reader, raw);
      if (rows_.size() >= options_.batch_rows) flush(pc);
    }
    flush(pc);
  }

 private:
  // The input part of a candidate's output row, kept until its batch is classified.
  void add_prefix(const io::csv_reader& reader, std::string_view raw) {
    if (lay_.format == output_format::jsonl) {
      prefix_ += '{';
      for (size_t c = 0; c < reader.size(); ++c) {
        prefix_ += lay_.json_column_key[c];
        io::append_json_string(prefix_, reader[c]);
      }
      prefix_end_.push_back(prefix_.size());
    } else if (lay_.excel_safe) {
      // Re-encode the input cells so none can start a formula; the raw bytes would.
      size_t begin = prefix_.size();
      for (size_t c = 0; c < reader.size(); ++c) {
        if (c > 0) prefix_ += ',';
        io::append_csv_field(prefix_, reader[c], true);
      }
      if (prefix_.size() == begin) prefix_ += "\"\"";  // as csv_writer writes an empty record
      prefix_end_.push_back(prefix_.size());
    } else {
      batch_raw_.push_back(raw);  // a view into the piece, which outlives the batch
      return;
    }
    batch_raw_.push_back({});
  }

  void flush(piece& pc) {
    const size_t n = rows_.size();
    if (n == 0) return;
    rules_.classify(rows_, result_);
    if (covered_) covered_->add(rows_, result_);
    const classification& r = result_;
    const size_t k_count = lay_.decisions.size();
    size_t prefix_begin = 0;
    for (size_t row = 0; row < n; ++row) {
      if (!prefix_end_.empty()) {
        pc.out.append(prefix_, prefix_begin, prefix_end_[row] - prefix_begin);
        prefix_begin = prefix_end_[row];
      } else {
        pc.out.append(batch_raw_[row]);
      }
      uint32_t missing_bits = 0;
      for (size_t k = 0; k < k_count; ++k) {
        size_t d = lay_.decisions[k];
        uint16_t code = r.outcome_codes(d)[row];
        pc.codes.push_back(code);
        pc.out += code == classification::no_outcome ? lay_.no_outcome_text[k]
                                                     : lay_.outcome_text[k][code];
        bool missing = r.missing(d, row);
        if (missing) missing_bits |= uint32_t{1} << k;
        if (lay_.reasons) append_reasons(pc.out, k, d, row, missing);
      }
      pc.missing.push_back(missing_bits);
      pc.out += lay_.format == output_format::jsonl ? "}\n" : "\n";
      pc.out_end.push_back(static_cast<uint32_t>(pc.out.size()));
    }
    rows_.clear();
    prefix_.clear();
    prefix_end_.clear();
    batch_raw_.clear();
  }

  void append_reasons(std::string& out, size_t k, size_t d, size_t row, bool missing) {
    std::string_view rule = result_.rule_id(d, row);
    if (lay_.format == output_format::jsonl) {
      out += lay_.json_rule_key[k];
      if (rule.empty()) {
        out += "null";
      } else {
        io::append_json_string(out, rule);
      }
      out += lay_.json_missing_key[k];
      out += '[';
      if (missing) {
        bool first = true;
        for (auto f : result_.missing_fields(d, row)) {
          if (!first) out += ',';
          first = false;
          io::append_json_string(out, f);
        }
      }
      out += ']';
      return;
    }
    out += ',';
    io::append_csv_field(out, rule, lay_.excel_safe);
    out += ',';
    missing_text_.clear();
    if (missing)
      for (auto f : result_.missing_fields(d, row)) {
        if (!missing_text_.empty()) missing_text_ += ';';
        missing_text_ += f;
      }
    io::append_csv_field(out, missing_text_, lay_.excel_safe);
  }

  const rule_set& rules_;
  const csv_options& options_;
  const layout& lay_;
  batch rows_;
  classification result_;  // reused batch after batch
  std::vector<std::string_view> values_;
  std::string prefix_;  // excel-safe or JSON input parts of the batch's rows
  std::vector<size_t> prefix_end_;
  std::vector<std::string_view> batch_raw_;  // CSV: the rows' raw input bytes
  std::string missing_text_;
  std::unique_ptr<coverage> covered_;
};

// --- the job ---------------------------------------------------------------------------

class csv_job {
 public:
  csv_job(const rule_set& rules, const csv_options& options) : rules_(rules), options_(options) {}

  // Set when the run should be repeated reading the input as GB18030 (see run()).
  bool retry_as_gb18030 = false;

  csv_summary run(const std::string& input_path, const std::string& output_path,
                  const std::string& rejects_path, clock_type::time_point started) {
    started_ = started;
    // The contract: a file that is valid UTF-8 throughout is UTF-8, otherwise GB18030.
    // Scanning a whole file first would read it twice; instead it is read as UTF-8 (every
    // byte is validated on the way), and only a run that fails is checked against a full
    // scan and repeated as GB18030 if that is what the file is.
    const bool optimistic = options_.encoding == input_encoding::automatic && input_path != "-" &&
                            is_regular_file(input_path);
    try {
      source_ = open_utf8(input_path, optimistic ? input_encoding::utf8 : options_.encoding,
                          &summary_.encoding, &total_bytes_, options_.cancel, &raw_bytes_);
      out_ = output_target::open(output_path, options_.cancel);
      if (!rejects_path.empty()) {
        rej_ = output_target::open(rejects_path, options_.cancel);
        io::csv_writer_options ro;
        ro.excel_safe = options_.excel_safe;
        rej_writer_ = std::make_unique<io::csv_writer>(rej_.sink(), ro);
        rej_writer_->write_record({"line", "column", "reason", "record"});
      }
      std::string spill_dir = output_path == "-"
                                  ? (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp")
                                  : directory_of(output_path);
      keys_spill_dir_ = spill_dir;
      process();
      std::optional<coverage> covered = finish_coverage();
      if (rej_writer_) rej_writer_->flush();
      // A signal that came after the last row was read (while the end was settled and
      // written) still cancels: an interrupted run never commits its output.
      if (cancelled()) throw failure("interrupted");
      // Rejects first: if the output commit then fails, the run failed and says so, but a
      // successful output never exists without its rejects.
      if (rej_.file) rej_.file->commit();
      if (out_.file) out_.file->commit();
      if (covered) *options_.coverage = std::move(*covered);
      summary_.ok = true;
    } catch (const std::exception& e) {
      summary_.ok = false;
      // Once cancelled, whatever failed (typically a read or write that the signal ended) is
      // reported as the interruption it is.
      summary_.error = cancelled() ? "interrupted" : e.what();
      if (out_.file) out_.file->abandon();
      if (rej_.file) rej_.file->abandon();
      if (optimistic && !cancelled()) {
        try {
          retry_as_gb18030 = io::detect_file_encoding(input_path) == io::encoding::gb18030;
        } catch (const std::exception&) {  // unreadable now: report the first failure
        }
      }
    }
    summary_.seconds = seconds();
    return std::move(summary_);
  }

 private:
  double seconds() const {
    return std::chrono::duration<double>(clock_type::now() - started_).count();
  }

  bool cancelled() const {
    return options_.cancel && options_.cancel->load(std::memory_order_relaxed);
  }

  // Reads the header from the first pieces (a piece of nothing but blank lines has none).
  // Returns the piece holding the first data rows, with `start` set past the header.
  void read_header(io::csv_chunker& chunker, piece& pc) {
    for (;;) {
      if (!chunker.next(pc.chunk)) throw failure("the input is empty: it has no header row");
      if (pc.chunk.error) std::rethrow_exception(pc.chunk.error);
      if (pc.chunk.oversized) {
        throw failure("line " + std::to_string(pc.chunk.first_line) +
                      ": the header cannot be read: " + oversized_reason(options_));
      }
      io::csv_reader_options ro = reader_options(options_);
      ro.skip_bom = pc.chunk.first;
      ro.first_line = pc.chunk.first_line;
      io::csv_reader reader(pc.chunk.text(), ro);
      if (!reader.next()) {  // only blank lines so far
        summary_.input_bytes = pc.chunk.offset + pc.chunk.size;
        continue;
      }
      uint64_t header_line = reader.line();
      if (!reader.ok())
        throw failure("line " + std::to_string(header_line) +
                      ": the header cannot be read: " + unreadable_reason(reader));
      set_up_columns(reader);
      // The rest of the piece is data.
      uint64_t end = reader.end_offset();
      std::string_view head = pc.chunk.text().substr(0, end);
      pc.start = end;
      pc.start_line =
          pc.chunk.first_line + static_cast<uint64_t>(std::count(head.begin(), head.end(), '\n'));
      return;
    }
  }

  void set_up_columns(const io::csv_reader& reader) {
    lay_.header_size = reader.size();
    lay_.column_of_field.assign(rules_.field_count(), -1);
    for (size_t c = 0; c < reader.size(); ++c) {
      std::string name(detail::trim_blanks(reader[c]));
      lay_.header_names.push_back(name);
      for (size_t f = 0; f < rules_.field_count(); ++f) {
        if (rules_.field_name(f) != name) continue;
        if (lay_.column_of_field[f] >= 0)
          throw failure("the header names the column '" + name + "' twice (columns " +
                        std::to_string(lay_.column_of_field[f] + 1) + " and " +
                        std::to_string(c + 1) + ")");
        lay_.column_of_field[f] = static_cast<int>(c);
      }
    }
    for (size_t f = 0; f < rules_.field_count(); ++f) {
      if (lay_.column_of_field[f] >= 0) continue;
      if (rules_.field_required(f))
        throw failure("the header has no column '" + rules_.field_name(f) +
                      "', which the rule set requires");
      summary_.warnings.push_back("the input has no column '" + rules_.field_name(f) +
                                  "': every row is read as missing it");
    }
    if (options_.decisions.empty()) {
      lay_.decisions = rules_.output_decisions();
    } else {
      for (const std::string& name : options_.decisions) {
        size_t found = SIZE_MAX;
        for (size_t d = 0; d < rules_.decision_count(); ++d)
          if (rules_.decision_name(d) == name) found = d;
        if (found == SIZE_MAX) throw failure("the rule set has no decision '" + name + "'");
        if (std::find(lay_.decisions.begin(), lay_.decisions.end(), found) != lay_.decisions.end())
          throw failure("the decision '" + name + "' is named twice in the columns");
        lay_.decisions.push_back(found);
      }
    }
    if (lay_.decisions.size() > 32)
      throw failure("more than 32 decisions to write; name fewer with --columns");
    std::vector<std::string> written = lay_.header_names;
    for (size_t d : lay_.decisions) {
      const std::string& n = rules_.decision_name(d);
      if (std::find(lay_.header_names.begin(), lay_.header_names.end(), n) !=
          lay_.header_names.end())
        throw failure("the input already has a column '" + n +
                      "'; chanrules would write a second one");
      written.push_back(n);
      if (options_.reasons) {
        written.push_back(n + "_rule");
        written.push_back(n + "_missing");
      }
    }
    lay_.reasons = options_.reasons;
    lay_.excel_safe = options_.excel_safe;
    lay_.format = options_.format;
    const bool json = options_.format == output_format::jsonl;
    if (json) {
      // A JSON object cannot hold a name twice; a CSV header can.
      for (size_t a = 0; a < written.size(); ++a)
        for (size_t b = a + 1; b < written.size(); ++b)
          if (written[a] == written[b])
            throw failure("--format jsonl needs distinct column names; the header names '" +
                          written[a] + "' twice (columns " + std::to_string(a + 1) + " and " +
                          std::to_string(b + 1) + ")");
      for (size_t c = 0; c < reader.size(); ++c) {
        std::string key = c == 0 ? "" : ",";
        io::append_json_string(key, reader[c]);
        key += ':';
        lay_.json_column_key.push_back(std::move(key));
      }
    }
    for (size_t d : lay_.decisions) {
      const std::string& n = rules_.decision_name(d);
      std::string key = ",";
      if (json) {
        io::append_json_string(key, n);
        key += ':';
      }
      std::vector<std::string> texts;
      for (const auto& label : rules_.outcome_labels(d)) {
        std::string t = key;
        if (json) {
          io::append_json_string(t, label);
        } else {
          io::append_csv_field(t, label, options_.excel_safe);
        }
        texts.push_back(std::move(t));
      }
      lay_.outcome_text.push_back(std::move(texts));
      lay_.no_outcome_text.push_back(json ? key + "null" : key);
      std::string rule_key = ",", missing_key = ",";
      io::append_json_string(rule_key, n + "_rule");
      io::append_json_string(missing_key, n + "_missing");
      lay_.json_rule_key.push_back(rule_key + ":");
      lay_.json_missing_key.push_back(missing_key + ":");
    }
    for (size_t f = 0; f < rules_.field_count(); ++f)
      if (rules_.field_unique(f)) lay_.unique_fields.push_back(f);

    // The output's header row (CSV only): the input's header as it was, then the classes.
    if (!json) {
      std::string head;
      if (options_.excel_safe) {
        for (size_t c = 0; c < reader.size(); ++c) {
          if (c > 0) head += ',';
          io::append_csv_field(head, reader[c], true);
        }
      } else {
        head = reader.raw();
      }
      for (size_t i = lay_.header_size; i < written.size(); ++i) {
        head += ',';
        io::append_csv_field(head, written[i], options_.excel_safe);
      }
      head += '\n';
      write_output(head.data(), head.size());
    }

    for (size_t d : lay_.decisions) {
      decision_summary s;
      s.name = rules_.decision_name(d);
      for (const auto& label : rules_.outcome_labels(d)) s.counts.emplace_back(label, 0);
      summary_.decisions.push_back(std::move(s));
    }
    for (size_t i = 0; i < lay_.unique_fields.size(); ++i)
      keys_.push_back(std::make_unique<io::key_index>());
  }

  unsigned job_count() const {
    unsigned n = options_.jobs;
    if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
    return std::min(n, 256u);
  }

  void process() {
    io::csv_chunker chunker(*source_, options_.chunk_bytes, options_.max_record_size);
    auto first = std::make_unique<piece>();
    read_header(chunker, *first);
    // An input of one piece is done before threads would have started.
    auto second = std::make_unique<piece>();
    const bool more = chunker.next(second->chunk);
    second->start_line = second->chunk.first_line;
    const unsigned jobs = more ? job_count() : 1;
    summary_.jobs = jobs;
    if (jobs == 1) {
      worker w(rules_, options_, lay_);
      w.process(*first);
      write_piece(*first);
      if (!more) {
        collect_coverage(w);
        return finish_keys();
      }
      std::unique_ptr<piece> pc = std::move(second);
      for (;;) {
        if (cancelled()) throw failure("interrupted");
        w.process(*pc);
        write_piece(*pc);
        if (!chunker.next(pc->chunk)) break;
        pc->start = 0;
        pc->start_line = pc->chunk.first_line;
      }
      collect_coverage(w);
    } else {
      run_pipeline(chunker, std::move(first), std::move(second), jobs);
    }
    finish_keys();
  }

  void run_pipeline(io::csv_chunker& chunker, std::unique_ptr<piece> first,
                    std::unique_ptr<piece> second, unsigned jobs) {
    channel<std::unique_ptr<piece>> free_pieces, work, done;
    // Enough pieces that every worker has one to chew on and one queued while the writer
    // writes another; no more, so memory stays a few pieces per thread.
    const size_t pool = 2 * static_cast<size_t>(jobs) + 2;
    for (size_t i = 2; i < pool; ++i) free_pieces.push(std::make_unique<piece>());
    std::atomic<bool> stop{false};
    std::atomic<unsigned> running{jobs};

    std::atomic<bool> reader_done{false};
    std::thread reader([&] {
      uint64_t seq = 0;
      try {
        first->seq = seq++;
        work.push(std::move(first));
        second->seq = seq++;
        const bool stopped = second->chunk.error != nullptr;
        work.push(std::move(second));
        std::unique_ptr<piece> pc;
        while (!stopped && !stop.load(std::memory_order_relaxed) && free_pieces.pop(pc)) {
          if (cancelled()) {
            pc->chunk.error = std::make_exception_ptr(failure("interrupted"));
          } else if (!chunker.next(pc->chunk)) {
            free_pieces.push(std::move(pc));
            break;
          }
          pc->start = 0;
          pc->start_line = pc->chunk.first_line;
          pc->seq = seq++;
          bool last = pc->chunk.error != nullptr;
          work.push(std::move(pc));
          if (last) break;
        }
      } catch (...) {
        // Only bad_alloc gets here (the chunker reports source failures in its pieces).
        auto pc = std::make_unique<piece>();
        pc->seq = seq;
        pc->chunk.error = std::current_exception();
        work.push(std::move(pc));
      }
      work.close();
      reader_done.store(true);
    });
    std::vector<std::thread> workers;
    for (unsigned j = 0; j < jobs; ++j) {
      workers.emplace_back([&] {
        // Signals (Ctrl-C) go to the threads that may block in a system call, the reader
        // (input) and the calling thread (output), where they interrupt it.
        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGINT);
        sigaddset(&signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);
        worker w(rules_, options_, lay_);
        std::unique_ptr<piece> pc;
        while (work.pop(pc)) {
          if (!stop.load(std::memory_order_relaxed)) {
            try {
              w.process(*pc);
            } catch (...) {
              pc->error = std::current_exception();
            }
          }
          done.push(std::move(pc));
        }
        collect_coverage(w);
        if (running.fetch_sub(1) == 1) done.close();
      });
    }

    std::exception_ptr failed;
    try {
      std::map<uint64_t, std::unique_ptr<piece>> waiting;  // finished out of order
      uint64_t next = 0;
      std::unique_ptr<piece> pc;
      for (;;) {
        // Wakes up now and then to see an interruption even while no piece comes (the
        // reader blocked on a stalled pipe).
        bool timed_out = false;
        if (!done.pop_for(pc, std::chrono::milliseconds(100), timed_out)) {
          if (!timed_out) break;
          if (cancelled()) throw failure("interrupted");
          continue;
        }
        waiting.emplace(pc->seq, std::move(pc));
        for (auto it = waiting.find(next); it != waiting.end(); it = waiting.find(next)) {
          std::unique_ptr<piece> ready = std::move(it->second);
          waiting.erase(it);
          ++next;
          if (cancelled()) throw failure("interrupted");
          write_piece(*ready);
          free_pieces.push(std::move(ready));
        }
      }
      if (!waiting.empty()) throw failure("internal error: a piece of the input went missing");
    } catch (...) {
      failed = std::current_exception();
    }
    // Unblock and wind down every thread, whatever happened.
    stop.store(true);
    free_pieces.close();
    if (cancelled()) wake_blocked_reader(reader, reader_done);
    reader.join();
    {
      std::unique_ptr<piece> pc;
      while (done.pop(pc)) {
      }
    }
    for (auto& t : workers) t.join();
    if (failed) std::rethrow_exception(failed);
  }

  // An interrupted run whose reader may be blocked in read(2) on a stalled pipe: the
  // signal that set the cancel flag may have gone to another thread, so it is sent to the
  // reader again, which makes the read fail with EINTR and the source throw (the source
  // was given the flag). Only when a handler is installed for SIGINT (the CLI's), never
  // with the default action, which would end the process.
  static void wake_blocked_reader(std::thread& reader, const std::atomic<bool>& reader_done) {
    struct sigaction current;
    if (sigaction(SIGINT, nullptr, &current) != 0) return;
    if ((current.sa_flags & SA_SIGINFO) == 0 &&
        (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN))
      return;
    for (int i = 0; i < 50 && !reader_done.load(); ++i) {
      pthread_kill(reader.native_handle(), SIGINT);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void reject(uint64_t line, const std::string& column, const std::string& reason,
              std::string_view raw) {
    ++summary_.rows_rejected;
    if (spill_) {
      // Written at the end, merged in line order with the duplicates found then.
      io::spill_file& f = *spill_->rejects;
      f.append_value(line);
      f.append_value(static_cast<uint32_t>(column.size()));
      f.append(column);
      f.append_value(static_cast<uint32_t>(reason.size()));
      f.append(reason);
      f.append_value(static_cast<uint32_t>(raw.size()));
      f.append(raw);
      check_max_rejects();
      return;
    }
    if (summary_.first_rejects.size() < 10)
      summary_.first_rejects.push_back({line, column, reason});
    if (rej_writer_) {
      rej_writer_->write_field(std::to_string(line));
      rej_writer_->write_field(column);
      rej_writer_->write_field(reason);
      rej_writer_->write_field(raw);
      rej_writer_->end_record();
    }
    check_max_rejects();
  }

  void check_max_rejects() {
    if (summary_.rows_rejected <= options_.max_rejects) return;
    if (summary_.first_rejects.empty())
      throw failure("more than " + std::to_string(options_.max_rejects) +
                    " rows rejected (--max-rejects)");
    throw failure("more than " + std::to_string(options_.max_rejects) +
                  " rows rejected (--max-rejects); the first at line " +
                  std::to_string(summary_.first_rejects.front().line) + ": " +
                  summary_.first_rejects.front().reason);
  }

  void write_output(const char* data, size_t n) {
    if (spill_ && spill_->out_spool) {
      spill_->out_spool->append(data, n);
    } else {
      out_.sink().write(data, n);
    }
    out_bytes_ += n;
  }

  // In input order: decides duplicates, counts, writes.
  void write_piece(piece& pc) {
    if (pc.error) std::rethrow_exception(pc.error);
    if (pc.chunk.error) std::rethrow_exception(pc.chunk.error);
    if (pc.chunk.oversized) {
      ++summary_.rows_in;
      reject(pc.chunk.first_line, "", oversized_reason(options_), {});
      summary_.input_bytes = pc.chunk.offset + pc.chunk.oversized_bytes;
      report_progress();
      return;
    }
    const char* base = pc.chunk.data.get();
    const size_t k_count = lay_.decisions.size();
    // Runs of accepted rows are written with one call.
    size_t run_begin = 0, run_end = 0;
    auto write_run = [&] {
      if (run_end > run_begin) write_output(pc.out.data() + run_begin, run_end - run_begin);
      run_begin = run_end;
    };
    constexpr size_t ahead = 16;  // rows whose key slots are prefetched in advance
    for (size_t r = 0; r < std::min(ahead, pc.rows.size()); ++r) prefetch_keys(pc, pc.rows[r]);
    for (size_t r = 0; r < pc.rows.size(); ++r) {
      const row_entry& e = pc.rows[r];
      if (r + ahead < pc.rows.size()) prefetch_keys(pc, pc.rows[r + ahead]);
      ++summary_.rows_in;
      const uint64_t line = e.line;
      std::string_view raw(base + e.raw_begin, e.raw_size);
      if (e.kind == row_kind::unreadable) {
        const problem& p = pc.problems[e.item];
        reject(line, p.field >= 0 ? lay_.header_names[static_cast<size_t>(p.field)] : "", p.reason,
               raw);
        continue;
      }
      if (is_duplicate(pc, e, line, raw)) {
        if (e.kind == row_kind::candidate) {
          take_back_coverage(raw);
          write_run();
          run_begin = run_end = pc.out_end[e.item];
        }
        continue;
      }
      // Beyond the memory for ids, a value not in the table may still have been accepted
      // since it filled up: the row is taken for now and settled at the end (finish_keys).
      if (spill_) spill_key(pc, e, line);
      if (e.kind == row_kind::invalid) {
        const problem& p = pc.problems[e.item];
        reject(line, rules_.field_name(static_cast<size_t>(p.field)), p.reason, raw);
        continue;
      }
      if (spill_) {
        // The row's place in the output and what it added to the counts, in case it turns
        // out to be a duplicate.
        // Its bytes follow the run not yet written (a skipped row resets the run to its end).
        spill_row(pc, e, out_bytes_ + (run_end - run_begin), raw);
      } else {
        for (size_t i = 0; i < keys_.size(); ++i) {
          size_t k = e.key + i;
          keys_[i]->insert(key_of(pc, k), pc.key_hash[k], line);
        }
      }
      ++summary_.rows_out;
      const uint16_t* codes = pc.codes.data() + size_t{e.item} * k_count;
      const uint32_t missing = pc.missing[e.item];
      for (size_t k = 0; k < k_count; ++k) {
        decision_summary& s = summary_.decisions[k];
        if (codes[k] == classification::no_outcome) {
          ++s.no_outcome;
        } else {
          ++s.counts[codes[k]].second;
        }
        s.with_missing += (missing >> k) & 1;
      }
      summary_.rows_with_missing += missing != 0;
      run_end = pc.out_end[e.item];
    }
    write_run();
    summary_.input_bytes = pc.chunk.offset + pc.chunk.size;
    if (!spill_ && !keys_.empty() && keys_[0]->memory_bytes() > options_.unique_memory) {
      if (keys_.size() == 1) {
        start_spill();
      } else if (!warned_unique_memory_) {
        // Settling duplicates after the fact is exact for one unique field only (with two, a
        // row taken back on one changes what counts as seen on the other).
        warned_unique_memory_ = true;
        summary_.warnings.push_back(
            "the rule set has " + std::to_string(keys_.size()) +
            " unique fields: their values stay in memory beyond --unique-memory");
      }
    }
    report_progress();
  }

  void prefetch_keys(const piece& pc, const row_entry& e) const {
    if (e.kind == row_kind::unreadable) return;
    for (size_t i = 0; i < keys_.size(); ++i) keys_[i]->prefetch(pc.key_hash[e.key + i]);
  }

  static std::string_view key_of(const piece& pc, size_t k) {
    uint32_t begin = k == 0 ? 0 : pc.key_end[k - 1];
    return std::string_view(pc.keys).substr(begin, pc.key_end[k] - begin);
  }

  // Unique fields: a later row reusing a value already accepted is rejected.
  bool is_duplicate(const piece& pc, const row_entry& e, uint64_t line, std::string_view raw) {
    for (size_t i = 0; i < keys_.size(); ++i) {
      size_t k = e.key + i;
      std::string_view v = key_of(pc, k);
      uint64_t first = keys_[i]->find(v, pc.key_hash[k]);
      if (first == 0) continue;
      size_t f = lay_.unique_fields[i];
      reject(line, rules_.field_name(f),
             "duplicate " + rules_.field_name(f) + " " + detail::quote_for_message(v) +
                 " (first accepted on line " + std::to_string(first) + ")",
             raw);
      return true;
    }
    return false;
  }

  // --- ids beyond unique_memory ----------------------------------------------------------
  //
  // Once the table of accepted ids outgrows its memory it is frozen: a row whose id is in
  // it is still a duplicate at once. Any other row's id goes to one of 256 partition files
  // (by hash), and the row is taken for now: a candidate is written and counted, a bad row
  // rejected for its own reason. At the end each partition, small enough for memory, is
  // read back in line order: the first candidate of an id is its accepted row, and every
  // later row with that id is a duplicate. Those are then taken back: cut out of the output
  // (in place, or while copying the spooled output to standard output), uncounted, and
  // merged as rejects, in line order, into the rejects spooled since the freeze.
  static constexpr size_t partitions = 256;

  struct spill_state {
    std::vector<std::unique_ptr<io::spill_file>> parts;
    std::unique_ptr<io::spill_file> rows;       // per candidate: where its output went, counts
    std::unique_ptr<io::spill_file> raws;       // per candidate: its input record
    std::unique_ptr<io::spill_file> rejects;    // rejects since the freeze, in line order
    std::unique_ptr<io::spill_file> out_spool;  // the output since the freeze, for stdout
    uint64_t candidates = 0;
    uint64_t out_start = 0;  // output bytes before the freeze
  };

  size_t row_record_size() const { return 32 + 2 * lay_.decisions.size(); }
  bool raw_in_output() const { return lay_.format == output_format::csv && !lay_.excel_safe; }

  void start_spill() {
    spill_ = std::make_unique<spill_state>();
    for (size_t i = 0; i < partitions; ++i)
      spill_->parts.push_back(std::make_unique<io::spill_file>(keys_spill_dir_));
    spill_->rows = std::make_unique<io::spill_file>(keys_spill_dir_);
    spill_->raws = std::make_unique<io::spill_file>(keys_spill_dir_);
    spill_->rejects = std::make_unique<io::spill_file>(keys_spill_dir_);
    if (!out_.file) spill_->out_spool = std::make_unique<io::spill_file>(keys_spill_dir_);
    spill_->out_start = out_bytes_;
    summary_.unique_spilled = true;
  }

  void spill_key(const piece& pc, const row_entry& e, uint64_t line) {
    std::string_view key = key_of(pc, e.key);
    uint64_t hash = pc.key_hash[e.key];
    io::spill_file& f = *spill_->parts[(hash >> 24) % partitions];
    f.append_value(static_cast<uint32_t>(key.size()));
    f.append(key);
    f.append_value(line);
    f.append_value(e.kind == row_kind::candidate ? spill_->candidates : ~uint64_t{0});
  }

  void spill_row(const piece& pc, const row_entry& e, uint64_t out_offset, std::string_view raw) {
    uint32_t begin = e.item == 0 ? 0 : pc.out_end[e.item - 1];
    io::spill_file& f = *spill_->rows;
    f.append_value(out_offset);
    // Plain CSV output starts with the record's input bytes: no need to keep them twice.
    f.append_value(raw_in_output() ? out_offset : spill_->raws->size());
    f.append_value(static_cast<uint32_t>(pc.out_end[e.item] - begin));
    f.append_value(static_cast<uint32_t>(raw.size()));
    f.append_value(pc.missing[e.item]);
    f.append_value(uint32_t{0});
    f.append(pc.codes.data() + size_t{e.item} * lay_.decisions.size(), 2 * lay_.decisions.size());
    if (!raw_in_output()) spill_->raws->append(raw);
    ++spill_->candidates;
  }

  struct duplicate {
    uint64_t line = 0, first_line = 0, candidate = 0;  // candidate: ~0 for a bad row
    std::string key;
  };

  void finish_keys() {
    if (!spill_) return;
    spill_state& sp = *spill_;
    for (auto& f : sp.parts) f->flush();
    sp.rows->flush();
    sp.raws->flush();
    sp.rejects->flush();
    if (sp.out_spool) sp.out_spool->flush();
    keys_[0]->clear();  // its memory goes to the partitions now

    // 1. Each partition on its own: its duplicates, in line order, one after the other.
    io::spill_file dups(keys_spill_dir_);
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    io::key_index seen;
    for (auto& part : sp.parts) {
      uint64_t begin = dups.size();
      io::spill_reader in(*part, 0, part->size());
      while (!in.done()) {
        std::string key = in.read_string(in.read_value<uint32_t>());
        uint64_t line = in.read_value<uint64_t>();
        uint64_t candidate = in.read_value<uint64_t>();
        uint64_t hash = detail::hash_bytes(key);
        if (uint64_t first = seen.find(key, hash)) {
          dups.append_value(line);
          dups.append_value(first);
          dups.append_value(candidate);
          dups.append_value(static_cast<uint32_t>(key.size()));
          dups.append(key);
        } else if (candidate != ~uint64_t{0}) {
          seen.insert(key, hash, line);
        }
      }
      seen.clear();
      part.reset();  // the file goes
      ranges.emplace_back(begin, dups.size());
    }
    dups.flush();

    // 2. Merge the partitions' duplicates by line, and those with the spooled rejects.
    std::vector<std::unique_ptr<io::spill_reader>> readers;
    using head = std::pair<uint64_t, size_t>;  // line, partition
    std::priority_queue<head, std::vector<head>, std::greater<head>> heads;
    std::vector<duplicate> current(ranges.size());
    auto advance = [&](size_t p) {
      io::spill_reader& r = *readers[p];
      if (r.done()) return;
      duplicate& d = current[p];
      d.line = r.read_value<uint64_t>();
      d.first_line = r.read_value<uint64_t>();
      d.candidate = r.read_value<uint64_t>();
      d.key = r.read_string(r.read_value<uint32_t>());
      heads.emplace(d.line, p);
    };
    for (size_t p = 0; p < ranges.size(); ++p) {
      readers.push_back(
          std::make_unique<io::spill_reader>(dups, ranges[p].first, ranges[p].second));
      advance(p);
    }
    io::spill_reader spooled(*sp.rejects, 0, sp.rejects->size());
    struct spooled_reject {
      uint64_t line = 0;
      std::string column, reason, raw;
    };
    std::optional<spooled_reject> next_reject;
    auto read_reject = [&] {
      next_reject.reset();
      if (spooled.done()) return;
      spooled_reject r;
      r.line = spooled.read_value<uint64_t>();
      r.column = spooled.read_string(spooled.read_value<uint32_t>());
      r.reason = spooled.read_string(spooled.read_value<uint32_t>());
      r.raw = spooled.read_string(spooled.read_value<uint32_t>());
      next_reject = std::move(r);
    };
    read_reject();
    const size_t field = lay_.unique_fields[0];
    const std::string& field_name = rules_.field_name(field);
    io::spill_file skips(keys_spill_dir_);  // output ranges of duplicate candidates
    std::vector<char> row(row_record_size());
    auto write_reject = [&](uint64_t line, const std::string& column, const std::string& reason,
                            std::string_view raw) {
      if (summary_.first_rejects.size() < 10)
        summary_.first_rejects.push_back({line, column, reason});
      if (rej_writer_) {
        rej_writer_->write_field(std::to_string(line));
        rej_writer_->write_field(column);
        rej_writer_->write_field(reason);
        rej_writer_->write_field(raw);
        rej_writer_->end_record();
      }
    };
    while (!heads.empty() || next_reject) {
      if (heads.empty() || (next_reject && next_reject->line < heads.top().first)) {
        write_reject(next_reject->line, next_reject->column, next_reject->reason, next_reject->raw);
        read_reject();
        continue;
      }
      const size_t p = heads.top().second;
      heads.pop();
      const duplicate& d = current[p];
      std::string reason = "duplicate " + field_name + " " + detail::quote_for_message(d.key) +
                           " (first accepted on line " + std::to_string(d.first_line) + ")";
      if (d.candidate == ~uint64_t{0}) {
        // A bad row, already counted as a reject: only its reason changes.
        if (!next_reject || next_reject->line != d.line)
          throw failure("internal error: the reject of line " + std::to_string(d.line) +
                        " went missing");
        write_reject(d.line, field_name, reason, next_reject->raw);
        read_reject();
      } else {
        sp.rows->read_at(d.candidate * row.size(), row.data(), row.size());
        uint64_t out_offset, raw_offset;
        uint32_t out_size, raw_size, missing;
        std::memcpy(&out_offset, row.data(), 8);
        std::memcpy(&raw_offset, row.data() + 8, 8);
        std::memcpy(&out_size, row.data() + 16, 4);
        std::memcpy(&raw_size, row.data() + 20, 4);
        std::memcpy(&missing, row.data() + 24, 4);
        std::string raw(raw_size, '\0');
        if (!raw_in_output()) {
          sp.raws->read_at(raw_offset, raw.data(), raw_size);
        } else if (sp.out_spool) {
          sp.out_spool->read_at(raw_offset - sp.out_start, raw.data(), raw_size);
        } else {
          io::detail::pread_all(out_.file->fd(), raw.data(), raw_size, raw_offset,
                                out_.file->target());
        }
        uncount(row.data() + 32, missing);
        take_back_coverage(raw);
        skips.append_value(out_offset);
        skips.append_value(static_cast<uint64_t>(out_size));
        ++summary_.rows_rejected;
        write_reject(d.line, field_name, reason, raw);
      }
      advance(p);
    }
    check_max_rejects();
    skips.flush();
    remove_skipped_output(skips);
    spill_.reset();
  }

  // A candidate taken back: what it added to the counts.
  void uncount(const char* codes, uint32_t missing) {
    --summary_.rows_out;
    summary_.rows_with_missing -= missing != 0;
    for (size_t k = 0; k < lay_.decisions.size(); ++k) {
      uint16_t code;
      std::memcpy(&code, codes + 2 * k, 2);
      decision_summary& s = summary_.decisions[k];
      if (code == classification::no_outcome) {
        --s.no_outcome;
      } else {
        --s.counts[code].second;
      }
      s.with_missing -= (missing >> k) & 1;
    }
  }

  // Cuts the duplicate candidates' bytes out of the output written since the freeze.
  void remove_skipped_output(io::spill_file& skips) {
    spill_state& sp = *spill_;
    io::spill_reader ranges(skips, 0, skips.size());
    std::vector<char> buf(size_t{1} << 20);
    if (sp.out_spool) {  // standard output: copy the spool over, leaving them out
      uint64_t pos = 0;
      auto copy_to = [&](uint64_t end) {
        while (pos < end) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - pos));
          sp.out_spool->read_at(pos, buf.data(), n);
          out_.sink().write(buf.data(), n);
          pos += n;
        }
      };
      while (!ranges.done()) {
        uint64_t at = ranges.read_value<uint64_t>() - sp.out_start;
        uint64_t size = ranges.read_value<uint64_t>();
        copy_to(at);
        pos += size;
      }
      copy_to(sp.out_spool->size());
      return;
    }
    if (ranges.done()) return;
    // A file: move the bytes after each cut down, in place, then shorten the file.
    const int fd = out_.file->fd();
    uint64_t end = out_bytes_;
    uint64_t write_at = 0, read_at = 0;
    bool first = true;
    auto move_to = [&](uint64_t stop) {
      while (read_at < stop) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), stop - read_at));
        io::detail::pread_all(fd, buf.data(), n, read_at, out_.file->target());
        io::detail::pwrite_all(fd, buf.data(), n, write_at, out_.file->target());
        read_at += n;
        write_at += n;
      }
    };
    while (!ranges.done()) {
      uint64_t at = ranges.read_value<uint64_t>();
      uint64_t size = ranges.read_value<uint64_t>();
      if (first) {
        write_at = read_at = at;
        first = false;
      }
      move_to(at);
      read_at += size;
    }
    move_to(end);
    out_.file->truncate(write_at);
  }

  // --- coverage ---------------------------------------------------------------------------

  // A worker's coverage, summed into the job's when it has no more pieces (on its thread).
  void collect_coverage(const worker& w) {
    if (!w.covered()) return;
    std::lock_guard<std::mutex> lock(coverage_mutex_);
    std::string why;
    if (!covered_.merge(*w.covered(), &why) && coverage_error_.empty()) coverage_error_ = why;
  }

  // A candidate found to be a duplicate after it was covered: its record is read and
  // classified again (in batches) to take its counts back out.
  void take_back_coverage(std::string_view raw) {
    if (!options_.coverage) return;
    io::csv_reader_options ro = reader_options(options_);
    ro.skip_bom = false;
    io::csv_reader reader(raw, ro);
    if (!reader.next() || !reader.ok() || reader.size() != lay_.header_size)
      throw failure("internal error: a duplicate row cannot be read again for the coverage");
    std::vector<std::string_view> values(rules_.field_count());
    for (size_t f = 0; f < values.size(); ++f)
      if (lay_.column_of_field[f] >= 0)
        values[f] = reader[static_cast<size_t>(lay_.column_of_field[f])];
    if (!taken_back_rows_) taken_back_rows_ = std::make_unique<batch>(rules_);
    std::string why;
    if (!taken_back_rows_->add_record(values, &why))
      throw failure("internal error: a duplicate row reads differently the second time: " + why);
    if (taken_back_rows_->size() >= 4096) flush_taken_back();
  }

  void flush_taken_back() {
    if (!taken_back_rows_ || taken_back_rows_->size() == 0) return;
    taken_back_.add(*taken_back_rows_, rules_.classify(*taken_back_rows_));
    taken_back_rows_->clear();
  }

  // The coverage of the rows written, summed with the caller's (not yet stored there: only
  // a run that commits its output changes the caller's coverage).
  std::optional<coverage> finish_coverage() {
    if (!options_.coverage) return std::nullopt;
    if (!coverage_error_.empty()) throw failure("coverage: " + coverage_error_);
    flush_taken_back();
    coverage rows = covered_;
    if (!taken_back_.empty()) detail::coverage_access::subtract(rows, taken_back_);
    coverage sum = *options_.coverage;
    std::string why;
    if (!sum.merge(rows, &why)) throw failure("coverage: " + why);
    return sum;
  }

  void report_progress() {
    if (!options_.progress) return;
    csv_progress p;
    p.rows = summary_.rows_in;
    // The reader runs a few pieces ahead of the writer; close enough for a progress bar.
    p.bytes = std::min(raw_bytes_.load(std::memory_order_relaxed), total_bytes_);
    p.total_bytes = total_bytes_;
    p.seconds = seconds();
    options_.progress(p);
  }

  const rule_set& rules_;
  const csv_options& options_;
  csv_summary summary_;
  clock_type::time_point started_;
  std::unique_ptr<io::byte_source> source_;
  output_target out_, rej_;
  std::unique_ptr<io::csv_writer> rej_writer_;
  uint64_t total_bytes_ = 0;
  std::atomic<uint64_t> raw_bytes_{0};  // input read so far, before decoding
  layout lay_;
  std::vector<std::unique_ptr<io::key_index>> keys_;
  std::string keys_spill_dir_;
  std::unique_ptr<spill_state> spill_;
  uint64_t out_bytes_ = 0;  // bytes of output written (the header included)
  bool warned_unique_memory_ = false;
  // Coverage (csv_options::coverage): the workers' sum, and the duplicates taken back.
  std::mutex coverage_mutex_;
  coverage covered_;
  std::string coverage_error_;
  coverage taken_back_;
  std::unique_ptr<batch> taken_back_rows_;
};

}  // namespace

csv_lookup find_csv_record(const std::string& input_path, const std::string& column,
                           const std::string& value, input_encoding encoding) {
  csv_options options;
  options.encoding = encoding;
  return find_csv_record(input_path, column, value, options);
}

csv_lookup find_csv_record(const std::string& input_path, const std::string& column,
                           const std::string& value, const csv_options& options) {
  csv_lookup out;
  if (std::string problem = limits_problem(options); !problem.empty()) {
    out.error = problem;
    return out;
  }
  try {
    auto source = open_utf8(input_path, options.encoding, nullptr, nullptr);
    io::csv_reader reader(*source, reader_options(options));
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
    // Records that cannot be read might be the one asked for: say so rather than "not found".
    uint64_t unreadable = 0;
    std::string first_unreadable;
    while (reader.next()) {
      if (!reader.ok() || reader.size() != header.size()) {
        if (unreadable++ == 0)
          first_unreadable =
              "line " + std::to_string(reader.line()) + ": " +
              (!reader.ok() ? unreadable_reason(reader)
                            : std::to_string(reader.size()) + " fields, the header has " +
                                  std::to_string(header.size()));
        continue;
      }
      if (detail::trim_blanks(reader[static_cast<size_t>(at)]) != value) continue;
      out.found = true;
      out.line = reader.line();
      for (size_t i = 0; i < header.size(); ++i) out.record[header[i]] = std::string(reader[i]);
      return out;
    }
    out.error = input_path + ": no record with " + column + " " + detail::quote_for_message(value);
    if (unreadable > 0)
      out.error += "; " + std::to_string(unreadable) + " record" + (unreadable == 1 ? "" : "s") +
                   " could not be read (the first at " + first_unreadable + ")";
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

std::string progress_line(const csv_progress& p, int width) {
  char text[160];
  const double rate = p.seconds > 0 ? static_cast<double>(p.rows) / p.seconds : 0;
  if (p.total_bytes == 0) {
    std::snprintf(text, sizeof text, "%llu rows  %.0f rows/s",
                  static_cast<unsigned long long>(p.rows), rate);
    return text;
  }
  const double done =
      std::min(1.0, static_cast<double>(p.bytes) / static_cast<double>(p.total_bytes));
  char eta[32] = "ETA --:--";
  if (done > 0 && p.seconds > 0) {
    const auto left = static_cast<long long>(p.seconds * (1 - done) / done + 0.5);
    if (left >= 3600) {
      std::snprintf(eta, sizeof eta, "ETA %lld:%02lld:%02lld", left / 3600, left / 60 % 60,
                    left % 60);
    } else {
      std::snprintf(eta, sizeof eta, "ETA %lld:%02lld", left / 60, left % 60);
    }
  }
  std::snprintf(text, sizeof text, "%3.0f%%  %llu rows  %.0f rows/s  %s", done * 100,
                static_cast<unsigned long long>(p.rows), rate, eta);
  // The bar's width depends only on the terminal's (a bar that shrank whenever the row count
  // gained a digit would jitter); the text after it takes up to ~50 columns.
  const int room = width - 1 - 4 - 50;  // "[", "]", two spaces, the text
  if (room < 10 || static_cast<int>(std::strlen(text)) > 50) return text;
  const int bar = std::min(room, 40);
  const int full = static_cast<int>(done * bar);
  std::string line = "[";
  line.append(static_cast<size_t>(full), '#');
  line.append(static_cast<size_t>(bar - full), '.');
  line += "]  ";
  line += text;
  return line;
}

csv_summary classify_csv(const rule_set& rules, const std::string& input_path,
                         const std::string& output_path, const std::string& rejects_path,
                         const csv_options& options) {
  const auto started = clock_type::now();
  std::string why;
  if (options.coverage && !options.coverage->empty() && !options.coverage->matches(rules, &why)) {
    csv_summary s;
    s.error = "the coverage to add to is not for this rule set: " + why;
    return s;
  }
  if (std::string problem = limits_problem(options); !problem.empty()) {
    csv_summary s;
    s.error = problem;
    return s;
  }
  {
    csv_job job(rules, options);
    csv_summary s = job.run(input_path, output_path, rejects_path, started);
    if (!job.retry_as_gb18030) return s;
  }
  csv_options gb = options;
  gb.encoding = input_encoding::gb18030;
  csv_job job(rules, gb);
  return job.run(input_path, output_path, rejects_path, started);
}

}  // namespace chanrules
