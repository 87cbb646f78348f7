// Tests of diff_csv (include/chanrules/diff.h): comparing two rule sets on one export.
//
// The realistic case is the shipped 2009 set against tests/data/diff/channel-2010 (a draft
// of the next standard: DKA at 600 units, 网络购物 split out of 特殊渠道, a new Samsung
// list, a new brand) on the shipped sample. Its expected transitions are written out by
// hand below, and checked a second way: by classifying the sample with each rule set on
// its own (classify_csv) and counting the pairs. Toy rule sets cover the rest: records
// only one rule set accepts, added and removed decisions, a class that disappears, batch
// boundaries and every failure.
#include <chanrules/csv.h>
#include <chanrules/diff.h>
#include <chanrules/rule_set.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "io/byte_stream.h"
#include "io/csv_reader.h"

namespace chanrules {
namespace {

const std::string kRoot = CHANRULES_SOURCE_DIR;
const std::string kOld = kRoot + "/rules/channel-2009";
const std::string kNew = kRoot + "/tests/data/diff/channel-2010";
const std::string kSample = kRoot + "/rules/channel-2009/sample/distributors.csv";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// A fresh directory, removed with everything in it at the end of the test.
struct temp_dir {
  std::string path;
  temp_dir() {
    std::string pattern = std::filesystem::temp_directory_path().string() + "/diff_test.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    path = ::mkdtemp(buf.data());
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

std::shared_ptr<const rule_set> load(const std::string& path) {
  load_result r = rule_set::load(path);
  std::string why;
  for (const auto& d : r.diagnostics)
    if (d.level == severity::error) why += format(d);
  EXPECT_TRUE(r.ok()) << why;
  return r.rules;
}

std::shared_ptr<const rule_set> load_text(const std::string& yaml) {
  load_result r = rule_set::load_string(yaml, "toy.yaml", ".");
  std::string why;
  for (const auto& d : r.diagnostics) why += format(d);
  EXPECT_TRUE(r.ok()) << why;
  return r.rules;
}

// Every record of a CSV file as cells (header included), read with the library's reader;
// `lines` (if given) receives the line each record starts on.
std::vector<std::vector<std::string>> read_csv(const std::string& path,
                                               std::vector<uint64_t>* lines = nullptr) {
  io::file_source in(path);
  io::csv_reader reader(in);
  std::vector<std::vector<std::string>> rows;
  while (reader.next()) {
    EXPECT_TRUE(reader.ok()) << path << " line " << reader.line() << ": " << reader.error();
    rows.emplace_back(reader.fields().begin(), reader.fields().end());
    if (lines) lines->push_back(reader.line());
  }
  return rows;
}

// A transition as (old, new, rows), with "(rejected)" for a rejecting rule set and
// "(none)" for no outcome, so expectations read like the CLI's table.
using cell = std::tuple<std::string, std::string, uint64_t>;

std::vector<cell> cells(const decision_diff& d) {
  std::vector<cell> out;
  for (const auto& t : d.transitions) {
    auto name = [](const std::string& label, bool rejected) {
      return rejected ? std::string("(rejected)") : label.empty() ? "(none)" : label;
    };
    out.emplace_back(name(t.old_label, t.old_rejected), name(t.new_label, t.new_rejected), t.rows);
  }
  return out;
}

std::vector<cell> changed_cells(const decision_diff& d) {
  std::vector<cell> out;
  for (const auto& c : cells(d))
    if (std::get<0>(c) != std::get<1>(c)) out.push_back(c);
  return out;
}

const decision_diff* find(const diff_summary& s, const std::string& name) {
  for (const auto& d : s.decisions)
    if (d.name == name) return &d;
  ADD_FAILURE() << "no compared decision " << name;
  return nullptr;
}

// --- the realistic case: the 2009 standard against a draft of 2010 ------------------------

class channel_2010 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    old_rules_ = load(kOld);
    new_rules_ = load(kNew);
  }
  static void TearDownTestSuite() {
    old_rules_.reset();
    new_rules_.reset();
  }
  static std::shared_ptr<const rule_set> old_rules_, new_rules_;
};
std::shared_ptr<const rule_set> channel_2010::old_rules_;
std::shared_ptr<const rule_set> channel_2010::new_rules_;

TEST_F(channel_2010, counts_and_decisions) {
  temp_dir dir;
  diff_summary s = diff_csv(*old_rules_, *new_rules_, kSample, dir / "changes.csv");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.encoding, "UTF-8");
  EXPECT_EQ(s.rows_in, 400u);
  EXPECT_EQ(s.rows_compared, 400u);
  EXPECT_EQ(s.rows_rejected_both, 0u);
  EXPECT_EQ(s.rows_rejected_old, 0u);
  EXPECT_EQ(s.rows_rejected_new, 0u);
  // 9 below 600 units, 3 moved by the list, 7 online shops.
  EXPECT_EQ(s.rows_changed, 19u);
  EXPECT_EQ(s.rows_written, 19u);
  std::vector<std::string> names;
  for (const auto& d : s.decisions) names.push_back(d.name);
  EXPECT_EQ(names, (std::vector<std::string>{"samsung_class", "se_class", "coolpad_class",
                                             "account_group", "channel_family"}));
  ASSERT_EQ(s.added.size(), 1u);
  EXPECT_EQ(s.added[0].name, "lenovo_class");
  EXPECT_TRUE(s.removed.empty());
  EXPECT_TRUE(s.warnings.empty());
  EXPECT_TRUE(s.first_rejects.empty());
}

TEST_F(channel_2010, transition_matrices) {
  diff_summary s = diff_csv(*old_rules_, *new_rules_, kSample, "");
  ASSERT_TRUE(s.ok) << s.error;
  const decision_diff* samsung = find(s, "samsung_class");
  ASSERT_TRUE(samsung);
  // Written out by hand from the changes (see tests/data/diff/channel-2010/ruleset.yaml):
  // - the 7 S records with segment online leave 特殊渠道 for the new 网络购物 class;
  // - C000744 is off the Samsung list: RKA -> DKA (680 units, rank 1, T4);
  // - C000146 (DKA) is a new SKA, C000102 (DKA at 520 units) a new RKA;
  // - the 9 other DKA records below 600 units (500 to 571) fall to DSA.
  EXPECT_EQ(changed_cells(*samsung), (std::vector<cell>{{"特殊渠道", "网络购物", 7},
                                                        {"RKA", "DKA", 1},
                                                        {"DKA", "SKA", 1},
                                                        {"DKA", "RKA", 1},
                                                        {"DKA", "DSA", 9}}));
  EXPECT_EQ(samsung->rows_changed, 19u);
  // The whole matrix, old classes in the old set's order and new ones in the new set's.
  EXPECT_EQ(cells(*samsung), (std::vector<cell>{
                                 {"IT客户", "IT客户", 13},
                                 {"电视购物", "电视购物", 10},
                                 {"个人用户", "个人用户", 14},
                                 {"特殊渠道", "网络购物", 7},
                                 {"特殊渠道", "特殊渠道", 13},
                                 {"CMCC", "CMCC", 10},
                                 {"CMPP", "CMPP", 3},
                                 {"CMAP", "CMAP", 3},
                                 {"CMCP", "CMCP", 1},
                                 {"CMFP", "CMFP", 3},
                                 {"CMKA", "CMKA", 3},
                                 {"CMVP", "CMVP", 1},
                                 {"CMRP", "CMRP", 7},
                                 {"CU", "CU", 7},
                                 {"CUKA", "CUKA", 2},
                                 {"CUSP", "CUSP", 3},
                                 {"CUFP", "CUFP", 1},
                                 {"CUVP", "CUVP", 1},
                                 {"CURP", "CURP", 3},
                                 {"CT", "CT", 10},
                                 {"UNCLASSIFIED", "UNCLASSIFIED", 11},
                                 {"PENDING", "PENDING", 42},
                                 {"国美", "国美", 6},
                                 {"苏宁", "苏宁", 3},
                                 {"五星", "五星", 2},
                                 {"大中", "大中", 1},
                                 {"乐语", "乐语", 1},
                                 {"迪信通", "迪信通", 2},
                                 {"SKA", "SKA", 12},
                                 {"RKA", "RKA", 15},
                                 {"RKA", "DKA", 1},
                                 {"DKA", "SKA", 1},
                                 {"DKA", "RKA", 1},
                                 {"DKA", "DKA", 16},
                                 {"DKA", "DSA", 9},
                                 {"DSA", "DSA", 162},
                             }));
  // Sony Ericsson's EKA needs Samsung SKA or RKA: C000744 loses it, C000146 gains it.
  const decision_diff* se = find(s, "se_class");
  ASSERT_TRUE(se);
  EXPECT_EQ(changed_cells(*se),
            (std::vector<cell>{{"特殊渠道", "网络购物", 7}, {"EKA", "DSA", 1}, {"DSA", "EKA", 1}}));
  const decision_diff* coolpad = find(s, "coolpad_class");
  ASSERT_TRUE(coolpad);
  EXPECT_EQ(changed_cells(*coolpad), (std::vector<cell>{{"特殊渠道", "网络购物", 7}}));
  const decision_diff* group = find(s, "account_group");
  ASSERT_TRUE(group);
  EXPECT_EQ(
      cells(*group),
      (std::vector<cell>{{"GES", "GES", 14}, {"OTCS", "OTCS", 4}, {"(none)", "(none)", 382}}));
  const decision_diff* family = find(s, "channel_family");
  ASSERT_TRUE(family);
  EXPECT_EQ(family->rows_changed, 0u);
  EXPECT_EQ(cells(*family), (std::vector<cell>{{"traditional", "traditional", 274},
                                               {"special", "special", 57},
                                               {"operator", "operator", 69}}));
  // The new brand: counted over the records the new rule set accepted.
  ASSERT_EQ(s.added.size(), 1u);
  std::map<std::string, uint64_t> lenovo;
  uint64_t total = s.added[0].no_outcome;
  for (const auto& [label, n] : s.added[0].counts) {
    if (n) lenovo[label] = n;
    total += n;
  }
  EXPECT_EQ(total, 400u);
  EXPECT_EQ(lenovo["网络购物"], 7u);
  EXPECT_EQ(lenovo["LKA"], 40u);
  EXPECT_EQ(lenovo["DSA"], 177u);
}

// The matrices and the changes file again, computed without diff_csv: classify the sample
// with each rule set separately and compare the outputs row by row.
TEST_F(channel_2010, agrees_with_two_separate_classifications) {
  temp_dir dir;
  csv_options reasons;
  reasons.reasons = true;
  ASSERT_TRUE(classify_csv(*old_rules_, kSample, dir / "old.csv", "", reasons).ok);
  ASSERT_TRUE(classify_csv(*new_rules_, kSample, dir / "new.csv", "", reasons).ok);
  auto old_rows = read_csv(dir / "old.csv");
  auto new_rows = read_csv(dir / "new.csv");
  std::vector<uint64_t> lines;
  auto input = read_csv(kSample, &lines);
  ASSERT_EQ(old_rows.size(), 401u);
  ASSERT_EQ(new_rows.size(), 401u);
  const size_t inputs = input[0].size();

  std::vector<std::string> decisions = {"samsung_class", "se_class", "coolpad_class",
                                        "account_group", "channel_family"};
  auto column = [](const std::vector<std::string>& header, const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<size_t>(it - header.begin());
  };
  std::map<std::string, std::map<std::pair<std::string, std::string>, uint64_t>> expected;
  std::vector<std::vector<std::string>> expected_changes;
  std::vector<std::string> header = {"line"};
  header.insert(header.end(), input[0].begin(), input[0].end());
  header.push_back("change");
  for (const auto& d : decisions)
    for (const char* suffix : {"_old", "_new", "_old_rule", "_new_rule"})
      header.push_back(d + suffix);
  header.push_back("reason");
  expected_changes.push_back(header);
  for (size_t r = 1; r < old_rows.size(); ++r) {
    std::vector<std::string> row = {std::to_string(lines[r])};
    row.insert(row.end(), input[r].begin(), input[r].end());
    row.push_back("changed");
    bool changed = false;
    for (const auto& d : decisions) {
      const std::string& o = old_rows[r][column(old_rows[0], d)];
      const std::string& n = new_rows[r][column(new_rows[0], d)];
      ++expected[d][{o, n}];
      changed |= o != n;
      row.insert(row.end(), {o, n, old_rows[r][column(old_rows[0], d + "_rule")],
                             new_rows[r][column(new_rows[0], d + "_rule")]});
    }
    row.push_back("");
    if (changed) expected_changes.push_back(row);
  }

  diff_summary s = diff_csv(*old_rules_, *new_rules_, kSample, dir / "changes.csv");
  ASSERT_TRUE(s.ok) << s.error;
  for (const auto& d : s.decisions) {
    std::map<std::pair<std::string, std::string>, uint64_t> got;
    for (const auto& t : d.transitions) {
      ASSERT_FALSE(t.old_rejected || t.new_rejected);
      got[{t.old_label, t.new_label}] = t.rows;
    }
    EXPECT_EQ(got, expected[d.name]) << d.name;
  }
  auto changes = read_csv(dir / "changes.csv");
  EXPECT_EQ(changes, expected_changes);
  EXPECT_EQ(expected_changes.size(), 20u);
  EXPECT_GT(inputs, 0u);
  // The input cells are copied byte for byte: a quoted name stays quoted as it was.
  EXPECT_NE(slurp(dir / "changes.csv").find(",C000531,\"长沙\"\"新概念\"\"通讯器材有限公司\",R,"),
            std::string::npos);
}

TEST_F(channel_2010, changes_file_is_exactly_the_expected_file) {
  temp_dir dir;
  diff_summary s = diff_csv(*old_rules_, *new_rules_, kSample, dir / "changes.csv");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(slurp(dir / "changes.csv"), slurp(kRoot + "/tests/data/cli/diff-2010.changes.csv"));
}

TEST_F(channel_2010, batch_size_does_not_matter) {
  temp_dir whole_dir;
  diff_summary whole = diff_csv(*old_rules_, *new_rules_, kSample, whole_dir / "changes.csv");
  ASSERT_TRUE(whole.ok);
  for (size_t rows : {1u, 3u, 64u, 399u, 400u}) {
    temp_dir dir;
    diff_options o;
    o.batch_rows = rows;
    diff_summary s = diff_csv(*old_rules_, *new_rules_, kSample, dir / "changes.csv", o);
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(to_json(s, *old_rules_, *new_rules_), to_json(whole, *old_rules_, *new_rules_))
        << rows;
    EXPECT_EQ(slurp(dir / "changes.csv"), slurp(kRoot + "/tests/data/cli/diff-2010.changes.csv"))
        << rows;
  }
}

TEST_F(channel_2010, swapped_the_new_brand_is_removed) {
  diff_summary s = diff_csv(*new_rules_, *old_rules_, kSample, "");
  ASSERT_TRUE(s.ok) << s.error;
  ASSERT_EQ(s.removed.size(), 1u);
  EXPECT_EQ(s.removed[0].name, "lenovo_class");
  EXPECT_TRUE(s.added.empty());
  const decision_diff* samsung = find(s, "samsung_class");
  ASSERT_TRUE(samsung);
  EXPECT_EQ(changed_cells(*samsung), (std::vector<cell>{{"网络购物", "特殊渠道", 7},
                                                        {"SKA", "DKA", 1},
                                                        {"RKA", "DKA", 1},
                                                        {"DKA", "RKA", 1},
                                                        {"DSA", "DKA", 9}}));
}

TEST_F(channel_2010, key_columns_and_chosen_decisions) {
  temp_dir dir;
  diff_options o;
  o.key_columns = {"customer_id", "customer_name"};
  o.decisions = {"se_class"};
  diff_summary s = diff_csv(*old_rules_, *new_rules_, kSample, dir / "changes.csv", o);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_TRUE(s.added.empty());  // only the named decisions are looked at
  EXPECT_EQ(s.rows_changed, 9u);
  auto rows = read_csv(dir / "changes.csv");
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"line", "customer_id", "customer_name", "change",
                                               "se_class_old", "se_class_new", "se_class_old_rule",
                                               "se_class_new_rule", "reason"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"29", "C000146", "成都亿家通讯南湖专卖店", "changed",
                                               "DSA", "EKA", "default", "eka", ""}));
}

