// The parallel CSV path: io::csv_chunker cuts exactly where csv_reader would start a record,
// and classify_csv writes the same bytes whatever the number of threads and piece size.
#include <chanrules/coverage.h>
#include <chanrules/csv.h>
#include <chanrules/rule_set.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "io/byte_stream.h"
#include "io/csv_chunker.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"

namespace {

using namespace chanrules;

struct record {
  uint64_t line = 0;
  bool ok = true;
  std::string error;
  std::string raw;
  std::vector<std::string> fields;
  bool operator==(const record&) const = default;
};

std::ostream& operator<<(std::ostream& os, const record& r) {
  os << "line " << r.line << (r.ok ? " ok" : " error '" + r.error + "'") << " raw '" << r.raw
     << "' fields";
  for (const auto& f : r.fields) os << " [" << f << "]";
  return os;
}

record take(const io::csv_reader& reader, uint64_t line_base) {
  record r;
  r.line = line_base + reader.line() - 1;
  r.ok = reader.ok();
  r.error = reader.error();
  r.raw = std::string(reader.raw());
  for (auto f : reader.fields()) r.fields.emplace_back(f);
  return r;
}

std::vector<record> read_whole(const std::string& text, io::csv_reader_options options) {
  io::string_source source(text, 7);
  options.block_size = 5;
  io::csv_reader reader(source, options);
  std::vector<record> out;
  while (reader.next()) out.push_back(take(reader, 1));
  return out;
}

// What classify_csv does with the pieces: each read on its own, lines shifted.
std::vector<record> read_in_pieces(const std::string& text, io::csv_reader_options options,
                                   size_t target, size_t* pieces = nullptr) {
  io::string_source source(text, 13);
  io::csv_chunker chunker(source, target, options.max_record_size);
  io::csv_chunk chunk;
  std::vector<record> out;
  uint64_t line_base = 1;
  uint64_t offset = 0;
  size_t n = 0;
  while (chunker.next(chunk)) {
    ++n;
    EXPECT_EQ(chunk.offset, offset);
    EXPECT_EQ(chunk.first_line, line_base);
    if (chunk.error) std::rethrow_exception(chunk.error);
    if (chunk.oversized) {
      record r;
      r.line = line_base;
      r.ok = false;
      r.error = "record longer than max_record_size (" + std::to_string(options.max_record_size) +
                " bytes)";
      out.push_back(r);
      line_base += chunk.oversized_lines;
      offset += chunk.oversized_bytes;
      continue;
    }
    io::csv_reader_options o = options;
    o.skip_bom = chunk.first;
    o.first_line = chunk.first_line;
    io::csv_reader reader(chunk.text(), o);
    while (reader.next()) out.push_back(take(reader, 1));
    line_base = reader.next_line();
    offset += chunk.size;
  }
  EXPECT_EQ(offset, text.size());
  if (pieces) *pieces = n;
  return out;
}

std::string random_csv(std::mt19937& rng, size_t length) {
  // Heavy on the bytes that matter to the state machine.
  static const std::vector<std::string> atoms = {"a",    "b",  ",",   ",",     "\"",    "\"",
                                                 "\"\"", "\n", "\n",  "\r\n",  "\r",    " ",
                                                 "é",    "国", "x,y", "\"q\"", "\",\"", "\n\n"};
  std::string s;
  if (rng() % 4 == 0) s += "\xEF\xBB\xBF";
  while (s.size() < length) s += atoms[rng() % atoms.size()];
  return s;
}

TEST(CsvChunker, PiecesReadLikeTheWholeStream) {
  std::mt19937 rng(20091019);
  io::csv_reader_options options;
  options.max_record_size = 40;  // small, so that oversized records come up
  options.max_field_size = 15;
  for (int round = 0; round < 3000; ++round) {
    std::string text = random_csv(rng, 1 + rng() % 300);
    auto whole = read_whole(text, options);
    for (size_t target : {size_t{1}, size_t{2}, size_t{7}, size_t{33}, size_t{1000}}) {
      auto pieces = read_in_pieces(text, options, target);
      ASSERT_EQ(pieces, whole) << "target " << target << " text:\n" << text;
    }
  }
}

TEST(CsvChunker, CutsOnlyAfterRecordEnds) {
  // A quoted line break, a stray quote and a quote after a closing quote: none of them
  // moves the cut off a record boundary.
  std::string text =
      "id,name\n1,\"two\nlines\"\n2,ab\"c\n3,\"x\"y\"\n4,\"\"\"q\"\"\"\n5,\"a\r\nb\"\r\n6,z\n";
  size_t pieces = 0;
  auto got = read_in_pieces(text, {}, 1, &pieces);
  EXPECT_EQ(got, read_whole(text, {}));
  EXPECT_EQ(pieces, 7u);  // one record per piece
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got[1].fields[1], "two\nlines");
  EXPECT_EQ(got[2].line, 4u);
  EXPECT_FALSE(got[3].ok);
}

