// Tests of src/io: the CSV reader (syntax, line numbers, errors and recovery, limits, raw
// bytes), encodings (UTF-8 validation, GB18030 decoding, detection), the CSV writer
// (quoting, excel_safe, round trip) and atomic_file_writer.
//
// Every reader case runs at many block sizes, from 1 byte up, and with short reads from
// the source: block boundaries must fall inside every construct (a CRLF, a "" escape, a
// BOM, a multi-byte character) without changing the result.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "io/byte_stream.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"
#include "io/encoding.h"

namespace chanrules::io {
namespace {

using namespace std::string_literals;

// ---- helpers ----

// One record as plain values, so results at different block sizes can be compared.
struct rec {
  std::vector<std::string> fields;
  uint64_t line = 0;
  uint64_t offset = 0;
  std::string error;
  std::string raw;
  bool operator==(const rec&) const = default;
};

std::string escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void PrintTo(const rec& r, std::ostream* os) {
  *os << "{line " << r.line << ", offset " << r.offset << ", fields [";
  for (size_t i = 0; i < r.fields.size(); ++i) *os << (i ? "|" : "") << escape(r.fields[i]);
  *os << "], raw '" << escape(r.raw) << "'";
  if (!r.error.empty()) *os << ", error '" << r.error << "'";
  *os << "}";
}

std::vector<rec> read_with(byte_source& src, csv_reader_options opt) {
  csv_reader reader(src, opt);
  std::vector<rec> out;
  while (reader.next()) {
    rec r;
    for (std::string_view f : reader.fields()) r.fields.emplace_back(f);
    r.line = reader.line();
    r.offset = reader.offset();
    r.error = reader.error();
    r.raw = std::string(reader.raw());
    EXPECT_EQ(reader.ok(), r.error.empty());
    out.push_back(std::move(r));
  }
  EXPECT_FALSE(reader.next());  // stays at the end
  EXPECT_EQ(reader.record_count(), out.size());
  return out;
}

std::vector<rec> read_once(const std::string& input, csv_reader_options opt = {},
                           size_t source_chunk = SIZE_MAX) {
  string_source src(input, source_chunk);
  return read_with(src, opt);
}

const size_t block_sizes[] = {1, 2, 3, 4, 5, 6, 7, 13, 64, 4096};

// Reads `input` with the default 1 MiB block, then at every size of block_sizes and with
// short source reads, and expects the same records every time.
std::vector<rec> read_all(const std::string& input, csv_reader_options opt = {}) {
  std::vector<rec> expected = read_once(input, opt);
  for (size_t bs : block_sizes) {
    csv_reader_options o = opt;
    o.block_size = bs;
    EXPECT_EQ(read_once(input, o), expected)
        << "block size " << bs << ", input '" << escape(input) << "'";
  }
  for (size_t chunk : {size_t{1}, size_t{3}}) {
    EXPECT_EQ(read_once(input, opt, chunk), expected) << "source chunk " << chunk;
  }
  return expected;
}

std::vector<std::vector<std::string>> fields_of(const std::vector<rec>& recs) {
  std::vector<std::vector<std::string>> out;
  for (const rec& r : recs) out.push_back(r.fields);
  return out;
}

std::vector<uint64_t> lines_of(const std::vector<rec>& recs) {
  std::vector<uint64_t> out;
  for (const rec& r : recs) out.push_back(r.line);
  return out;
}

using rows = std::vector<std::vector<std::string>>;

// A fresh directory under $TMPDIR, removed at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "io_test.XXXXXX").string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

std::string read_source(byte_source& src, size_t chunk = 4096) {
  std::string out;
  std::vector<char> buf(chunk);
  for (;;) {
    size_t n = src.read(buf.data(), chunk);
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

// ---- reader: well-formed input ----

TEST(CsvReader, SimpleRecords) {
  auto r = read_all("id,name,network\n1,a,R\n2,b,W\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(fields_of(r), (rows{{"id", "name", "network"}, {"1", "a", "R"}, {"2", "b", "W"}}));
  EXPECT_EQ(lines_of(r), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(r[1].offset, 16u);
  EXPECT_EQ(r[2].offset, 22u);
  EXPECT_EQ(r[1].raw, "1,a,R");
  for (const rec& x : r) EXPECT_EQ(x.error, "");
}

TEST(CsvReader, EmptyInputHasNoRecords) {
  EXPECT_TRUE(read_all("").empty());
  EXPECT_TRUE(read_all("\n").empty());
  EXPECT_TRUE(read_all("\r\n\r\n\n").empty());
  EXPECT_TRUE(read_all("\xEF\xBB\xBF").empty());
  EXPECT_TRUE(read_all("\xEF\xBB\xBF\r\n").empty());
  EXPECT_TRUE(read_all("\r").empty());
}

TEST(CsvReader, HeaderOnly) {
  for (std::string input : {"customer_id,customer_name\n", "customer_id,customer_name",
                            "customer_id,customer_name\r\n"}) {
    auto r = read_all(input);
    ASSERT_EQ(r.size(), 1u) << escape(input);
    EXPECT_EQ(r[0].fields, (std::vector<std::string>{"customer_id", "customer_name"}));
    EXPECT_EQ(r[0].line, 1u);
    EXPECT_EQ(r[0].raw, "customer_id,customer_name");
  }
}

TEST(CsvReader, FinalRecordWithoutNewline) {
  auto r = read_all("a,b\n1,2");
  EXPECT_EQ(fields_of(r), (rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(r[1].raw, "1,2");
  r = read_all("a,b\n1,\"2\"");
  EXPECT_EQ(fields_of(r), (rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(r[1].raw, "1,\"2\"");
  r = read_all("a,b\n1,");
  EXPECT_EQ(fields_of(r), (rows{{"a", "b"}, {"1", ""}}));
}

TEST(CsvReader, CrLfLineEnds) {
  auto r = read_all("a,b\r\n1,2\r\n\"x\",y\r\n");
  EXPECT_EQ(fields_of(r), (rows{{"a", "b"}, {"1", "2"}, {"x", "y"}}));
  EXPECT_EQ(lines_of(r), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(r[1].raw, "1,2");
  EXPECT_EQ(r[1].offset, 5u);
  EXPECT_EQ(r[2].raw, "\"x\",y");
}

TEST(CsvReader, MixedLineEnds) {
  auto r = read_all("a\r\nb\nc\r\nd");
  EXPECT_EQ(fields_of(r), (rows{{"a"}, {"b"}, {"c"}, {"d"}}));
  EXPECT_EQ(lines_of(r), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST(CsvReader, LoneCrIsDataButFinalCrEndsTheRecord) {
  auto r = read_all("a\rb,c\nd,e\r");
  EXPECT_EQ(fields_of(r), (rows{{"a\rb", "c"}, {"d", "e"}}));
  EXPECT_EQ(r[1].raw, "d,e");
  r = read_all("\"q\"\r");
  EXPECT_EQ(fields_of(r), (rows{{"q"}}));
  EXPECT_EQ(r[0].error, "");
}

TEST(CsvReader, BomIsDropped) {
  auto r = read_all(
      "\xEF\xBB\xBF"
      "customer_id,name\n1,x\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields[0], "customer_id");
  EXPECT_EQ(r[0].raw, "customer_id,name");
  EXPECT_EQ(r[0].line, 1u);
  EXPECT_EQ(r[0].offset, 3u);  // offsets count the BOM
  EXPECT_EQ(r[1].offset, 20u);
  // Only at the very start: elsewhere those bytes are data.
  r = read_all(
      "a\n\xEF\xBB\xBF"
      "b\n");
  EXPECT_EQ(fields_of(r), (rows{{"a"},
                                {"\xEF\xBB\xBF"
                                 "b"}}));
  // A BOM followed directly by a quoted field.
  r = read_all("\xEF\xBB\xBF\"a,b\"\n");
  EXPECT_EQ(fields_of(r), (rows{{"a,b"}}));
}

TEST(CsvReader, BlankLinesAreSkippedButCounted) {
  auto r = read_all("\n\nid,name\n\n\r\n1,x\n\n\n2,y\n\n");
  EXPECT_EQ(fields_of(r), (rows{{"id", "name"}, {"1", "x"}, {"2", "y"}}));
  EXPECT_EQ(lines_of(r), (std::vector<uint64_t>{3, 6, 9}));
  EXPECT_EQ(r[1].offset, 13u);
  // A line of blanks is not completely blank: it is a record with one field.
  r = read_all("a\n  \nb\n");
  EXPECT_EQ(fields_of(r), (rows{{"a"}, {"  "}, {"b"}}));
}

TEST(CsvReader, EmptyFields) {
  EXPECT_EQ(fields_of(read_all(",\n")), (rows{{"", ""}}));
  EXPECT_EQ(fields_of(read_all("a,,\n")), (rows{{"a", "", ""}}));
  EXPECT_EQ(fields_of(read_all(",a")), (rows{{"", "a"}}));
  EXPECT_EQ(fields_of(read_all("\"\"\n")), (rows{{""}}));
  EXPECT_EQ(fields_of(read_all("\"\",\"\"")), (rows{{"", ""}}));
  EXPECT_EQ(fields_of(read_all(",,\r\n,")), (rows{{"", "", ""}, {"", ""}}));
}

TEST(CsvReader, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  std::string input =
      "id,name,network\n"
      "1,\"GOME, Beijing\",R\n"
      "2,\"say \"\"hi\"\"\",W\n"
      "3,\"two\nlines\",S\n"
      "4,\"three\r\nphysical\nlines\",O\n"
      "5,\"\"\"\",R\n"
      "6,last,R\n";
  auto r = read_all(input);
  EXPECT_EQ(fields_of(r), (rows{{"id", "name", "network"},
                                {"1", "GOME, Beijing", "R"},
                                {"2", "say \"hi\"", "W"},
                                {"3", "two\nlines", "S"},
                                {"4", "three\r\nphysical\nlines", "O"},
                                {"5", "\"", "R"},
                                {"6", "last", "R"}}));
  // The line on which each record starts; it differs from the record number after a
  // quoted line break.
  EXPECT_EQ(lines_of(r), (std::vector<uint64_t>{1, 2, 3, 4, 6, 9, 10}));
  EXPECT_EQ(r[4].raw, "4,\"three\r\nphysical\nlines\",O");
  for (const rec& x : r) {
    EXPECT_EQ(x.error, "");
    EXPECT_EQ(input.substr(x.offset, x.raw.size()), x.raw);
  }
}

TEST(CsvReader, QuotesAtEveryPosition) {
  auto r = read_all("\"\"\"a\",\"b\"\"\",\"c\"\"d\",\"\"\"\"\"\"\n");
  EXPECT_EQ(fields_of(r), (rows{{"\"a", "b\"", "c\"d", "\"\""}}));
  EXPECT_EQ(r[0].error, "");
}

TEST(CsvReader, RawIsTheExactInputBytes) {
  std::string input =
      "\xEF\xBB\xBF"
      "a,\"b,\"\"c\"\"\",d\r\n\n  x ,\"y\r\nz\"\n\"unterminated";
  auto r = read_all(input);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].raw, "a,\"b,\"\"c\"\"\",d");
  EXPECT_EQ(r[1].raw, "  x ,\"y\r\nz\"");
  EXPECT_EQ(r[2].raw, "\"unterminated");
  for (const rec& x : r) EXPECT_EQ(input.substr(x.offset, x.raw.size()), x.raw);
}

TEST(CsvReader, LongRecordsAcrossManyBlocks) {
  std::string big(10000, 'x');
  std::string quoted = "q\"\"" + std::string(5000, ',') + "\n" + std::string(3000, 'y');
  std::string input = "a,b\n" + big + ",\"" + quoted + "\"\nend,1\n";
  auto r = read_all(input);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].fields[0], big);
  EXPECT_EQ(r[1].fields[1], "q\"" + std::string(5000, ',') + "\n" + std::string(3000, 'y'));
  EXPECT_EQ(r[2].line, 4u);
}

TEST(CsvReader, FieldViewsStayValidUntilNext) {
  // Views into the block and into the unescape scratch buffer, in one record.
  string_source src("\"a\"\"b\",plain,\"c\"\"d\"\nnext\n", 2);
  csv_reader reader(src, {.block_size = 3});
  ASSERT_TRUE(reader.next());
  ASSERT_EQ(reader.size(), 3u);
  EXPECT_EQ(reader[0], "a\"b");
  EXPECT_EQ(reader[1], "plain");
  EXPECT_EQ(reader[2], "c\"d");
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader[0], "next");
  EXPECT_FALSE(reader.next());
}

// ---- reader: errors and recovery ----

TEST(CsvReader, UnterminatedQuoteAtEndOfInput) {
  auto r = read_all("id,name\n1,ok\n2,\"never closed\n3,x\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].error, "");
  EXPECT_EQ(r[2].line, 3u);
  EXPECT_EQ(r[2].error, "field 2: unterminated quoted field (opened on line 3)");
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"2", "never closed\n3,x\n"}));
  EXPECT_EQ(r[2].raw, "2,\"never closed\n3,x\n");
}

TEST(CsvReader, QuoteInsideUnquotedField) {
  auto r = read_all("id,name\n1,ab\"c\n2,ok\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].line, 2u);
  EXPECT_EQ(r[1].error, "field 2: quote inside an unquoted field");
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"1", "ab\"c"}));  // lenient reading
  EXPECT_EQ(r[1].raw, "1,ab\"c");
  EXPECT_EQ(r[2].error, "");
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"2", "ok"}));
  EXPECT_EQ(r[2].line, 3u);
}

TEST(CsvReader, StrayQuoteDoesNotSwallowFollowingLines) {
  auto r = read_all("a\"b\nc\nd\n");
  EXPECT_EQ(fields_of(r), (rows{{"a\"b"}, {"c"}, {"d"}}));
  EXPECT_NE(r[0].error, "");
  EXPECT_EQ(r[1].error, "");
  EXPECT_EQ(lines_of(r), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(CsvReader, GarbageAfterClosingQuote) {
  auto r = read_all("x,\"ab\"c,d\ny\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, "field 2: unexpected character after a closing quote");
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"x", "\"ab\"c", "d"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"y"}));
  EXPECT_EQ(r[1].error, "");
  // A blank after the closing quote is garbage too (RFC 4180 is strict here).
  r = read_all("\"ab\" \n");
  EXPECT_EQ(r[0].error, "field 1: unexpected character after a closing quote");
  // So is a lone CR.
  r = read_all("\"ab\"\rx\nz\n");
  EXPECT_NE(r[0].error, "");
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"z"}));
}