// --- toy rule sets: rejections, added and removed decisions, failures --------------------

const char* kToyOld = R"(chanrules: 1
name: toy-old
version: "1"
fields:
  id: {type: string, required: true, unique: true}
  units: {type: integer, min: 0}
  kind: {type: enum, values: [a, b]}
decisions:
  size:
    rules:
      - id: big
        when: units >= 100
        then: BIG
      - id: mid
        when: units >= 50
        then: MID
    default: SMALL
  kind_class:
    rules:
      - id: is-a
        when: kind == a
        then: A
  legacy:
    rules:
      - id: any
        when: units >= 0
        then: YES
)";

// The new set: MID is gone (50..99 become SMALL), BIG starts at 90, kind gains a value c,
// units must be at most 1000, and `legacy` is replaced by `region_class`.
const char* kToyNew = R"(chanrules: 1
name: toy-new
version: "2"
fields:
  id: {type: string, required: true, unique: true}
  units: {type: integer, min: 0, max: 1000}
  kind: {type: enum, values: [a, b, c]}
decisions:
  size:
    rules:
      - id: big
        when: units >= 90
        then: BIG
    default: SMALL
  kind_class:
    rules:
      - id: is-a
        when: kind == a
        then: A
      - id: is-c
        when: kind == c
        then: C
  region_class:
    rules:
      - id: north
        when: kind == b
        then: NORTH
)";