TEST(CsvChunker, OversizedRecordIsNotBuffered) {
  io::csv_reader_options options;
  options.max_record_size = 1000;
  std::string big(50000, 'x');
  std::string text = "a,b\n1,2\n\"" + big + "\n" + big + "\",3\n4,5\n";
  size_t pieces = 0;
  auto got = read_in_pieces(text, options, 16, &pieces);
  EXPECT_EQ(got, read_whole(text, options));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[2].line, 3u);
  EXPECT_FALSE(got[2].ok);
  EXPECT_EQ(got[3].line, 5u);
  // The chunker never held the 100 KB record.
  io::string_source source(text, 512);
  io::csv_chunker chunker(source, 16, options.max_record_size);
  io::csv_chunk chunk;
  while (chunker.next(chunk))
    EXPECT_LT(chunk.capacity, 1000u + 16 + 4 * io::csv_chunker::read_size);
}

// A source that fails after `good` bytes.
class failing_source : public io::byte_source {
 public:
  failing_source(std::string data, size_t good) : data_(std::move(data)), good_(good) {}
  size_t read(char* buf, size_t n) override {
    if (pos_ >= good_) throw io::io_error("read", name_, 5);
    size_t k = std::min({n, good_ - pos_, size_t{3}});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string data_;
  size_t good_;
  size_t pos_ = 0;
  std::string name_ = "<failing>";
};

TEST(CsvChunker, SourceFailureComesAfterTheCompletedRecords) {
  std::string text = "a,b\n1,2\n3,4\n5,6\n";
  failing_source source(text, 14);  // fails inside "3,4\n5,6"... after "3,4\n5,"
  io::csv_chunker chunker(source, 1000, 1 << 20);
  io::csv_chunk chunk;
  ASSERT_TRUE(chunker.next(chunk));
  EXPECT_FALSE(chunk.error);
  EXPECT_EQ(chunk.text(), "a,b\n1,2\n3,4\n");
  ASSERT_TRUE(chunker.next(chunk));
  EXPECT_TRUE(chunk.error);
  EXPECT_FALSE(chunker.next(chunk));
}

TEST(CsvWriterAppend, SameBytesAsTheWriter) {
  std::mt19937 rng(7);
  static const std::vector<std::string> atoms = {"a", ",", "\"", "\n", "\r", "=",
                                                 "-", "@", "\t", "国", " ",  "+"};
  for (int i = 0; i < 2000; ++i) {
    std::string field;
    size_t n = rng() % 6;
    for (size_t k = 0; k < n; ++k) field += atoms[rng() % atoms.size()];
    for (bool safe : {false, true}) {
      io::string_sink sink;
      {
        io::csv_writer_options o;
        o.excel_safe = safe;
        io::csv_writer w(sink, o);
        w.write_field("x");
        w.write_field(field);
        w.flush();
      }
      std::string mine = "x,";
      io::append_csv_field(mine, field, safe);
      EXPECT_EQ(mine, sink.str()) << field;
    }
  }
  std::string json;
  io::append_json_string(json, std::string("a\"b\\c\n\r\t\x01国", 12));
  EXPECT_EQ(json, "\"a\\\"b\\\\c\\n\\r\\t\\u0001国\"");
}

// --- classify_csv: the same bytes whatever the threads ----------------------------------

class temp_dir {
 public:
  temp_dir() {
    char pattern[] = "/tmp/chanrules-pipeline-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~temp_dir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string header =
    "customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units,se_permission,"
    "coolpad_coop_months,coolpad_continuous_pickup,coolpad_avg_monthly_units,segment,operator,"
    "operator_role";

// An export with every kind of row: good ones, bad values, bad syntax, wrong field counts,
// duplicates (also of rows that are themselves bad), quoted line breaks, blank lines.
std::string mixed_export(size_t rows, uint32_t seed) {
  std::mt19937 rng(seed);
  static const char* networks[] = {"R", "W", "S", "O", "R", "R", "X"};
  static const char* names[] = {"国美电器", "Shop, \"A\"", "苏宁\n二店", "=cmd", "迪信通", "x"};
  std::string s = header + "\n";
  for (size_t i = 0; i < rows; ++i) {
    // Built with append: GCC 12 warns falsely (-Wrestrict) about "C" + std::to_string(...).
    std::string id = "C";
    id += std::to_string(rng() % 10 == 0 ? rng() % (i + 1) : i);
    std::string name = names[rng() % 6];
    std::string quoted = "\"";
    for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    switch (rng() % 23) {
      case 0:
        s += id + ",bad\"quote,R,,,,,,,,,,\n";
        continue;
      case 1:
        s += id + ",x,R\n";
        continue;
      case 2:
        s += "\n";
        continue;
      case 3:
        s += "," + quoted + ",R,,,,,,,,,,\n";  // no id
        continue;
      default:
        break;
    }
    s += id + "," + quoted + "," + networks[rng() % 7] + ",T" + std::to_string(1 + rng() % 7) +
         "," + std::to_string(rng() % 5) + "," + std::to_string(rng() % 1000) + ",DRA," +
         std::to_string(rng() % 6) + "," + (rng() % 2 ? "是" : "N") + "," +
         std::to_string(rng() % 10) + ".5,,," + "\r\n";
  }
  return s;
}

std::shared_ptr<const rule_set> rules_2009() {
  auto loaded = rule_set::load(std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009");
  EXPECT_TRUE(loaded.ok());
  return loaded.rules;
}

TEST(ClassifyCsv, SameBytesWhateverTheThreadsAndPieces) {
  auto rules = rules_2009();
  temp_dir dir;
  std::string in = dir.path() + "/in.csv";
  std::ofstream(in, std::ios::binary) << mixed_export(3000, 42);
  std::string ref_out, ref_rej;
  csv_summary ref;
  for (auto format : {output_format::csv, output_format::jsonl}) {
    for (bool reasons : {false, true}) {
      bool first = true;
      for (unsigned jobs : {1u, 2u, 3u, 8u}) {
        for (size_t chunk : {size_t{1}, size_t{100}, size_t{4096}, size_t{1} << 20}) {
          csv_options o;
          o.jobs = jobs;
          o.chunk_bytes = chunk;
          o.batch_rows = chunk == 100 ? 7 : 16384;
          o.format = format;
          o.reasons = reasons;
          std::string out = dir.path() + "/out", rej = dir.path() + "/rej";
          csv_summary s = classify_csv(*rules, in, out, rej, o);
          ASSERT_TRUE(s.ok) << s.error;
          EXPECT_EQ(s.rows_out + s.rows_rejected, s.rows_in);
          if (first) {
            ref_out = slurp(out);
            ref_rej = slurp(rej);
            ref = s;
            first = false;
            EXPECT_GT(s.rows_rejected, 100u);
            EXPECT_GT(s.rows_out, 1000u);
            continue;
          }
          SCOPED_TRACE("jobs " + std::to_string(jobs) + " chunk " + std::to_string(chunk));
          EXPECT_EQ(slurp(out), ref_out);
          EXPECT_EQ(slurp(rej), ref_rej);
          EXPECT_EQ(s.rows_in, ref.rows_in);
          EXPECT_EQ(s.rows_rejected, ref.rows_rejected);
          EXPECT_EQ(s.rows_with_missing, ref.rows_with_missing);
          ASSERT_EQ(s.decisions.size(), ref.decisions.size());
          for (size_t d = 0; d < s.decisions.size(); ++d)
            EXPECT_EQ(s.decisions[d].counts, ref.decisions[d].counts);
          ASSERT_EQ(s.first_rejects.size(), ref.first_rejects.size());
          for (size_t r = 0; r < s.first_rejects.size(); ++r)
            EXPECT_EQ(s.first_rejects[r].reason, ref.first_rejects[r].reason);
        }
      }
    }
  }
}

// The record size limits are the caller's (csv_options), the same in the reader of every
// piece and in the chunker; a record over one is rejected with a reason naming the limit
// and how to raise it, and raising the limit accepts it.
TEST(ClassifyCsv, RecordLimitsAreTheCallersAndNamedInRejects) {
  auto rules = rules_2009();
  temp_dir dir;
  const std::string header =
      "customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units,se_permission,"
      "coolpad_coop_months,coolpad_continuous_pickup,coolpad_avg_monthly_units,segment,operator,"
      "operator_role\n";  // 13 columns, 191 bytes
  const std::string tail = ",R,T5,1,520,DRA,,,,,,\n";
  const std::string in = dir.path() + "/in.csv";
  std::ofstream(in, std::ios::binary)
      << header << "C1,short" << tail << "C2," << std::string(300, 'n') << tail << "C3,x" << tail;
  const std::string out = dir.path() + "/out.csv", rej = dir.path() + "/rej.csv";
  auto run = [&](csv_options o) { return classify_csv(*rules, in, out, rej, o); };

  csv_summary s = run({});
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.rows_out, 3u);

  for (unsigned jobs : {1u, 3u}) {
    // chunk_bytes 16 puts every record in a piece of its own; an oversized one is then
    // skipped by the chunker rather than the reader, with the same reason.
    for (size_t chunk : {size_t{16}, size_t{1} << 20}) {
      SCOPED_TRACE("jobs " + std::to_string(jobs) + " chunk " + std::to_string(chunk));
      csv_options o;
      o.jobs = jobs;
      o.chunk_bytes = chunk;
      o.max_field_size = 299;
      s = run(o);
      ASSERT_TRUE(s.ok) << s.error;
      EXPECT_EQ(s.rows_out, 2u);
      ASSERT_EQ(s.rows_rejected, 1u);
      EXPECT_EQ(s.first_rejects[0].line, 3u);
      EXPECT_EQ(s.first_rejects[0].column, "customer_name");
      EXPECT_EQ(slurp(rej),
                "line,column,reason,record\n"
                "3,customer_name,\"field 2: longer than max_field_size (299 bytes); if such "
                "records are genuine, raise --max-field-bytes (csv_options::max_field_size)\",\n");
      o.max_field_size = 300;  // as long as the field: accepted
      s = run(o);
      ASSERT_TRUE(s.ok) << s.error;
      EXPECT_EQ(s.rows_out, 3u);

      o = {};
      o.jobs = jobs;
      o.chunk_bytes = chunk;
      o.max_record_size = 250;  // the header (191 bytes) fits, the long record does not
      s = run(o);
      ASSERT_TRUE(s.ok) << s.error;
      EXPECT_EQ(s.rows_out, 2u);
      ASSERT_EQ(s.rows_rejected, 1u);
      EXPECT_EQ(s.first_rejects[0].line, 3u);
      EXPECT_EQ(s.first_rejects[0].column, "");
      EXPECT_EQ(s.first_rejects[0].reason,
                "record longer than max_record_size (250 bytes); if such records are genuine, "
                "raise --max-record-bytes (csv_options::max_record_size)");
      o.max_record_size = 324;  // as long as the record: accepted
      s = run(o);
      ASSERT_TRUE(s.ok) << s.error;
      EXPECT_EQ(s.rows_out, 3u);
    }
  }

  // A header over a limit fails the run, saying which limit.
  csv_options o;
  o.max_fields = 12;
  s = run(o);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error,
            "line 1: the header cannot be read: more than max_fields (12) fields; if such records "
            "are genuine, raise --max-fields (csv_options::max_fields)");
  o.max_fields = 13;
  s = run(o);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.rows_out, 3u);