TEST(CsvReader, RecoveryResumesAtLineEndOutsideQuotes) {
  // The error is in field 1, but the quoted field 2 still spans lines: the next record is
  // the one after its closing quote, and its line number is right.
  auto r = read_all("\"ab\"c,\"x\ny\",z\nnext,1\n\"o\"k\n3\n");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_NE(r[0].error, "");
  EXPECT_EQ(r[0].raw, "\"ab\"c,\"x\ny\",z");
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"next", "1"}));
  EXPECT_EQ(r[1].line, 3u);
  EXPECT_EQ(r[1].error, "");
  EXPECT_NE(r[2].error, "");
  EXPECT_EQ(r[2].line, 4u);
  EXPECT_EQ(r[3].line, 5u);
  EXPECT_EQ(r[3].error, "");
}

TEST(CsvReader, FirstErrorOfARecordIsReported) {
  auto r = read_all("a\"b,\"c\"d\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error, "field 1: quote inside an unquoted field");
}

// ---- reader: limits ----

TEST(CsvReader, FieldSizeLimit) {
  csv_reader_options opt;
  opt.max_field_size = 5;
  auto r = read_all("12345,x\n123456,y\n\"12345\",\"1\"\"34\"\nok\n", opt);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].error, "");
  EXPECT_EQ(r[1].error, "field 1: longer than max_field_size (5 bytes)");
  EXPECT_TRUE(r[1].fields.empty());
  EXPECT_EQ(r[1].raw, "");
  EXPECT_EQ(r[1].line, 2u);
  EXPECT_EQ(r[2].error, "");  // 5 bytes between the quotes ("" counts as written)
  EXPECT_EQ(r[3].fields, (std::vector<std::string>{"ok"}));
  EXPECT_EQ(r[3].line, 4u);
}