TEST(diff_toy, records_one_rule_set_rejects) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  spit(dir / "in.csv",
       "id,units,kind,note\n"
       "T1,95,a,first\n"      // 2: size MID -> BIG
       "T2,60,b,\n"           // 3: size MID -> SMALL (MID is gone)
       "T3,5,c,\"x,\ny\"\n"   // 4: kind c: rejected by old, accepted by new
       "T4,2000,a,big\n"      // 6: units over 1000: rejected by new
       "T5,7,z,\n"            // 7: rejected by both
       "T1,1,a,dup\n"         // 8: duplicate id: rejected by both
       "T6,1,a,same\n"        // 9: nothing changes
       "T7,1,a,too,many\n");  // 10: wrong field count: rejected by both
  diff_summary s = diff_csv(*o, *n, dir / "in.csv", dir / "changes.csv");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.rows_in, 8u);
  EXPECT_EQ(s.rows_compared, 3u);
  EXPECT_EQ(s.rows_rejected_old, 1u);
  EXPECT_EQ(s.rows_rejected_new, 1u);
  EXPECT_EQ(s.rows_rejected_both, 3u);
  EXPECT_EQ(s.rows_changed, 2u);
  EXPECT_EQ(s.rows_written, 4u);
  const decision_diff* size = find(s, "size");
  ASSERT_TRUE(size);
  EXPECT_EQ(cells(*size), (std::vector<cell>{{"BIG", "(rejected)", 1},
                                             {"MID", "BIG", 1},
                                             {"MID", "SMALL", 1},
                                             {"SMALL", "SMALL", 1},
                                             {"(rejected)", "SMALL", 1}}));
  EXPECT_EQ(size->rows_changed, 4u);
  const decision_diff* kind = find(s, "kind_class");
  ASSERT_TRUE(kind);
  EXPECT_EQ(
      cells(*kind),
      (std::vector<cell>{
          {"A", "A", 2}, {"A", "(rejected)", 1}, {"(none)", "(none)", 1}, {"(rejected)", "C", 1}}));
  ASSERT_EQ(s.removed.size(), 1u);
  EXPECT_EQ(s.removed[0].name, "legacy");
  EXPECT_EQ(s.removed[0].counts, (std::vector<std::pair<std::string, uint64_t>>{{"YES", 4}}));
  ASSERT_EQ(s.added.size(), 1u);
  EXPECT_EQ(s.added[0].name, "region_class");
  EXPECT_EQ(s.added[0].counts, (std::vector<std::pair<std::string, uint64_t>>{{"NORTH", 1}}));
  EXPECT_EQ(s.added[0].no_outcome, 3u);
  EXPECT_EQ(slurp(dir / "changes.csv"),
            "line,id,units,kind,note,change,size_old,size_new,size_old_rule,size_new_rule,"
            "kind_class_old,kind_class_new,kind_class_old_rule,kind_class_new_rule,reason\n"
            "2,T1,95,a,first,changed,MID,BIG,mid,big,A,A,is-a,is-a,\n"
            "3,T2,60,b,,changed,MID,SMALL,mid,default,,,,,\n"
            "4,T3,5,c,\"x,\ny\",rejected by old,,SMALL,,default,,C,,is-c,"
            "kind: 'c' is not one of: a b\n"
            "6,T4,2000,a,big,rejected by new,BIG,,big,,A,,is-a,,units: '2000' is above the "
            "maximum 1000\n");
  ASSERT_EQ(s.first_rejects.size(), 5u);
  EXPECT_EQ(s.first_rejects[0].line, 4u);
  EXPECT_TRUE(s.first_rejects[0].by_old);
  EXPECT_FALSE(s.first_rejects[0].by_new);
  EXPECT_EQ(s.first_rejects[1].line, 6u);
  EXPECT_FALSE(s.first_rejects[1].by_old);
  EXPECT_TRUE(s.first_rejects[1].by_new);
  EXPECT_EQ(s.first_rejects[3].reason, "duplicate id 'T1' (first accepted on line 2)");
  EXPECT_EQ(s.first_rejects[4].reason, "the record has 5 fields; the header has 4");
}