  // Limits that cannot be used are refused before anything is read.
  o = {};
  o.max_field_size = 0;
  s = run(o);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, "csv_options::max_field_size must be at least 1");
  o = {};
  o.max_record_size = (size_t{1} << 30) + 1;
  s = run(o);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error,
            "csv_options::max_record_size is 1073741825 bytes; the most it can be is "
            "1073741824 (1 GiB)");
  o = {};
  o.chunk_bytes = size_t{5} << 30;  // pieces are indexed with 32-bit offsets
  s = run(o);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error,
            "csv_options::chunk_bytes is 5368709120 bytes; the most it can be is "
            "1073741824 (1 GiB)");
}

// A field beyond the default limit, accepted with a raised one, reads the same wherever the
// run reads it again: here a duplicate taken back out of the coverage.
TEST(ClassifyCsv, RaisedLimitsHoldForDuplicatesTakenBack) {
  auto rules = rules_2009();
  temp_dir dir;
  const std::string big(size_t{3} << 19, 'n');  // 1.5 MiB, over the default 1 MiB
  const std::string row = "C1," + big + ",R,T5,1,520,DRA,,,,,,\n";
  const std::string in = dir.path() + "/in.csv";
  std::ofstream(in, std::ios::binary)
      << "customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units,"
         "se_permission,coolpad_coop_months,coolpad_continuous_pickup,coolpad_avg_monthly_units,"
         "segment,operator,operator_role\n"
      << row << row;
  csv_options o;
  o.max_field_size = size_t{2} << 20;
  coverage covered;
  o.coverage = &covered;
  csv_summary s = classify_csv(*rules, in, dir.path() + "/out.csv", dir.path() + "/rej.csv", o);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.rows_out, 1u);
  EXPECT_EQ(s.rows_rejected, 1u);  // the duplicate id
  EXPECT_EQ(covered.records(), 1u);
}