TEST(CsvReader, OversizedQuotedFieldIsSkippedWithLineCounting) {
  csv_reader_options opt;
  opt.max_field_size = 4;
  auto r = read_all("a,\"12\n34\n56\"\"\n78\",x\nok\n", opt);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, "field 2: longer than max_field_size (4 bytes)");
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"ok"}));
  EXPECT_EQ(r[1].line, 5u);
  EXPECT_EQ(r[1].offset, 20u);
}

TEST(CsvReader, RecordSizeLimit) {
  csv_reader_options opt;
  opt.max_record_size = 10;
  auto r = read_all("a,b,c,d,e\na,b,c,d,e,f\n\"x\ny\",\"0123456789\"\nshort\n", opt);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].error, "");  // 9 bytes
  EXPECT_EQ(r[1].error, "record longer than max_record_size (10 bytes)");
  EXPECT_TRUE(r[1].fields.empty());
  EXPECT_EQ(r[2].error, "record longer than max_record_size (10 bytes)");
  EXPECT_EQ(r[2].line, 3u);
  EXPECT_EQ(r[3].fields, (std::vector<std::string>{"short"}));
  EXPECT_EQ(r[3].line, 5u);
}

TEST(CsvReader, FieldCountLimit) {
  csv_reader_options opt;
  opt.max_fields = 3;
  auto r = read_all("a,b,c\na,b,c,d\nx\n", opt);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].error, "");
  EXPECT_EQ(r[1].error, "more than max_fields (3) fields");
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"x"}));
}

TEST(CsvReader, TellsWhichLimitARecordBroke) {
  csv_reader_options opt;
  opt.max_field_size = 4;
  opt.max_record_size = 12;
  opt.max_fields = 3;
  // ok; field 2 too long; too many fields; too long a record (outranking its long field);
  // a syntax error.
  csv_reader reader(std::string_view("a,b\nx,12345\na,b,c,d\n1234,1234,123456\na\"b\n"), opt);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.broken_limit(), csv_reader::limit::none);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.broken_limit(), csv_reader::limit::field_size);
  EXPECT_EQ(reader.limit_field(), 1u);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.broken_limit(), csv_reader::limit::fields);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.error(), "record longer than max_record_size (12 bytes)");
  EXPECT_EQ(reader.broken_limit(), csv_reader::limit::record_size);
  ASSERT_TRUE(reader.next());
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(reader.broken_limit(), csv_reader::limit::none);
  EXPECT_FALSE(reader.next());

  EXPECT_EQ(limit_hint(csv_reader::limit::none, "csv_options"), "");
  EXPECT_EQ(limit_hint(csv_reader::limit::field_size, "csv_options"),
            "; if such records are genuine, raise --max-field-bytes "
            "(csv_options::max_field_size)");
  EXPECT_EQ(limit_hint(csv_reader::limit::record_size, "diff_options"),
            "; if such records are genuine, raise --max-record-bytes "
            "(diff_options::max_record_size)");
  EXPECT_EQ(limit_hint(csv_reader::limit::fields, "csv_options"),
            "; if such records are genuine, raise --max-fields (csv_options::max_fields)");
}