// The record size limits are the caller's: a record over one is rejected by both rule sets,
// with its column and a reason naming the limit; raised, the limit lets it through.
TEST(diff_toy, record_limits) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  spit(dir / "in.csv", "id,units,kind,note\nT1,95,a,0123456789\nT2,5,a,x\n");
  diff_options opt;
  opt.max_field_size = 9;
  diff_summary s = diff_csv(*o, *n, dir / "in.csv", "", opt);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.rows_rejected_both, 1u);
  EXPECT_EQ(s.rows_compared, 1u);
  ASSERT_EQ(s.first_rejects.size(), 1u);
  EXPECT_EQ(s.first_rejects[0].line, 2u);
  EXPECT_EQ(s.first_rejects[0].column, "note");
  EXPECT_EQ(s.first_rejects[0].reason,
            "field 4: longer than max_field_size (9 bytes); if such records are genuine, raise "
            "--max-field-bytes (diff_options::max_field_size)");
  opt.max_field_size = 10;
  s = diff_csv(*o, *n, dir / "in.csv", "", opt);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.rows_compared, 2u);
  opt.max_fields = 3;
  s = diff_csv(*o, *n, dir / "in.csv", "", opt);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error,
            "line 1: the header cannot be read: more than max_fields (3) fields; if such records "
            "are genuine, raise --max-fields (diff_options::max_fields)");
  opt.max_fields = 0;
  s = diff_csv(*o, *n, dir / "in.csv", "", opt);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error,
            "diff_options::max_field_size, max_record_size and max_fields must be at least 1");
}