TEST(ClassifyCsv, IdsBeyondTheirMemoryGiveTheSameResult) {
  // unique_memory 0: the id table is frozen after the first piece, and every later
  // duplicate is settled at the end (cut out of the output, merged into the rejects).
  auto rules = rules_2009();
  temp_dir dir;
  std::string in = dir.path() + "/in.csv";
  std::ofstream(in, std::ios::binary) << mixed_export(4000, 7);
  std::string ref_out, ref_rej;
  csv_summary ref;
  bool first = true;
  for (size_t memory : {size_t{64} << 20, size_t{0}, size_t{2000}}) {
    for (unsigned jobs : {1u, 3u}) {
      for (size_t chunk : {size_t{100}, size_t{5000}}) {
        for (auto format : {output_format::csv, output_format::jsonl}) {
          if (format == output_format::jsonl && memory != 0) continue;
          csv_options o;
          o.jobs = jobs;
          o.chunk_bytes = chunk;
          o.unique_memory = memory;
          o.format = format;
          o.reasons = true;
          std::string out = dir.path() + "/out", rej = dir.path() + "/rej";
          csv_summary s = classify_csv(*rules, in, out, rej, o);
          ASSERT_TRUE(s.ok) << s.error;
          SCOPED_TRACE("memory " + std::to_string(memory) + " jobs " + std::to_string(jobs) +
                       " chunk " + std::to_string(chunk));
          EXPECT_EQ(s.unique_spilled, memory < 1000000);
          if (format == output_format::jsonl) {
            // Against the in-memory run of the same format.
            csv_options m = o;
            m.unique_memory = size_t{64} << 20;
            std::string out2 = dir.path() + "/out2";
            ASSERT_TRUE(classify_csv(*rules, in, out2, dir.path() + "/rej2", m).ok);
            EXPECT_EQ(slurp(out), slurp(out2));
            continue;
          }
          if (first) {
            ref_out = slurp(out);
            ref_rej = slurp(rej);
            ref = s;
            first = false;
            EXPECT_GT(s.rows_rejected, 100u);
            continue;
          }
          EXPECT_EQ(slurp(out), ref_out);
          EXPECT_EQ(slurp(rej), ref_rej);
          EXPECT_EQ(s.rows_out, ref.rows_out);
          EXPECT_EQ(s.rows_rejected, ref.rows_rejected);
          EXPECT_EQ(s.rows_with_missing, ref.rows_with_missing);
          for (size_t d = 0; d < s.decisions.size(); ++d) {
            EXPECT_EQ(s.decisions[d].counts, ref.decisions[d].counts);
            EXPECT_EQ(s.decisions[d].no_outcome, ref.decisions[d].no_outcome);
            EXPECT_EQ(s.decisions[d].with_missing, ref.decisions[d].with_missing);
          }
          ASSERT_EQ(s.first_rejects.size(), ref.first_rejects.size());
          for (size_t r = 0; r < s.first_rejects.size(); ++r) {
            EXPECT_EQ(s.first_rejects[r].line, ref.first_rejects[r].line);
            EXPECT_EQ(s.first_rejects[r].reason, ref.first_rejects[r].reason);
          }
        }
      }
    }
  }
  // No temporary file is left in the output's folder.
  EXPECT_EQ(std::system(("test -z \"$(ls -A '" + dir.path() +
                         "' | grep -v '^in.csv$' | grep -v "
                         "'^out' | grep -v '^rej')\"")
                            .c_str()),
            0);
}