TEST(CsvReader, HostileUnterminatedQuoteStaysBounded) {
  // 8 MB inside one quoted field: rejected once it passes the limit, then skipped without
  // being buffered.
  std::string input = "id\n\"" + std::string(8 << 20, 'x');
  csv_reader_options opt;
  opt.block_size = 4096;
  opt.max_record_size = 1 << 16;
  opt.max_field_size = 1 << 12;
  string_source src(input);
  csv_reader reader(src, opt);
  ASSERT_TRUE(reader.next());
  ASSERT_TRUE(reader.next());
  // The field limit is passed first, but the record limit outranks it.
  EXPECT_EQ(reader.error(), "record longer than max_record_size (65536 bytes)");
  EXPECT_TRUE(reader.raw().empty());
  EXPECT_FALSE(reader.next());
}

// ---- reader: random input against a reference parser ----

// A deliberately naive character-at-a-time reading of the same grammar (lenient after
// errors), test-only, to check the bulk scanner against.
std::vector<rec> reference_parse(const std::string& in) {
  const size_t n = in.size();
  size_t i = in.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  uint64_t line = 1;
  std::vector<rec> out;
  auto ends_unquoted = [&](size_t k) {
    return in[k] == ',' || in[k] == '\n' || (in[k] == '\r' && (k + 1 == n || in[k + 1] == '\n'));
  };
  while (i < n) {
    if (in[i] == '\n') {
      ++i, ++line;
      continue;
    }
    if (in[i] == '\r' && i + 1 == n) {
      ++i;
      continue;
    }
    if (in[i] == '\r' && in[i + 1] == '\n') {
      i += 2, ++line;
      continue;
    }
    rec r;
    r.line = line;
    r.offset = i;
    bool error = false;
    for (;;) {
      std::string field;
      bool unquoted = true;
      if (i < n && in[i] == '"') {
        size_t open = i++;
        unquoted = false;
        for (;;) {
          if (i == n) {
            error = true;
            break;
          }
          if (in[i] == '"') {
            if (i + 1 < n && in[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            if (i < n && !ends_unquoted(i)) {  // text after the closing quote
              error = true;
              field = in.substr(open, i - open);
              unquoted = true;
            }
            break;
          }
          if (in[i] == '\n') ++line;
          field += in[i++];
        }
      }
      if (unquoted) {
        for (; i < n && !ends_unquoted(i); ++i) {
          if (in[i] == '"') error = true;
          field += in[i];
        }
      }
      r.fields.push_back(field);
      if (i < n && in[i] == ',') {
        ++i;
        continue;
      }
      r.raw = in.substr(r.offset, i - r.offset);
      if (i < n && in[i] == '\r') ++i;
      if (i < n && in[i] == '\n') ++i, ++line;
      break;
    }
    r.error = error ? "error" : "";
    out.push_back(r);
  }
  return out;
}

TEST(CsvReader, RandomInputMatchesReferenceAtEveryBlockSize) {
  std::mt19937 rng(20091019);
  const std::string alphabet[] = {"a",  "b",  ",",    "\"", "\"",   "\"\"",
                                  "\n", "\r", "\r\n", " ",  "\xe5", "\xEF\xBB\xBF"};
  for (int iter = 0; iter < 600; ++iter) {
    std::string input;
    size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) input += alphabet[rng() % std::size(alphabet)];
    csv_reader_options opt;
    bool limited = iter % 3 == 0;
    if (limited) {
      opt.max_field_size = 1 + rng() % 6;
      opt.max_record_size = 1 + rng() % 12;
      opt.max_fields = 1 + rng() % 4;
    }
    auto r = read_all(input, opt);  // checks every block size gives the same
    for (const rec& x : r) {
      if (!x.raw.empty()) {
        EXPECT_EQ(input.substr(x.offset, x.raw.size()), x.raw);
      }
    }
    if (limited) continue;
    auto expected = reference_parse(input);
    for (rec& x : r) {
      if (!x.error.empty()) x.error = "error";
    }
    EXPECT_EQ(r, expected) << "input '" << escape(input) << "'";
  }
}

// ---- encoding: UTF-8 ----

// "GOME electrical appliances Beijing branch" in UTF-8 (also used by the GB18030 tests).
std::string utf8_name_for_test() {
  return "\xe5\x9b\xbd\xe7\xbe\x8e\xe7\x94\xb5\xe5\x99\xa8\xe6\x9c\x89\xe9\x99\x90\xe5\x85\xac"
         "\xe5\x8f\xb8\xe5\x8c\x97\xe4\xba\xac\xe5\x88\x86\xe5\x85\xac\xe5\x8f\xb8";
}

TEST(Utf8, ValidSequences) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ASCII, 0123456789 and more than sixteen bytes"));
  EXPECT_TRUE(is_valid_utf8("\xe5\x9b\xbd\xe7\xbe\x8e"));  // guo mei
  EXPECT_TRUE(is_valid_utf8("\xc2\x80"));                  // U+0080, smallest 2-byte
  EXPECT_TRUE(is_valid_utf8("\xdf\xbf"));                  // U+07FF
  EXPECT_TRUE(is_valid_utf8("\xe0\xa0\x80"));              // U+0800, smallest 3-byte
  EXPECT_TRUE(is_valid_utf8("\xed\x9f\xbf"));              // U+D7FF, below surrogates
  EXPECT_TRUE(is_valid_utf8("\xee\x80\x80"));              // U+E000, above surrogates
  EXPECT_TRUE(is_valid_utf8("\xef\xbb\xbf"));              // U+FEFF (BOM)
  EXPECT_TRUE(is_valid_utf8("\xef\xbf\xbf"));              // U+FFFF
  EXPECT_TRUE(is_valid_utf8("\xf0\x90\x80\x80"));          // U+10000, smallest 4-byte
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));          // U+1F600
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF, the largest
  EXPECT_TRUE(is_valid_utf8("\x00"s));
}

TEST(Utf8, InvalidSequences) {
  const char* bad[] = {
      "\x80",              // lone continuation
      "\xbf",              //
      "\xc0\x80",          // overlong NUL
      "\xc1\xbf",          // overlong
      "\xe0\x80\x80",      // overlong 3-byte
      "\xe0\x9f\xbf",      // overlong 3-byte (U+07FF)
      "\xf0\x80\x80\x80",  // overlong 4-byte
      "\xf0\x8f\xbf\xbf",  // overlong 4-byte (U+FFFF)
      "\xed\xa0\x80",      // U+D800 surrogate
      "\xed\xbf\xbf",      // U+DFFF surrogate
      "\xf4\x90\x80\x80",  // U+110000
      "\xf5\x80\x80\x80",  // lead byte beyond the range
      "\xff",              //
      "\xfe",              //
      "\xe5\x41\x41",      // missing continuation
      "\xe5\x9b",          // truncated at the end
      "\xc3",              //
      "\xb9\xfa\xc3\xc0",  // guo mei in GB18030
  };
  for (const char* s : bad) EXPECT_FALSE(is_valid_utf8(s)) << escape(s);
}