// A duplicate is judged per rule set: an id first accepted by only one of them makes a
// later record with that id a duplicate for that one only.
TEST(diff_toy, duplicates_are_judged_per_rule_set) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  spit(dir / "in.csv", "id,units\nT1,2000\nT1,5\n");
  diff_summary s = diff_csv(*o, *n, dir / "in.csv", dir / "changes.csv");
  ASSERT_TRUE(s.ok) << s.error;
  // Line 2: old accepts (BIG), new rejects (over 1000). Line 3: a duplicate for old only.
  EXPECT_EQ(s.rows_rejected_new, 1u);
  EXPECT_EQ(s.rows_rejected_old, 1u);
  EXPECT_EQ(s.rows_compared, 0u);
  EXPECT_EQ(slurp(dir / "changes.csv"),
            "line,id,units,change,size_old,size_new,size_old_rule,size_new_rule,kind_class_old,"
            "kind_class_new,kind_class_old_rule,kind_class_new_rule,reason\n"
            "2,T1,2000,rejected by new,BIG,,big,,,,,,units: '2000' is above the maximum 1000\n"
            "3,T1,5,rejected by old,,SMALL,,default,,,,,id: duplicate id 'T1' (first accepted "
            "on line 2)\n");
  EXPECT_EQ(s.warnings,
            (std::vector<std::string>{"the input has no column 'kind': every row is read as "
                                      "missing it"}));
}