TEST(ClassifyCsv, JsonLines) {
  auto rules = rules_2009();
  temp_dir dir;
  std::string in = dir.path() + "/in.csv";
  std::ofstream(in, std::ios::binary) << header << ",note\n"
                                      << "C1,\"国美\"\"一\"\"\n店\",R,,,,,,,,,,,x\n"
                                      << "C2,Shop,O,,,,,,,,,CT,,\n"
                                      << "C3,Shop,Q,,,,,,,,,,,\n";
  csv_options o;
  o.format = output_format::jsonl;
  o.decisions = {"samsung_class", "account_group"};
  o.reasons = true;
  std::string out = dir.path() + "/out.jsonl";
  csv_summary s = classify_csv(*rules, in, out, dir.path() + "/rej.csv", o);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(slurp(out),
            "{\"customer_id\":\"C1\",\"customer_name\":\"国美\\\"一\\\"\\n店\",\"network\":\"R\","
            "\"market_tier\":\"\",\"local_rank\":\"\",\"gsm_monthly_units\":\"\",\"se_permission\":"
            "\"\",\"coolpad_coop_months\":\"\",\"coolpad_continuous_pickup\":\"\","
            "\"coolpad_avg_monthly_units\":\"\",\"segment\":\"\",\"operator\":\"\","
            "\"operator_role\":\"\",\"note\":\"x\",\"samsung_class\":\"国美\","
            "\"samsung_class_rule\":\"named-account\",\"samsung_class_missing\":[],"
            "\"account_group\":\"GES\",\"account_group_rule\":\"ges\",\"account_group_missing\":[]}"
            "\n"
            "{\"customer_id\":\"C2\",\"customer_name\":\"Shop\",\"network\":\"O\","
            "\"market_tier\":\"\",\"local_rank\":\"\",\"gsm_monthly_units\":\"\",\"se_permission\":"
            "\"\",\"coolpad_coop_months\":\"\",\"coolpad_continuous_pickup\":\"\","
            "\"coolpad_avg_monthly_units\":\"\",\"segment\":\"\",\"operator\":\"CT\","
            "\"operator_role\":\"\",\"note\":\"\",\"samsung_class\":\"CT\","
            "\"samsung_class_rule\":\"o-network\",\"samsung_class_missing\":[],"
            "\"account_group\":null,\"account_group_rule\":null,\"account_group_missing\":[]}\n");
  EXPECT_EQ(s.rows_rejected, 1u);
  EXPECT_EQ(
      slurp(dir.path() + "/rej.csv"),
      "line,column,reason,record\n5,network,'Q' is not one of: S W R O,\"C3,Shop,Q,,,,,,,,,,,\"\n");
}

