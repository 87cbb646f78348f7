// Conservation: a property test of classify_csv() (include/chanrules/csv.h) over random
// exports for the shipped rule set (rules/channel-2009).
//
// Each case generates an export whose every record is known to be valid or invalid, with
// random quoting (quoted cells holding commas, doubled quotes and line breaks), LF / CRLF /
// mixed line ends, an optional UTF-8 BOM, blank lines, padded cells, columns in random order
// with an extra pass-through column, sometimes no final line end, and sometimes GB18030.
// Invalid records: a value outside an enum, a bad or too small number, a bad boolean, a
// missing required value, a wrong field count, a duplicate customer_id, a stray quote.
// It then checks, for every case, what docs/reliability.md calls "nothing lost":
//   - rows_out + rows_rejected == rows_in, and each equals the count generated;
//   - the output holds exactly the valid records, in input order, each starting with the
//     record's input bytes unchanged (GB18030: its UTF-8 decoding), then one cell per
//     output decision;
//   - the rejects file holds exactly the invalid records, in input order, with the physical
//     line each starts on and its input bytes unchanged;
//   - the input file is untouched.
// Seeds are fixed (case number), so a failure names a case that reproduces.
#include <chanrules/csv.h>
#include <chanrules/rule_set.h>
#include <gtest/gtest.h>
#include <iconv.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "io/byte_stream.h"
#include "io/csv_reader.h"