TEST(diff_toy, json_summary) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  spit(dir / "in.csv", "id,units,kind\nT1,95,a\nT2,1,c\n");
  diff_options opt;
  opt.decisions = {"size"};
  diff_summary s = diff_csv(*o, *n, dir / "in.csv", "", opt);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(to_json(s, *o, *n),
            R"({"old":{"name":"toy-old","version":"1"},"new":{"name":"toy-new","version":"2"},)"
            R"("encoding":"UTF-8","rows_in":2,"rows_compared":1,"rows_rejected_both":0,)"
            R"("rows_rejected_old":1,"rows_rejected_new":0,"rows_changed":1,"rows_written":0,)"
            R"("decisions":[{"name":"size","rows_changed":2,"transitions":[)"
            R"({"old":"MID","new":"BIG","rows":1},{"old":null,"new":"SMALL","rows":1}]}],)"
            R"("added":[],"removed":[],"rejects":[{"line":3,"by":"old","column":"kind",)"
            R"("reason":"'c' is not one of: a b"}],"warnings":[]})");
}

TEST(diff_toy, excel_safe_and_key_columns) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  spit(dir / "in.csv", "id,units,kind,note\n=T1,95,a,\"@x\"\n");
  diff_options opt;
  opt.excel_safe = true;
  diff_summary s = diff_csv(*o, *n, dir / "in.csv", dir / "all.csv", opt);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(slurp(dir / "all.csv").substr(slurp(dir / "all.csv").find('\n') + 1),
            "2,'=T1,95,a,'@x,changed,MID,BIG,mid,big,A,A,is-a,is-a,\n");
  opt.key_columns = {"note", "id"};
  s = diff_csv(*o, *n, dir / "in.csv", dir / "key.csv", opt);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(slurp(dir / "key.csv"),
            "line,note,id,change,size_old,size_new,size_old_rule,size_new_rule,kind_class_old,"
            "kind_class_new,kind_class_old_rule,kind_class_new_rule,reason\n"
            "2,'@x,'=T1,changed,MID,BIG,mid,big,A,A,is-a,is-a,\n");
}