TEST(Utf8, ScanReportsWhereAndWhetherTruncated) {
  std::string ascii(37, 'a');
  auto r = scan_utf8(ascii + "\xff" + ascii);
  EXPECT_EQ(r.valid_size, 37u);
  EXPECT_FALSE(r.truncated);
  r = scan_utf8(ascii + "\xe5\x9b");
  EXPECT_EQ(r.valid_size, 37u);
  EXPECT_TRUE(r.truncated);
  r = scan_utf8(ascii + "\xe5\x41");
  EXPECT_FALSE(r.truncated);
  r = scan_utf8("\xf0\x9f\x98");
  EXPECT_EQ(r.valid_size, 0u);
  EXPECT_TRUE(r.truncated);
  r = scan_utf8("\xed\xa0");  // would be a surrogate: invalid, not merely truncated
  EXPECT_FALSE(r.truncated);
  r = scan_utf8("ok");
  EXPECT_EQ(r.valid_size, 2u);
  EXPECT_FALSE(r.truncated);
}

// Test-only reference: decode code points one by one and check them against the rules.
utf8_scan_result reference_scan_utf8(std::string_view s) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07u;
    } else {
      return {i, false};
    }
    size_t k = 1;
    for (; k < len && i + k < n && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; ++k) {
      cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    }
    const uint32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    // All the code points the sequence could still become (just cp when complete).
    uint32_t lo = cp << (6 * (len - k));
    uint32_t hi = lo | ((1u << (6 * (len - k))) - 1);
    lo = std::max(lo, min_cp);
    hi = std::min(hi, 0x10FFFFu);
    bool possible = lo <= hi && !(lo >= 0xD800 && hi <= 0xDFFF);
    if (k < len) return {i, i + k == n && possible};
    if (!possible) return {i, false};
    i += len;
  }
  return {n, false};
}

TEST(Utf8, MatchesReferenceOnRandomInput) {
  std::mt19937 rng(65001);
  auto encode = [](uint32_t cp) {
    std::string out;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | cp >> 18);
      out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
  };
  const uint32_t edges[] = {0x7F,    0x80,   0x7FF,  0x800,   0xD7FF,   0xE000, 0xFFFF,
                            0x10000, 0x4E2D, 0x56FD, 0x1F600, 0x10FFFF, 0xFEFF, 0x3000};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    size_t target = 40 + rng() % 200;
    while (text.size() < target) {
      switch (rng() % 4) {
        case 0:
          text += std::string(1 + rng() % 20, 'a');
          break;
        case 1:
          text += encode(edges[rng() % std::size(edges)]);
          break;
        default:
          text += encode(0x4E00 + rng() % 0x5000);  // CJK
          break;
      }
    }
    // Corrupt some inputs: a random byte, a cut, or a swap.
    switch (iter % 4) {
      case 1:
        text[rng() % text.size()] = static_cast<char>(rng() % 256);
        break;
      case 2:
        text.resize(rng() % text.size());
        break;
      case 3:
        text[rng() % text.size()] = static_cast<char>(0x80 + rng() % 128);
        text[rng() % text.size()] = static_cast<char>(0xC0 + rng() % 64);
        break;
      default:
        break;
    }
    auto expected = reference_scan_utf8(text);
    auto got = scan_utf8(text);
    EXPECT_EQ(got.valid_size, expected.valid_size) << escape(text);
    EXPECT_EQ(got.truncated, expected.truncated) << escape(text);
  }
  // Every single-byte corruption of a long valid text, at every position.
  std::string base;
  for (int k = 0; k < 12; ++k) base += "abc" + utf8_name_for_test() + encode(0x1F600) + "\xc3\xa9";
  for (size_t pos = 0; pos < base.size(); pos += 1) {
    for (int v : {0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF, 0x41}) {
      std::string t = base;
      t[pos] = static_cast<char>(v);
      auto expected = reference_scan_utf8(t);
      auto got = scan_utf8(t);
      ASSERT_EQ(got.valid_size, expected.valid_size) << pos << " " << v;
      ASSERT_EQ(got.truncated, expected.truncated) << pos << " " << v;
    }
  }
}

TEST(Utf8, CutSequencesAtEveryVectorPosition) {
  // A sequence cut short and followed by ASCII (or by another lead byte), at each offset
  // around the 16-byte steps of the vector scan.
  const std::string seqs[] = {
      "\xc2\x80",     "\xdf\xbf",         "\xe0\xa0\x80",     "\xe1\x80\x80",     "\xed\x9f\xbf",
      "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf1\x80\x80\x80", "\xf4\x8f\xbf\xbf", "\xc1\xbf",
      "\xe0\x9f\xbf", "\xed\xa0\x80",     "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80"};
  for (const std::string& seq : seqs) {
    for (size_t keep = 1; keep <= seq.size(); ++keep) {
      for (size_t pos = 40; pos < 100; ++pos) {
        for (const char* after : {"a", "\xe4\xb8\xad"}) {
          std::string t =
              std::string(pos, 'x') + seq.substr(0, keep) + after + std::string(80, 'y');
          auto expected = reference_scan_utf8(t);
          auto got = scan_utf8(t);
          ASSERT_EQ(got.valid_size, expected.valid_size)
              << escape(seq) << " " << keep << " " << pos;
          ASSERT_EQ(got.truncated, expected.truncated);
          // And cut by the end of the input.
          t = std::string(pos, 'x') + seq.substr(0, keep);
          ASSERT_EQ(scan_utf8(t).valid_size, reference_scan_utf8(t).valid_size);
          ASSERT_EQ(scan_utf8(t).truncated, reference_scan_utf8(t).truncated);
        }
      }
    }
  }
}

TEST(Utf8, ValidatingSourcePassesUtf8SplitAnywhere) {
  std::string text = "\xef\xbb\xbfid,\xe5\x9b\xbd\xe7\xbe\x8e\n\xf0\x9f\x98\x80,x\n";
  for (size_t chunk : {1, 2, 3, 5, 100}) {
    for (size_t block : {1, 2, 4, 7, 1024}) {
      utf8_validating_source src(std::make_unique<string_source>(text, chunk), block);
      EXPECT_EQ(read_source(src, 1 + chunk % 3), text) << chunk << " " << block;
    }
  }
}