namespace chanrules {
namespace {

const rule_set& rules2009() {
  static const load_result loaded =
      rule_set::load(std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009");
  if (!loaded.ok()) throw std::runtime_error("rules/channel-2009 does not load");
  return *loaded.rules;
}

const std::vector<std::string> kColumns = {"customer_id",
                                           "customer_name",
                                           "network",
                                           "market_tier",
                                           "local_rank",
                                           "gsm_monthly_units",
                                           "se_permission",
                                           "coolpad_coop_months",
                                           "coolpad_continuous_pickup",
                                           "coolpad_avg_monthly_units",
                                           "segment",
                                           "operator",
                                           "operator_role"};

// One generated record: its cells (unquoted text) by column name, and whether it is valid.
struct record {
  std::vector<std::string> cells;  // in the export's column order
  bool valid = true;
  bool syntax_error = false;  // a stray quote is written into one cell
  size_t bad_cell = 0;        // for syntax errors: which cell gets the quote
  bool extra_cell = false;    // wrong field count: one cell too many
  bool missing_cell = false;  // wrong field count: one cell too few
};

class generator {
 public:
  explicit generator(uint32_t seed) : rng_(seed) {}

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }
  template <class T>
  const T& one_of(const std::vector<T>& v) {
    return v[pick(v.size())];
  }

  // A customer name: ASCII, Chinese, full-width, or with the characters CSV must quote.
  std::string name() {
    static const std::vector<std::string> parts = {
        "Shop",
        "GOME",
        "\xe5\x9b\xbd\xe7\xbe\x8e",  // 国美
        "Suning",
        "\xe8\x8b\x8f\xe5\xae\x81",                          // 苏宁
        "\xe4\xba\x94\xe6\x98\x9f\xe7\x94\xb5\xe5\x99\xa8",  // 五星电器
        "\xef\xbc\xa7\xef\xbc\xaf",                          // ＧＯ
        ", comma",
        "\"quoted\"",
        "line\nbreak",
        "crlf\r\nbreak",
        " padded ",
        "=formula"};
    std::string out;
    size_t n = 1 + pick(3);
    for (size_t i = 0; i < n; ++i) out += one_of(parts);
    return out;
  }

  std::string number(int64_t lo, int64_t hi) {
    return std::to_string(std::uniform_int_distribution<int64_t>(lo, hi)(rng_));
  }

  // A valid value for a column ("" is a missing value where the column is optional).
  std::string valid_value(const std::string& column) {
    if (column == "customer_name") return name();
    if (column == "network") return one_of(std::vector<std::string>{"S", "W", "R", "O"});
    if (chance(20)) return "";  // every other column is optional
    if (column == "market_tier")
      return one_of(std::vector<std::string>{"T1", "T2", "T3", "T4", "T5", "T6"});
    if (column == "local_rank") return number(1, 50);
    if (column == "gsm_monthly_units" || column == "coolpad_coop_months") return number(0, 900);
    if (column == "se_permission") return one_of(std::vector<std::string>{"DRA", "x", "KRA"});
    if (column == "coolpad_continuous_pickup")
      return one_of(std::vector<std::string>{"true", "false", "1", "0", "Y", "N", "\xe6\x98\xaf",
                                             "\xe5\x90\xa6"});  // 是 否
    if (column == "coolpad_avg_monthly_units") return number(0, 20) + "." + number(0, 99);
    if (column == "segment")
      return one_of(std::vector<std::string>{"it_retailer", "online", "individual", "other"});
    if (column == "operator") return one_of(std::vector<std::string>{"CMCC", "CU", "CT"});
    if (column == "operator_role")
      return one_of(std::vector<std::string>{"city_company", "business_hall", "contractor"});
    return name();  // the extra pass-through column
  }

  // A record; `ids` holds the ids of records accepted so far (for duplicates).
  record make(const std::vector<std::string>& columns, std::vector<std::string>& ids) {
    record r;
    for (const auto& c : columns) r.cells.push_back(valid_value(c));
    auto at = [&](const std::string& c) -> std::string& {
      return r.cells[static_cast<size_t>(std::find(columns.begin(), columns.end(), c) -
                                         columns.begin())];
    };
    at("customer_id") = "C" + std::to_string(next_id_++);
    if (chance(70)) {
      ids.push_back(at("customer_id"));
      return r;
    }
    r.valid = false;
    switch (pick(9)) {
      case 0:
        at("network") = "X";
        break;
      case 1:
        at("market_tier") = "T9";
        break;
      case 2:
        at("local_rank") = "0";
        break;  // min 1
      case 3:
        at("gsm_monthly_units") = "1x";
        break;
      case 4:
        at("coolpad_continuous_pickup") = "maybe";
        break;
      case 5:
        at(chance(50) ? "customer_id" : "network") = "";
        break;  // required
      case 6:
        if (ids.empty()) {
          at("operator") = "cmcc";  // enum values are case-sensitive
        } else {
          at("customer_id") = one_of(ids);
        }
        break;
      case 7:
        (chance(50) ? r.extra_cell : r.missing_cell) = true;
        break;
      default:
        r.syntax_error = true;
        r.bad_cell = pick(columns.size());
        break;
    }
    return r;
  }

  // Writes one cell: quoted when it must be, sometimes when it need not be; unquoted cells
  // of trimmed columns are sometimes padded with blanks.
  std::string cell(const std::string& text, bool trimmed) {
    bool must = text.find_first_of(",\"\r\n") != std::string::npos ||
                (!text.empty() && (text.front() == ' ' || text.back() == ' '));
    if (must || chance(15)) {
      std::string out = "\"";
      for (char ch : text) {
        if (ch == '"') out += '"';
        out += ch;
      }
      return out + "\"";
    }
    if (trimmed && !text.empty() && chance(10)) return " " + text + "\t";
    return text;
  }

 private:
  std::mt19937 rng_;
  uint64_t next_id_ = 1;
};

// What the export should produce for each of its records.
struct expected_record {
  std::string raw;    // the record's bytes as written (UTF-8), without its line end
  uint64_t line = 0;  // physical line it starts on (header = 1)
  bool valid = true;
};

struct export_case {
  std::string text;  // the file, UTF-8 (before any GB18030 encoding)
  std::string header_raw;
  std::vector<expected_record> records;
  bool gb18030 = false;
  size_t batch_rows = 16384;
};

export_case make_case(uint32_t seed) {
  generator g(seed);
  export_case c;
  std::vector<std::string> columns = kColumns;
  if (g.chance(50)) std::shuffle(columns.begin(), columns.end(), std::mt19937(seed));
  if (g.chance(50))
    columns.insert(columns.begin() + static_cast<long>(g.pick(columns.size() + 1)), "note");
  int eol_mode = static_cast<int>(g.pick(3));  // LF, CRLF, mixed
  auto eol = [&] {
    bool crlf = eol_mode == 1 || (eol_mode == 2 && g.chance(50));
    return std::string(crlf ? "\r\n" : "\n");
  };
  c.gb18030 = g.chance(15);
  if (!c.gb18030 && g.chance(30)) c.text += "\xef\xbb\xbf";
  static const std::vector<size_t> kBatchRows = {1, 3, 7, 64, 16384};
  c.batch_rows = g.one_of(kBatchRows);

  for (size_t i = 0; i < columns.size(); ++i) c.header_raw += (i ? "," : "") + columns[i];
  c.text += c.header_raw;
  uint64_t line = 1;
  std::vector<std::string> ids;
  size_t n = g.pick(60);
  for (size_t i = 0; i < n; ++i) {
    c.text += eol();
    ++line;
    while (g.chance(5)) {  // blank lines are not records, but count as lines
      c.text += eol();
      ++line;
    }
    record r = g.make(columns, ids);
    std::string raw;
    size_t cells = r.cells.size() + (r.extra_cell ? 1 : 0) - (r.missing_cell ? 1 : 0);
    for (size_t k = 0; k < cells; ++k) {
      if (k) raw += ',';
      if (k >= r.cells.size()) {
        raw += "extra";
      } else if (r.syntax_error && k == r.bad_cell) {
        raw += "bad\"quote";  // a quote inside an unquoted cell
      } else {
        raw += g.cell(r.cells[k], columns[k] != "customer_name");
      }
    }
    c.records.push_back({raw, line, r.valid && !r.syntax_error});
    c.text += raw;
    line += static_cast<uint64_t>(std::count(raw.begin(), raw.end(), '\n'));
  }
  if (n == 0 || g.chance(80)) c.text += eol();  // sometimes no line end after the last record
  return c;
}

std::string to_gb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error("iconv lacks GB18030");
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* o = out.data();
  size_t out_left = out.size();
  size_t rc = iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) throw std::runtime_error("cannot encode as GB18030");
  out.resize(out.size() - out_left);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Conservation : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("chanrules-conservation-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// Checks one case; returns a description of the first violation, or "".
std::string check_case(uint32_t seed, const std::filesystem::path& dir) {
  const rule_set& rules = rules2009();
  export_case c = make_case(seed);
  std::string in = (dir / "in.csv").string(), out = (dir / "out.csv").string(),
              rej = (dir / "out.rejects.csv").string();
  std::string bytes = c.gb18030 ? to_gb18030(c.text) : c.text;
  {
    std::ofstream f(in, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  csv_options options;
  options.batch_rows = c.batch_rows;
  if (c.gb18030) options.encoding = input_encoding::gb18030;
  csv_summary s = classify_csv(rules, in, out, rej, options);
  if (!s.ok) return "run failed: " + s.error;

  uint64_t valid = 0, invalid = 0;
  for (const auto& r : c.records) (r.valid ? valid : invalid)++;
  if (s.rows_in != c.records.size())
    return "rows_in " + std::to_string(s.rows_in) + ", generated " +
           std::to_string(c.records.size());
  if (s.rows_out + s.rows_rejected != s.rows_in) return "rows out + rows rejected != rows in";
  if (s.rows_out != valid || s.rows_rejected != invalid)
    return "rows_out " + std::to_string(s.rows_out) + " (expected " + std::to_string(valid) +
           "), rows_rejected " + std::to_string(s.rows_rejected) + " (expected " +
           std::to_string(invalid) + ")";
  if (slurp(in) != bytes) return "the input file changed";

  // Output: header, then each valid record's bytes followed by the class cells.
  size_t decisions = rules.output_decisions().size();
  std::string output = slurp(out);
  size_t pos = 0;
  auto expect_row = [&](const std::string& raw, const std::string& what) -> std::string {
    if (output.compare(pos, raw.size() + 1, raw + ",") != 0)
      return what + ": output bytes differ from the input at output offset " + std::to_string(pos) +
             "\n  expected: " + raw + "\n  output:   " + output.substr(pos, raw.size() + 40);
    pos += raw.size() + 1;
    size_t eol = output.find('\n', pos);
    if (eol == std::string::npos) return what + ": no line end after the class cells";
    std::string tail = output.substr(pos, eol - pos);
    if (static_cast<size_t>(std::count(tail.begin(), tail.end(), ',')) != decisions - 1 ||
        tail.find('"') != std::string::npos)
      return what + ": expected " + std::to_string(decisions) + " class cells, got '" + tail + "'";
    pos = eol + 1;
    return "";
  };
  // The header keeps its bytes too (a BOM is dropped: it is not part of the header).
  if (std::string e = expect_row(c.header_raw, "header"); !e.empty()) return e;
  for (size_t i = 0; i < c.records.size(); ++i) {
    if (!c.records[i].valid) continue;
    std::string e = expect_row(c.records[i].raw, "record " + std::to_string(i) + " (line " +
                                                     std::to_string(c.records[i].line) + ")");
    if (!e.empty()) return e;
  }
  if (pos != output.size()) return "output has bytes after the last valid record";

  // Rejects: the invalid records in order, with their lines and unchanged bytes.
  io::string_source source(slurp(rej));
  io::csv_reader reader(source);
  if (!reader.next() || reader.size() != 4 || reader[0] != "line")
    return "rejects file without its header";
  for (size_t i = 0; i < c.records.size(); ++i) {
    if (c.records[i].valid) continue;
    if (!reader.next()) return "rejects file ends before record " + std::to_string(i);
    if (!reader.ok() || reader.size() != 4) return "rejects record unreadable";
    if (reader[0] != std::to_string(c.records[i].line))
      return "reject of record " + std::to_string(i) + " says line " + std::string(reader[0]) +
             ", expected " + std::to_string(c.records[i].line);
    if (reader[2].empty()) return "reject without a reason";
    if (reader[3] != c.records[i].raw)
      return "reject of record " + std::to_string(i) +
             " changed its bytes:\n  input:  " + c.records[i].raw +
             "\n  reject: " + std::string(reader[3]);
  }
  if (reader.next()) return "rejects file has more records than invalid rows";
  return "";
}

TEST_F(Conservation, RandomExportsLoseNothing) {
  ASSERT_NO_THROW(rules2009());
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    std::string problem = check_case(seed, dir_);
    ASSERT_EQ(problem, "") << "case " << seed;
  }
}

// The generator itself must produce what the property is about, or the test proves little.
TEST(ConservationGenerator, CoversTheInterestingShapes) {
  size_t invalid = 0, quoted_breaks = 0, gb = 0, crlf = 0, bom = 0, empty = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    export_case c = make_case(seed);
    gb += c.gb18030;
    crlf += c.text.find("\r\n") != std::string::npos;
    bom += c.text.rfind("\xef\xbb\xbf", 0) == 0;
    empty += c.records.empty();
    for (const auto& r : c.records) {
      invalid += !r.valid;
      quoted_breaks += r.raw.find('\n') != std::string::npos;
    }
  }
  EXPECT_GT(invalid, 500u);
  EXPECT_GT(quoted_breaks, 100u);
  EXPECT_GT(gb, 20u);
  EXPECT_GT(crlf, 100u);
  EXPECT_GT(bom, 30u);
  EXPECT_GT(empty, 0u);
}

}  // namespace
}  // namespace chanrules