TEST(ClassifyCsv, JsonLinesRefusesRepeatedColumnNames) {
  auto rules = rules_2009();
  temp_dir dir;
  std::string in = dir.path() + "/in.csv";
  std::ofstream(in, std::ios::binary) << header << ",x,x\nC1,Shop,R,,,,,,,,,,,1,2\n";
  csv_options o;
  o.format = output_format::jsonl;
  csv_summary s = classify_csv(*rules, in, dir.path() + "/out", "", o);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error,
            "--format jsonl needs distinct column names; the header names 'x' twice (columns 14 "
            "and 15)");
}

TEST(ClassifyCsv, ProgressLine) {
  csv_progress p;
  p.rows = 500000;
  p.bytes = 25;
  p.total_bytes = 100;
  p.seconds = 1;
  EXPECT_EQ(progress_line(p, 80),
            "[######...................]   25%  500000 rows  500000 rows/s  ETA 0:03");
  EXPECT_EQ(progress_line(p, 60), " 25%  500000 rows  500000 rows/s  ETA 0:03");
  p.total_bytes = 0;
  EXPECT_EQ(progress_line(p, 80), "500000 rows  500000 rows/s");
}

}  // namespace

namespace chanrules {
namespace {

// explain --id's lookup reads with the caller's limits, and says when records it could not
// read might be the one asked for.
TEST(FindCsvRecord, UsesTheLimitsAndReportsUnreadableRecords) {
  temp_dir dir;
  const std::string in = dir.path() + "/in.csv";
  std::ofstream(in, std::ios::binary)
      << "customer_id,note\nA,short\nB," << std::string(300, 'x') << "\nC,x,extra\n";
  csv_options o;
  o.max_field_size = 100;
  csv_lookup r = find_csv_record(in, "customer_id", "B", o);
  EXPECT_FALSE(r.found);
  EXPECT_EQ(r.error, in + ": no record with customer_id 'B'; 2 records could not be read (the "
                          "first at line 3: field 2: longer than max_field_size (100 bytes); if "
                          "such records are genuine, raise --max-field-bytes "
                          "(csv_options::max_field_size))");
  o.max_field_size = 1000;
  r = find_csv_record(in, "customer_id", "B", o);
  ASSERT_TRUE(r.found) << r.error;
  EXPECT_EQ(r.line, 3u);
  EXPECT_EQ(r.record["note"], std::string(300, 'x'));
  // The encoding-only form keeps the defaults; unusable limits are refused.
  EXPECT_TRUE(find_csv_record(in, "customer_id", "A").found);
  o.max_fields = 0;
  EXPECT_EQ(find_csv_record(in, "customer_id", "A", o).error,
            "csv_options::max_fields must be at least 1");
}

}  // namespace
}  // namespace chanrules