TEST(Utf8, ValidatingSourceReportsTheOffset) {
  std::string text = "id,name\n1,ok\n2,\xb9\xfa\n";
  for (size_t block : {1, 3, 1024}) {
    utf8_validating_source src(std::make_unique<string_source>(text), block);
    std::string got;
    char buf[4];
    try {
      for (size_t n; (n = src.read(buf, sizeof buf)) != 0;) got.append(buf, n);
      ADD_FAILURE() << "no error";
    } catch (const decode_error& e) {
      EXPECT_EQ(e.byte_offset(), 15u);
      EXPECT_NE(std::string(e.what()).find("invalid UTF-8 at byte offset 15"), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(got, text.substr(0, 15));  // everything before the bad byte was delivered
  }
  // Past the vector scan's 64-byte threshold.
  std::string long_text = std::string(100, 'x') + utf8_name_for_test() + "\xe5\x9b\x41" + "tail";
  for (size_t block : {7, 64, 1024}) {
    utf8_validating_source src(std::make_unique<string_source>(long_text), block);
    try {
      read_source(src);
      ADD_FAILURE() << "no error";
    } catch (const decode_error& e) {
      EXPECT_EQ(e.byte_offset(), 100 + utf8_name_for_test().size());
    }
  }
  utf8_validating_source src(std::make_unique<string_source>("ab\xe5\x9b"), 2);
  try {
    read_source(src);
    ADD_FAILURE() << "no error";
  } catch (const decode_error& e) {
    EXPECT_EQ(e.byte_offset(), 2u);
  }
}

// ---- encoding: GB18030 ----

const std::string gb_guomei = "\xb9\xfa\xc3\xc0";
const std::string utf8_guomei = "\xe5\x9b\xbd\xe7\xbe\x8e";
// "GOME electrical appliances Beijing branch" in GB18030 / UTF-8.
const std::string gb_name =
    "\xb9\xfa\xc3\xc0\xb5\xe7\xc6\xf7\xd3\xd0\xcf\xde\xb9\xab\xcb\xbe\xb1\xb1\xbe\xa9\xb7\xd6"
    "\xb9\xab\xcb\xbe";
const std::string utf8_name = utf8_name_for_test();

std::string decode_gb(const std::string& bytes, size_t chunk = SIZE_MAX, size_t block = 1 << 20,
                      size_t read_size = 4096) {
  gb18030_decoder dec(std::make_unique<string_source>(bytes, chunk), block);
  return read_source(dec, read_size);
}

TEST(Gb18030, DecodesChinese) {
  EXPECT_EQ(decode_gb(gb_guomei), utf8_guomei);
  EXPECT_EQ(decode_gb(gb_name), utf8_name);
  EXPECT_EQ(decode_gb("plain,ascii\n"), "plain,ascii\n");
  EXPECT_EQ(decode_gb(""), "");
  // 4-byte sequences: U+00FF and U+1F600.
  EXPECT_EQ(decode_gb("\x81\x30\x8b\x37"), "\xc3\xbf");
  EXPECT_EQ(decode_gb("\x94\x39\xfc\x36"), "\xf0\x9f\x98\x80");
  // A trail byte in the ASCII range (U+4E02 is 81 40).
  EXPECT_EQ(decode_gb("\x81\x40,x"), "\xe4\xb8\x82,x");
  // The GB18030 BOM becomes the UTF-8 one.
  EXPECT_EQ(decode_gb("\x84\x31\x95\x33"
                      "a"),
            "\xef\xbb\xbf"
            "a");
}

TEST(Gb18030, SequencesSplitAcrossBlocks) {
  std::string gb = "id,\"" + gb_name + "\x81\x30\x8b\x37\",\x94\x39\xfc\x36\n" + gb_guomei;
  std::string utf8 = "id,\"" + utf8_name + "\xc3\xbf\",\xf0\x9f\x98\x80\n" + utf8_guomei;
  for (size_t chunk : {1, 2, 3, 5, 7}) {
    for (size_t block : {1, 2, 3, 4, 5, 7, 1024}) {
      for (size_t read_size : {1, 2, 3, 4096}) {
        EXPECT_EQ(decode_gb(gb, chunk, block, read_size), utf8)
            << chunk << " " << block << " " << read_size;
      }
    }
  }
}

TEST(Gb18030, InvalidBytesReportTheirOffset) {
  for (size_t block : {1, 2, 3, 1024}) {
    gb18030_decoder dec(std::make_unique<string_source>("ab" + gb_guomei +
                                                        "\xff\xff"
                                                        "cd"),
                        block);
    std::string got;
    try {
      char buf[16];
      for (size_t n; (n = dec.read(buf, sizeof buf)) != 0;) got.append(buf, n);
      ADD_FAILURE() << "no error";
    } catch (const decode_error& e) {
      EXPECT_EQ(e.byte_offset(), 6u) << block;
      EXPECT_NE(std::string(e.what()).find("invalid GB18030 byte sequence at byte offset 6"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(got, "ab" + utf8_guomei);
  }
}

TEST(Gb18030, OtherInvalidSequences) {
  // 80 and FF are not lead bytes; 81 20 has no valid trail; 81 30 81 followed by ASCII is a
  // 4-byte sequence cut short in the middle of the input.
  for (std::string bad : {"\x80", "\xff", "\x81\x20",
                          "\x81\x30\x81"
                          "a",
                          "\x81\x30"
                          "ab"}) {
    for (size_t block : {1, 3, 1024}) {
      try {
        decode_gb("ok," + gb_guomei + bad + ",more", SIZE_MAX, block);
        ADD_FAILURE() << "no error for " << escape(bad);
      } catch (const decode_error& e) {
        EXPECT_EQ(e.byte_offset(), 7u) << escape(bad);
      }
    }
  }
}

TEST(Gb18030, TruncatedSequenceAtEnd) {
  for (std::string tail : {"\xb9", "\x81\x30", "\x81\x30\x8b"}) {
    try {
      decode_gb("ab" + tail, 1, 2);
      ADD_FAILURE() << "no error";
    } catch (const decode_error& e) {
      EXPECT_EQ(e.byte_offset(), 2u);
    }
  }
}

TEST(Gb18030, CsvReaderOverDecoder) {
  std::string gb =
      "\x84\x31\x95\x33"
      "customer_id,customer_name,network\r\n"
      "C1,\"" +
      gb_guomei +
      ",\xca\xc7\",R\r\n"  // "GOME,shi"
      "C2,\"" +
      gb_name + "\r\n" + gb_guomei +
      "\",W\r\n"
      "C3,x,S\r\n";
  for (size_t chunk : {1, 3, 1024}) {
    for (size_t block : {1, 2, 5, 1024}) {
      gb18030_decoder dec(std::make_unique<string_source>(gb, chunk), block);
      auto r = read_with(dec, {.block_size = block});
      ASSERT_EQ(r.size(), 4u);
      EXPECT_EQ(r[0].fields[0], "customer_id");
      EXPECT_EQ(r[1].fields[1], utf8_guomei + ",\xe6\x98\xaf");
      EXPECT_EQ(r[2].fields[1], utf8_name + "\r\n" + utf8_guomei);
      EXPECT_EQ(lines_of(r), (std::vector<uint64_t>{1, 2, 3, 5}));
    }
  }
}

// ---- encoding: detection ----

TEST(Detect, Samples) {
  EXPECT_EQ(detect_encoding(""), encoding::utf8);
  EXPECT_EQ(detect_encoding("id,name\n1,x\n"), encoding::utf8);
  EXPECT_EQ(detect_encoding("id,name\n1," + utf8_name + "\n"), encoding::utf8);
  EXPECT_EQ(detect_encoding("\xef\xbb\xbf"
                            "id\n" +
                            utf8_guomei),
            encoding::utf8);
  EXPECT_EQ(detect_encoding("id,name\n1," + gb_name + "\n"), encoding::gb18030);
  EXPECT_EQ(detect_encoding(gb_guomei), encoding::gb18030);
  // A sample cut inside a UTF-8 character is still UTF-8 ...
  EXPECT_EQ(detect_encoding("id\n" + utf8_guomei.substr(0, 4)), encoding::utf8);
  // ... unless it is the whole input.
  EXPECT_EQ(detect_encoding("id\n" + utf8_guomei.substr(0, 4), true), encoding::gb18030);
  EXPECT_STREQ(to_string(encoding::utf8), "UTF-8");
  EXPECT_STREQ(to_string(encoding::gb18030), "GB18030");
}

TEST(Detect, OpenUtf8InputDecodesEither) {
  std::string utf8 =
      "\xef\xbb\xbf"
      "id,name\n1," +
      utf8_name + "\n";
  std::string gb = "id,name\n1," + gb_name + "\n";
  for (size_t sample : {4, 5, 11, 1 << 20}) {
    auto in = open_utf8_input(std::make_unique<string_source>(utf8, 3), sample);
    EXPECT_EQ(in.detected, encoding::utf8);
    EXPECT_EQ(read_source(*in.source), utf8);
    in = open_utf8_input(std::make_unique<string_source>(gb, 3), sample);
    if (sample < 10) {
      // The first bytes are ASCII, so this sample says UTF-8; the bad bytes then fail
      // loudly rather than turning into mojibake.
      EXPECT_EQ(in.detected, encoding::utf8);
      EXPECT_THROW(read_source(*in.source), decode_error);
    } else {
      EXPECT_EQ(in.detected, encoding::gb18030);
      EXPECT_EQ(read_source(*in.source), "id,name\n1," + utf8_name + "\n");
    }
  }
}

TEST(Detect, WholeFile) {
  temp_dir dir;
  std::string a = dir.path() + "/a.csv";
  std::string b = dir.path() + "/b.csv";
  // GB18030 bytes only after the first 2 MB: the whole-file check still sees them.
  spit(a, std::string(2 << 20, 'x') + "\n" + utf8_guomei + "\n");
  spit(b, std::string(2 << 20, 'x') + "\n" + gb_guomei + "\n");
  EXPECT_EQ(detect_file_encoding(a), encoding::utf8);
  EXPECT_EQ(detect_file_encoding(b), encoding::gb18030);
  EXPECT_THROW(detect_file_encoding(dir.path() + "/missing.csv"), io_error);
}

// ---- byte sources ----

TEST(ByteSource, FileAndStdio) {
  temp_dir dir;
  std::string path = dir.path() + "/in.csv";
  spit(path, "a,b\n1,2\n");
  file_source fs(path);
  EXPECT_EQ(read_with(fs, {.block_size = 3}).size(), 2u);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  stdio_source ss(f, path);
  EXPECT_EQ(read_source(ss), "a,b\n1,2\n");
  std::fclose(f);
  try {
    file_source missing(dir.path() + "/nope.csv");
    ADD_FAILURE() << "no error";
  } catch (const io_error& e) {
    EXPECT_EQ(e.error_number(), ENOENT);
    EXPECT_EQ(std::string(e.what()), "open " + dir.path() + "/nope.csv: No such file or directory");
  }
  fd_source bad(-1, "<bad>");
  char c;
  EXPECT_THROW(bad.read(&c, 1), io_error);
}

// ---- writer ----

std::string write_rows(const rows& rs, csv_writer_options opt = {}) {
  string_sink sink;
  {
    csv_writer w(sink, opt);
    for (const auto& r : rs) w.write_record(std::span<const std::string>(r));
    w.flush();
    EXPECT_EQ(w.bytes_written(), sink.str().size());
    EXPECT_EQ(w.record_count(), rs.size());
  }
  return sink.str();
}

TEST(CsvWriter, QuotesOnlyWhereNeeded) {
  EXPECT_EQ(write_rows({{"a", "b"}, {"1", "2"}}), "a,b\n1,2\n");
  EXPECT_EQ(write_rows({{"a,b", "say \"hi\"", "x\ny", "cr\r", " pad ", ""}}),
            "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\"cr\r\", pad ,\n");
  EXPECT_EQ(write_rows({{"\""}}), "\"\"\"\"\n");
  EXPECT_EQ(write_rows({{utf8_name, "R"}}), utf8_name + ",R\n");
  // A single empty field must not become a blank line (which reads as no record).
  EXPECT_EQ(write_rows({{""}, {"", ""}}), "\"\"\n,\n");
  string_sink sink;
  csv_writer w(sink);
  w.end_record();
  w.flush();
  EXPECT_EQ(sink.str(), "\"\"\n");
}

TEST(CsvWriter, ExcelSafe) {
  csv_writer_options safe;
  safe.excel_safe = true;
  EXPECT_EQ(write_rows({{"=SUM(A1:A9)", "+1", "-1", "@cmd", "\tx", "a=b", "", "1-2"}}, safe),
            "'=SUM(A1:A9),'+1,'-1,'@cmd,'\tx,a=b,,1-2\n");
  // The guard goes inside the quotes when the field needs quoting.
  EXPECT_EQ(write_rows({{"=HYPERLINK(\"x\",\"y\")", "\r\n"}}, safe),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\",\"'\r\n\"\n");
  // Off by default.
  EXPECT_EQ(write_rows({{"=1", "-1"}}), "=1,-1\n");
  // Read back, the neutralised cell is the text with a leading quote.
  auto r = read_all(write_rows({{"=1+2", "@x,y"}}, safe));
  EXPECT_EQ(fields_of(r), (rows{{"'=1+2", "'@x,y"}}));
}

TEST(CsvWriter, RawFieldsPassThroughByteForByte) {
  string_source src("id,name\r\n1,\"GOME, \"\"BJ\"\"\"\r\n");
  csv_reader reader(src);
  string_sink sink;
  csv_writer w(sink);
  while (reader.next()) {
    w.write_raw_fields(reader.raw());
    w.write_field(reader.line() == 1 ? "samsung_class" : "a,b");
    w.end_record();
  }
  w.flush();
  EXPECT_EQ(sink.str(), "id,name,samsung_class\n1,\"GOME, \"\"BJ\"\"\",\"a,b\"\n");
}

TEST(CsvWriter, SmallBufferAndHugeFields) {
  rows rs = {{std::string(100, 'a'), std::string(50, '"'), "x"}, {"y", std::string(40, ',')}};
  std::string expected = write_rows(rs);
  for (size_t size : {16, 17, 33, 100}) {
    csv_writer_options opt;
    opt.buffer_size = size;
    EXPECT_EQ(write_rows(rs, opt), expected) << size;
  }
}

TEST(CsvWriter, RoundTripThroughReader) {
  std::mt19937 rng(4181);
  const std::string pieces[] = {"a", "bc", ",", "\"", "\n", "\r", "\r\n", " ", utf8_guomei, ""};
  for (int iter = 0; iter < 200; ++iter) {
    rows rs;
    size_t nrec = 1 + rng() % 5;
    size_t nf = 1 + rng() % 4;
    for (size_t i = 0; i < nrec; ++i) {
      std::vector<std::string> r;
      for (size_t j = 0; j < nf; ++j) {
        std::string f;
        size_t np = rng() % 5;
        for (size_t k = 0; k < np; ++k) f += pieces[rng() % std::size(pieces)];
        r.push_back(f);
      }
      rs.push_back(r);
    }
    std::string csv = write_rows(rs);
    EXPECT_TRUE(is_valid_utf8(csv));
    auto back = read_all(csv);
    EXPECT_EQ(fields_of(back), rs) << escape(csv);
    // Line numbers: one more than the line breaks written before each record.
    uint64_t line = 1;
    for (size_t i = 0; i < back.size() && i < rs.size(); ++i) {
      EXPECT_EQ(back[i].line, line);
      EXPECT_EQ(back[i].error, "");
      for (const auto& f : rs[i]) line += std::count(f.begin(), f.end(), '\n');
      ++line;
    }
  }
}

TEST(CsvWriter, SinkErrorsNameTheFile) {
  int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    fd_sink sink(fd, "/dev/full");
    csv_writer w(sink);
    w.write_record({"a", "b"});
    try {
      w.flush();
      ADD_FAILURE() << "no error";
    } catch (const io_error& e) {
      EXPECT_EQ(e.error_number(), ENOSPC);
      EXPECT_EQ(std::string(e.what()), "write /dev/full: No space left on device");
    }
    ::close(fd);
  }
  fd_sink closed(-1, "out.csv");
  try {
    closed.write("x", 1);
    ADD_FAILURE() << "no error";
  } catch (const io_error& e) {
    EXPECT_EQ(e.error_number(), EBADF);
    EXPECT_EQ(e.path(), "out.csv");
  }
}

TEST(CsvWriter, BrokenPipe) {
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old), 0);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ::close(p[0]);
  fd_sink sink(p[1], "<stdout>");
  try {
    sink.write("abc", 3);
    ADD_FAILURE() << "no error";
  } catch (const io_error& e) {
    EXPECT_EQ(e.error_number(), EPIPE);
    EXPECT_EQ(std::string(e.what()), "write <stdout>: Broken pipe");
  }
  ::close(p[1]);
  ::sigaction(SIGPIPE, &old, nullptr);
}

// ---- atomic_file_writer ----

TEST(AtomicFileWriter, CommitReplacesTheTarget) {
  temp_dir dir;
  std::string target = dir.path() + "/out.csv";
  spit(target, "old content\n");
  {
    atomic_file_writer file(target);
    EXPECT_EQ(file.temp_path().rfind(target + ".tmp.", 0), 0u);
    EXPECT_EQ(file.temp_path().size(), target.size() + 11);
    csv_writer w(file);
    w.write_record({"id", "samsung_class"});
    w.write_record({"C1", utf8_guomei});
    w.flush();
    // Until commit the target is untouched.
    EXPECT_EQ(slurp(target), "old content\n");
    EXPECT_EQ(dir.entries().size(), 2u);
    file.commit();
    EXPECT_TRUE(file.committed());
    EXPECT_THROW(file.write("x", 1), io_error);
  }
  EXPECT_EQ(slurp(target), "id,samsung_class\nC1," + utf8_guomei + "\n");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"out.csv"}));
  struct stat st;
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(AtomicFileWriter, AbandonLeavesNothing) {
  temp_dir dir;
  std::string target = dir.path() + "/out.csv";
  {
    atomic_file_writer file(target);
    file.write("partial", 7);
    EXPECT_EQ(dir.entries().size(), 1u);  // the temporary
  }
  EXPECT_TRUE(dir.entries().empty());  // no temp file, no target
  // An exception unwinding past the writer keeps an existing target as it was.
  spit(target, "keep\n");
  try {
    atomic_file_writer file(target);
    csv_writer w(file);
    w.write_record({"new"});
    w.flush();
    throw std::runtime_error("classification failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(slurp(target), "keep\n");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"out.csv"}));
  // Explicit abandon.
  atomic_file_writer file(target);
  file.abandon();
  EXPECT_THROW(file.commit(), io_error);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"out.csv"}));
}

TEST(AtomicFileWriter, MissingDirectory) {
  temp_dir dir;
  std::string target = dir.path() + "/no/such/dir/out.csv";
  try {
    atomic_file_writer file(target);
    ADD_FAILURE() << "no error";
  } catch (const io_error& e) {
    EXPECT_EQ(e.error_number(), ENOENT);
    EXPECT_EQ(e.path(), target);
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos);
  }
}

TEST(AtomicFileWriter, RelativePath) {
  temp_dir dir;
  std::string cwd = std::filesystem::current_path().string();
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  {
    atomic_file_writer file("rel.csv");
    file.write("x\n", 2);
    file.commit();
  }
  ASSERT_EQ(::chdir(cwd.c_str()), 0);
  EXPECT_EQ(slurp(dir.path() + "/rel.csv"), "x\n");
}

}  // namespace
}  // namespace chanrules::io