TEST(diff_toy, empty_and_header_only_inputs) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  spit(dir / "header.csv", "id,units,kind\n");
  diff_summary s = diff_csv(*o, *n, dir / "header.csv", dir / "changes.csv");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.rows_in, 0u);
  for (const auto& d : s.decisions) EXPECT_TRUE(d.transitions.empty());
  EXPECT_EQ(slurp(dir / "changes.csv"),
            "line,id,units,kind,change,size_old,size_new,size_old_rule,size_new_rule,"
            "kind_class_old,kind_class_new,kind_class_old_rule,kind_class_new_rule,reason\n");
  spit(dir / "empty.csv", "");
  s = diff_csv(*o, *n, dir / "empty.csv", dir / "empty.out");
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, "the input is empty: it has no header row");
  EXPECT_FALSE(exists(dir / "empty.out"));
}

TEST(diff_toy, failures_leave_no_changes_file) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  spit(dir / "in.csv", "id,units,kind\nT1,95,a\n");
  spit(dir / "keep.csv", "precious\n");
  struct failing {
    std::string input;
    diff_options options;
    std::string error;
  };
  diff_options unknown_decision, missing_in_new, twice, bad_key, bad_batch;
  unknown_decision.decisions = {"nope"};
  missing_in_new.decisions = {"legacy"};
  twice.decisions = {"size", "size"};
  bad_key.key_columns = {"customer"};
  bad_batch.batch_rows = 0;
  std::vector<failing> cases = {
      {dir / "in.csv", unknown_decision, "neither rule set has a decision 'nope'"},
      {dir / "in.csv", missing_in_new, "the new rule set has no decision 'legacy'"},
      {dir / "in.csv", twice, "the decision 'size' is named twice"},
      {dir / "in.csv", bad_key, "the header has no key column 'customer'"},
      {dir / "in.csv", bad_batch, "batch_rows must be between 1 and 16777216"},
      {dir / "missing.csv", {}, "open " + (dir / "missing.csv") + ": No such file or directory"},
  };
  for (const auto& c : cases) {
    diff_summary s = diff_csv(*o, *n, c.input, dir / "keep.csv", c.options);
    EXPECT_FALSE(s.ok) << c.error;
    EXPECT_EQ(s.error, c.error);
    EXPECT_EQ(slurp(dir / "keep.csv"), "precious\n") << c.error;
  }
  // A required column absent from the header.
  spit(dir / "noid.csv", "units,kind\n5,a\n");
  diff_summary s = diff_csv(*o, *n, dir / "noid.csv", dir / "keep.csv");
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, "the header has no column 'id', which both rule sets require");
  // An input column with the name of a column the changes file adds.
  spit(dir / "clash.csv", "id,units,change\nT1,5,x\n");
  s = diff_csv(*o, *n, dir / "clash.csv", dir / "keep.csv");
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error,
            "the input has a column 'change', which the changes file adds; use --key to leave "
            "it out");
  // The changes file may not replace the input, nor a directory.
  s = diff_csv(*o, *n, dir / "in.csv", dir / "in.csv");
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(slurp(dir / "in.csv"), "id,units,kind\nT1,95,a\n");
  ::mkdir((dir / "sub").c_str(), 0755);
  s = diff_csv(*o, *n, dir / "in.csv", dir / "sub");
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.error.find("exists and is not a regular file"), std::string::npos) << s.error;
  EXPECT_EQ(slurp(dir / "keep.csv"), "precious\n");
  // Nothing but the files above was left in the directory (no temporary files).
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 5u);  // in.csv keep.csv noid.csv clash.csv sub
}

TEST(diff_toy, cancelled) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  spit(dir / "in.csv", "id,units,kind\nT1,95,a\n");
  std::atomic<bool> cancel{true};
  diff_options opt;
  opt.cancel = &cancel;
  diff_summary s = diff_csv(*o, *n, dir / "in.csv", dir / "changes.csv", opt);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, "interrupted");
  EXPECT_FALSE(exists(dir / "changes.csv"));
}

TEST(diff_toy, gb18030_input) {
  auto o = load_text(kToyOld), n = load_text(kToyNew);
  ASSERT_TRUE(o && n);
  temp_dir dir;
  // "id,units,kind,note\nT1,95,a,<two Chinese characters>\n" in GB18030: 国美 = B9FA C3C0.
  spit(dir / "in.csv", "id,units,kind,note\nT1,95,a,\xB9\xFA\xC3\xC0\n");
  diff_summary s = diff_csv(*o, *n, dir / "in.csv", dir / "changes.csv");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.encoding, "GB18030");
  EXPECT_NE(slurp(dir / "changes.csv").find("2,T1,95,a,国美,changed,MID,BIG"), std::string::npos);
}

}  // namespace
}  // namespace chanrules
