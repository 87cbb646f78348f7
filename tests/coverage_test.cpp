// Tests of chanrules::coverage (include/chanrules/coverage.h) and the executor's coverage
// pass: exact counts on a small rule set with missing values, copied values and a helper
// decided only for some rows; sums across batches and coverages; the JSON round trip and
// every way a coverage file can be refused; coverage of different rule sets refused; and
// the coverage of the 2009 sample export (and of random records across vector boundaries)
// against counts made independently, row by row, from explain() and a row-at-a-time
// reference evaluator of the conditions.
#include <chanrules/coverage.h>
#include <chanrules/csv.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chanrules/chanrules.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "exec/batch_impl.h"
#include "io/csv_reader.h"
#include "test_support.h"

namespace chanrules {
namespace {

using chanrules::testing::describe;
namespace fs = std::filesystem;

const std::string kSmall = R"(chanrules: 1
name: cov
version: "1"
fields:
  id: {type: string, unique: true}
  network: {type: enum, values: [R, W], required: true}
  tier: {type: enum, values: [T1, T2, T3], ordered: true}
  units: {type: integer, min: 0}
decisions:
  cls:
    rules:
      - id: r1
        when: network == W
        then: W
      - id: r2
        when: tier <= T2 and units >= 10
        then: BIG
      - id: r3
        when: units >= 5
        then: MID
    default: SMALL
  grp:
    rules:
      - id: g1
        when: tier == T1
        then: A
  h:
    output: false
    rules:
      - id: h1
        when: units >= 100
        then: X
    default: Y
  o:
    rules:
      - id: o0
        when: units >= 100
        then: HUGE
      - id: o1
        when: network == R
        then: {from: h}
  p:
    rules:
      - id: p1
        when: tier == T3
        then: {from: grp}
    default: Z
  h2:
    output: false
    rules:
      - id: k1
        when: tier == T2
        then: T2X
    default: OTHER
  q:
    rules:
      - id: q1
        when: units >= 20
        then: U20
    default: {from: h2}
)";

std::shared_ptr<const rule_set> load_small(const std::string& yaml = kSmall) {
  return chanrules::testing::load_ok(yaml, ".", "cov.yaml");
}

// The eight records whose counts are worked out by hand below ("" = missing).
const std::vector<std::vector<std::string>> kRecords = {
    {"1", "W", "T1", "50"}, {"2", "R", "T1", "20"}, {"3", "R", "T3", "20"}, {"4", "R", "", "20"},
    {"5", "R", "T2", ""},   {"6", "R", "", ""},     {"7", "R", "T2", "3"},  {"8", "R", "T1", "150"},
};

void fill(batch& b, size_t first, size_t count) {
  for (size_t i = first; i < first + count; ++i) {
    std::vector<std::string_view> cells(kRecords[i].begin(), kRecords[i].end());
    std::string why;
    ASSERT_TRUE(b.add_record(cells, &why)) << why;
  }
}

coverage cover_records(const rule_set& rules, size_t first, size_t count) {
  batch b(rules);
  fill(b, first, count);
  coverage c(rules);
  c.add(b, rules.classify(b));
  return c;
}

const decision_coverage& decision_named(const coverage& c, const std::string& name) {
  for (const auto& d : c.decisions())
    if (d.name == name) return d;
  ADD_FAILURE() << "no decision " << name;
  static decision_coverage none;
  return none;
}

struct rule_counts {
  uint64_t matched, won, false_rows, unknown_rows;
};

void expect_rule(const rule_coverage& r, rule_counts want) {
  SCOPED_TRACE("rule " + r.id);
  EXPECT_EQ(r.matched, want.matched);
  EXPECT_EQ(r.won, want.won);
  EXPECT_EQ(r.false_rows, want.false_rows);
  EXPECT_EQ(r.unknown_rows, want.unknown_rows);
}

void expect_condition(const condition_coverage& c, const std::string& text, uint64_t t, uint64_t f,
                      uint64_t u) {
  SCOPED_TRACE("condition " + c.text);
  EXPECT_EQ(c.text, text);
  EXPECT_EQ(c.true_rows, t);
  EXPECT_EQ(c.false_rows, f);
  EXPECT_EQ(c.unknown_rows, u);
}

TEST(Coverage, ExactCountsWithMissingValuesCopiesAndAHelper) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  coverage c = cover_records(*rules, 0, kRecords.size());
  EXPECT_EQ(c.rule_set_name(), "cov");
  EXPECT_EQ(c.rule_set_version(), "1");
  EXPECT_EQ(c.fingerprint().size(), 16u);
  EXPECT_EQ(c.records(), 8u);
  ASSERT_EQ(c.decisions().size(), 7u);

  // cls: r1 takes record 1; r2 is true for 1, 2, 8, false for 3 (T3) and 7 (3 units), unknown
  // for 4, 5, 6; it wins 2 and 8. r3 is true for 1, 2, 3, 4, 8 and wins 3 and 4 (the others
  // were won before it). 5, 6 (unknown) and 7 (false) fall to the default; 4, 5 and 6 were
  // decided with missing data.
  const decision_coverage& cls = decision_named(c, "cls");
  EXPECT_TRUE(cls.output);
  EXPECT_EQ(cls.rows, 8u);
  EXPECT_TRUE(cls.has_default);
  EXPECT_EQ(cls.default_then, "SMALL");
  EXPECT_EQ(cls.by_default, 3u);
  EXPECT_EQ(cls.no_outcome, 0u);
  EXPECT_EQ(cls.with_missing, 3u);
  ASSERT_EQ(cls.rules.size(), 3u);
  EXPECT_EQ(cls.rules[0].when, "network == W");
  EXPECT_EQ(cls.rules[0].then, "W");
  expect_rule(cls.rules[0], {1, 1, 7, 0});
  expect_rule(cls.rules[1], {3, 2, 2, 3});
  expect_rule(cls.rules[2], {5, 2, 1, 2});
  ASSERT_EQ(cls.rules[1].conditions.size(), 2u);
  expect_condition(cls.rules[1].conditions[0], "tier <= T2", 5, 1, 2);
  expect_condition(cls.rules[1].conditions[1], "units >= 10", 5, 1, 2);

  // grp: no default, so the rows g1 does not take have no outcome; 4 and 6 lack the tier.
  const decision_coverage& grp = decision_named(c, "grp");
  EXPECT_FALSE(grp.has_default);
  EXPECT_EQ(grp.rows, 8u);
  EXPECT_EQ(grp.by_default, 0u);
  EXPECT_EQ(grp.no_outcome, 5u);
  EXPECT_EQ(grp.with_missing, 2u);
  expect_rule(grp.rules[0], {3, 3, 3, 2});

  // h is a helper used only through o1's `from`: decided for the R records that o0 (units of
  // 100 or more) did not take first, 2 to 7; 5 and 6 reach o1 because o0 was unknown there.
  const decision_coverage& h = decision_named(c, "h");
  EXPECT_FALSE(h.output);
  EXPECT_EQ(h.rows, 6u);
  EXPECT_EQ(h.by_default, 6u);
  EXPECT_EQ(h.with_missing, 2u);
  expect_rule(h.rules[0], {0, 0, 4, 2});
  const decision_coverage& o = decision_named(c, "o");
  EXPECT_EQ(o.rows, 8u);
  EXPECT_EQ(o.no_outcome, 1u);
  EXPECT_EQ(o.rules[1].then, "from h");
  expect_rule(o.rules[0], {1, 1, 5, 2});
  expect_rule(o.rules[1], {7, 6, 1, 0});
  EXPECT_EQ(o.with_missing, 2u);

  // h2 is copied only by q's default: decided for 5, 6 (q1 unknown) and 7 (q1 false).
  const decision_coverage& h2 = decision_named(c, "h2");
  EXPECT_EQ(h2.rows, 3u);
  expect_rule(h2.rules[0], {2, 2, 0, 1});
  EXPECT_EQ(h2.by_default, 1u);
  EXPECT_EQ(h2.with_missing, 1u);
  const decision_coverage& q = decision_named(c, "q");
  EXPECT_EQ(q.default_then, "from h2");
  expect_rule(q.rules[0], {5, 5, 1, 2});
  EXPECT_EQ(q.by_default, 3u);
  EXPECT_EQ(q.with_missing, 2u);

  // p1 matches record 3, but grp has no value there: the rule does not fire, the default
  // does. Matched once, won never: a dead rule for these records.
  const decision_coverage& p = decision_named(c, "p");
  expect_rule(p.rules[0], {1, 0, 5, 2});
  EXPECT_EQ(p.by_default, 8u);
  EXPECT_EQ(p.with_missing, 2u);
}

TEST(Coverage, BatchesAndCoveragesAddUpToTheSameCounts) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  const std::string whole = cover_records(*rules, 0, 8).to_json();
  // One coverage, several batches.
  coverage split(*rules);
  for (auto [first, count] : std::vector<std::pair<size_t, size_t>>{{0, 3}, {3, 1}, {4, 4}}) {
    batch b(*rules);
    fill(b, first, count);
    split.add(b, rules->classify(b));
  }
  EXPECT_EQ(split.to_json(), whole);
  // One coverage per row, summed in another order into an empty coverage.
  coverage total;
  EXPECT_TRUE(total.empty());
  for (size_t i = 8; i-- > 0;) total += cover_records(*rules, i, 1);
  EXPECT_FALSE(total.empty());
  EXPECT_EQ(total.to_json(), whole);
  // An empty coverage adds nothing.
  coverage again = cover_records(*rules, 0, 8);
  again += coverage();
  EXPECT_EQ(again.to_json(), whole);
}

TEST(Coverage, JsonRoundTripKeepsEverything) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  coverage c = cover_records(*rules, 0, 8);
  std::string json = c.to_json();
  std::string why;
  auto back = coverage::from_json(json, &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->to_json(), json);
  EXPECT_EQ(back->fingerprint(), c.fingerprint());
  EXPECT_TRUE(back->matches(*rules, &why)) << why;
  // A coverage read back sums with one made from the rule set, and takes further batches.
  *back += c;
  batch b(*rules);
  fill(b, 0, 8);
  back->add(b, rules->classify(b));
  EXPECT_EQ(back->records(), 24u);
  EXPECT_EQ(decision_named(*back, "cls").rules[1].matched, 9u);
  // Through a file.
  fs::path dir = fs::temp_directory_path() / ("chanrules_cov_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_TRUE(c.save((dir / "c.json").string(), &why)) << why;
  auto loaded = coverage::load((dir / "c.json").string(), &why);
  ASSERT_TRUE(loaded) << why;
  EXPECT_EQ(loaded->to_json(), json);
  EXPECT_FALSE(coverage::load((dir / "none.json").string(), &why));
  EXPECT_NE(why.find("none.json"), std::string::npos) << why;
  fs::remove_all(dir);
}

TEST(Coverage, TheJsonNamesEveryCount) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  std::string json = cover_records(*rules, 0, 8).to_json();
  EXPECT_EQ(json.rfind("{\n  \"format\": \"chanrules-coverage\",\n  \"version\": 1,\n", 0), 0u)
      << json;
  EXPECT_NE(json.find("\"records\": 8"), std::string::npos) << json;
  EXPECT_NE(json.find("{\"id\": \"r2\", \"when\": \"tier <= T2 and units >= 10\", \"then\": "
                      "\"BIG\", \"matched\": 3, \"won\": 2, \"false\": 2, \"unknown\": 3,"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"text\": \"tier <= T2\", \"true\": 5, \"false\": 1, \"unknown\": 2}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"name\": \"grp\", \"output\": true, \"rows\": 8, \"default\": null, "
                      "\"by_default\": 0, \"no_outcome\": 5, \"with_missing\": 2,"),
            std::string::npos)
      << json;
}

TEST(Coverage, DifferentRuleSetsAreRefused) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  coverage c = cover_records(*rules, 0, 8);
  const std::string before = c.to_json();

  // Another name.
  std::string renamed = kSmall;
  renamed.replace(renamed.find("name: cov"), 9, "name: other");
  auto other = load_small(renamed);
  ASSERT_TRUE(other);
  coverage o = cover_records(*other, 0, 8);
  std::string why;
  EXPECT_FALSE(c.merge(o, &why));
  EXPECT_NE(why.find("cov 1"), std::string::npos) << why;
  EXPECT_NE(why.find("other 1"), std::string::npos) << why;
  EXPECT_NE(why.find("different rule sets"), std::string::npos) << why;
  EXPECT_THROW(c += o, coverage_mismatch);
  EXPECT_EQ(c.to_json(), before);  // unchanged

  // Same name and version, one threshold changed: the structure differs.
  std::string changed = kSmall;
  changed.replace(changed.find("units >= 5"), 10, "units >= 6");
  auto edited = load_small(changed);
  ASSERT_TRUE(edited);
  coverage e = cover_records(*edited, 0, 8);
  EXPECT_NE(e.fingerprint(), c.fingerprint());
  EXPECT_FALSE(c.merge(e, &why));
  EXPECT_NE(why.find("changed between the runs"), std::string::npos) << why;
  EXPECT_NE(why.find(c.fingerprint()), std::string::npos) << why;
  EXPECT_NE(why.find(e.fingerprint()), std::string::npos) << why;
  EXPECT_FALSE(c.matches(*edited, &why));
  EXPECT_TRUE(c.matches(*rules, &why)) << why;
  EXPECT_EQ(c.to_json(), before);

  // Only white space changed: the same structure (conditions are compared on one line).
  std::string spaced = kSmall;
  spaced.replace(spaced.find("units >= 5"), 10, "units  >=  5");
  auto respaced = load_small(spaced);
  ASSERT_TRUE(respaced);
  EXPECT_EQ(cover_records(*respaced, 0, 1).fingerprint(), c.fingerprint());

  // A batch of another rule set, or a classification that is not the batch's.
  batch b(*edited);
  fill(b, 0, 8);
  EXPECT_THROW(c.add(b, edited->classify(b)), coverage_mismatch);
  batch mine(*rules);
  fill(mine, 0, 8);
  batch shorter(*rules);
  fill(shorter, 0, 2);
  EXPECT_THROW(c.add(mine, rules->classify(shorter)), std::invalid_argument);
  EXPECT_THROW(c.add(mine, edited->classify(b)), std::invalid_argument);
  EXPECT_EQ(c.to_json(), before);
  // A coverage read from a file of another rule set is refused the same way.
  auto read = coverage::from_json(o.to_json(), &why);
  ASSERT_TRUE(read) << why;
  EXPECT_FALSE(c.merge(*read, &why));
  EXPECT_FALSE(read->matches(*rules, &why));
}

// A valid coverage file with one substitution.
std::string edited_json(const std::string& json, const std::string& from, const std::string& to) {
  size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at == std::string::npos) return json;
  return json.substr(0, at) + to + json.substr(at + from.size());
}

TEST(Coverage, BadFilesAreRefusedWithWhereAndWhy) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  const std::string json = cover_records(*rules, 0, 8).to_json();
  struct bad_case {
    std::string text;
    std::string message;
  };
  const std::vector<bad_case> cases = {
      {"", "line 1, column 1: the text is empty"},
      {"{\"format\": \"chanrules-coverage\",}",
       "line 1, column 33: expected a member name in double quotes, found '}'"},
      {"[1, 2", "line 1, column 6: the text ends inside an array"},
      {"{\"a\": 1, \"a\": 2}", "line 1, column 10: the member \"a\" appears twice"},
      {"{\"a\": \"\x80\"}", "line 1, column 8: a string holds bytes that are not UTF-8"},
      {"{\"a\": \"\\ud800\"}", "a high surrogate must be followed by a low one"},
      {"{} x", "line 1, column 4: unexpected text after the JSON value"},
      {std::string(100, '[') + std::string(100, ']'), "nested more than 64 levels deep"},
      {"[]", "$ (line 1): expected an object, found an array"},
      {edited_json(json, "chanrules-coverage", "something-else"),
       "$.format (line 2): this is not a chanrules coverage file"},
      {edited_json(json, "\"version\": 1,", "\"version\": 2,"),
       "$.version (line 3): version 2 is not supported"},
      {edited_json(json, "\"records\": 8", "\"records\": -8"),
       "$.records (line 5): expected a whole number from 0 to 18446744073709551615, found -8"},
      {edited_json(json, "\"records\": 8", "\"records\": 8.5"), "found 8.5"},
      {edited_json(json, "\"records\": 8", "\"records\": 99999999999999999999"),
       "found 99999999999999999999"},
      {edited_json(json, "\"records\": 8", "\"records\": 7"),
       "$.decisions[0].rows (line 7): 8 rows, more than the 7 records"},
      {edited_json(json, "\"matched\": 3, \"won\": 2", "\"matched\": 4, \"won\": 2"),
       "$.decisions[0].rules[1] (line 12): matched + false + unknown is 9, not the decision's 8 "
       "rows"},
      {edited_json(json, "\"matched\": 3, \"won\": 2, \"false\": 2",
                   "\"matched\": 3, \"won\": 4, \"false\": 2"),
       "$.decisions[0].rules[1].won (line 12): won 4 rows but matched only 3"},
      {edited_json(json, "\"by_default\": 3", "\"by_default\": 4"),
       "$.decisions[0] (line 7): the rows won by the rules, by the default and without outcome "
       "add up to 9, not the decision's 8 rows"},
      {edited_json(json, "\"true\": 5, \"false\": 1, \"unknown\": 2",
                   "\"true\": 5, \"false\": 1, \"unknown\": 3"),
       "$.decisions[0].rules[1].conditions[0] (line 14): true + false + unknown is 9"},
      {edited_json(json, "\"won\": 2, \"false\": 2", "\"false\": 2"),
       "$.decisions[0].rules[1] (line 12): the member \"won\" is missing"},
      {edited_json(json, "\"then\": \"BIG\"", "\"then\": \"BIG\", \"note\": 1"),
       "unknown member \"note\""},
      {edited_json(json, "\"then\": \"BIG\"", "\"then\": \"HUGE\""),
       "$.rule_set.fingerprint (line 4): the fingerprint " +
           cover_records(*rules, 0, 1).fingerprint() +
           " is not the one of the decisions in the file"},
      {edited_json(json, "\"default\": null", "\"default\": 7"),
       "$.decisions[1].default (line 19): expected the default's outcome or null, found a number"},
      {edited_json(json, "\"default\": \"SMALL\", \"by_default\": 3",
                   "\"default\": null, \"by_default\": 3"),
       "the decision has no default, yet 3 rows are counted as decided by it"},
      {edited_json(json, "\"output\": true", "\"output\": 1"),
       "$.decisions[0].output (line 7): expected true or false, found a number"},
  };
  for (const auto& c : cases) {
    std::string why;
    EXPECT_FALSE(coverage::from_json(c.text, &why)) << c.text;
    EXPECT_NE(why.find(c.message), std::string::npos) << "want: " << c.message << "\ngot:  " << why;
  }
}

TEST(Coverage, SumsThatWouldOverflowAreRefused) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  // One record, then its counts pushed to the top of 64 bits (a consistent file).
  std::string json = cover_records(*rules, 1, 1).to_json();
  std::string big = json;
  // Every count of 1 after the header (not "version": 1) becomes 2^64 - 1.
  for (size_t at = big.find(": 1", big.find("\"records\"")); at != std::string::npos;
       at = big.find(": 1", at + 1)) {
    if (big.compare(at, 4, ": 1,") == 0 || big.compare(at, 4, ": 1}") == 0)
      big.replace(at + 2, 1, "18446744073709551615");
  }
  std::string why;
  auto huge = coverage::from_json(big, &why);
  ASSERT_TRUE(huge) << why << "\n" << big;
  coverage sum = *huge;
  EXPECT_FALSE(sum.merge(*huge, &why));
  EXPECT_NE(why.find("would overflow"), std::string::npos) << why;
  EXPECT_EQ(sum.to_json(), huge->to_json());
}

// classify_csv with a coverage: exactly the rows written, whatever the threads, piece sizes
// and memory for ids; duplicates (found in memory, or settled at the end once the ids spill
// to disk) and bad rows are not covered; a failed run leaves the coverage as it was.
TEST(Coverage, ClassifyCsvCoversTheRowsWritten) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  fs::path dir = fs::temp_directory_path() / ("chanrules_cov_csv_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string csv = "id,network,tier,units\n";
  for (size_t i = 0; i < kRecords.size(); ++i) {
    for (size_t f = 0; f < 4; ++f) csv += (f ? "," : "") + kRecords[i][f];
    csv += "\n";
    // A duplicate id with other values after each record, and a bad row.
    csv += kRecords[i][0] + ",W,T3,1\n";
    csv += "x" + kRecords[i][0] + ",X,T1,1\n";
  }
  const std::string input = (dir / "in.csv").string();
  std::ofstream(input) << csv;
  const std::string want = cover_records(*rules, 0, kRecords.size()).to_json();
  for (unsigned jobs : {1u, 3u})
    for (size_t chunk : {size_t{1} << 20, size_t{16}})
      for (size_t memory : {size_t{64} << 20, size_t{0}}) {
        SCOPED_TRACE("jobs " + std::to_string(jobs) + " chunk " + std::to_string(chunk) +
                     " memory " + std::to_string(memory));
        csv_options o;
        o.jobs = jobs;
        o.chunk_bytes = chunk;
        o.unique_memory = memory;
        o.batch_rows = 3;
        coverage c;
        o.coverage = &c;
        csv_summary s =
            classify_csv(*rules, input, (dir / "out.csv").string(), (dir / "rej.csv").string(), o);
        ASSERT_TRUE(s.ok) << s.error;
        EXPECT_EQ(s.rows_out, 8u);
        EXPECT_EQ(s.rows_rejected, 16u);
        EXPECT_EQ(c.to_json(), want);
      }
  // Summed into a coverage that already holds rows.
  coverage twice = cover_records(*rules, 0, kRecords.size());
  csv_options o;
  o.coverage = &twice;
  ASSERT_TRUE(classify_csv(*rules, input, (dir / "out.csv").string(), "", o).ok);
  EXPECT_EQ(twice.records(), 16u);
  // A failed run (too many rejects) leaves it unchanged.
  const std::string before = twice.to_json();
  o.max_rejects = 1;
  EXPECT_FALSE(classify_csv(*rules, input, (dir / "out.csv").string(), "", o).ok);
  EXPECT_EQ(twice.to_json(), before);
  // Coverage of another rule set is refused before anything is read.
  std::string renamed = kSmall;
  renamed.replace(renamed.find("name: cov"), 9, "name: other");
  auto other = load_small(renamed);
  ASSERT_TRUE(other);
  coverage foreign = cover_records(*other, 0, 1);
  o.max_rejects = UINT64_MAX;
  o.coverage = &foreign;
  csv_summary s = classify_csv(*rules, input, (dir / "out2.csv").string(), "", o);
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.error.find("not for this rule set"), std::string::npos) << s.error;
  EXPECT_FALSE(fs::exists(dir / "out2.csv"));
  fs::remove_all(dir);
}

// --- independent counts ------------------------------------------------------------------

enum class tri { f, t, u };

// A row-at-a-time evaluator of the checked conditions, for the rules explain() does not
// reach (those after the one that fired). Decision values come from the classification.
// Test-only and simple on purpose; it is itself checked against explain() on every rule
// explain() does reach.
class reference {
 public:
  reference(const rule_set& rules, const batch& b, const classification& c)
      : p_(*rules.program()), m_(p_.m), b_(detail::batch_access::of(b)), c_(c) {}

  tri pred(uint32_t index, size_t row) const {
    const detail::predicate& p = m_.predicates[index];
    bool missing = false, present = false;
    uint16_t code = detail::no_code;
    detail::decimal_key number = 0;
    const detail::value_ref r = p.subject;
    switch (r.kind) {
      case detail::source_kind::field: {
        const detail::column& col = b_.columns[r.index];
        if (!col.is_valid(row)) {
          missing = true;
          break;
        }
        present = true;
        switch (m_.fields[r.index].type) {
          case detail::value_type::integer:
          case detail::value_type::date:
            number = col.ints[row];
            break;
          case detail::value_type::decimal:
            number = col.decs[row];
            break;
          default:
            code = col.codes[row];
        }
        break;
      }
      case detail::source_kind::list: {
        const detail::list_info& l = m_.lists[r.index];
        if (!b_.columns[l.key_field].is_valid(row)) {
          missing = true;
          break;
        }
        auto [ki, pos] = p_.list_slot[r.index];
        const detail::key_index& k = p_.key_indexes[ki];
        uint32_t e = b_.columns[l.key_field].key_entry[row];
        code = e == detail::string_table::not_found ? detail::no_code
                                                    : k.codes[e * k.lists.size() + pos];
        if (l.membership) code = code == detail::no_code ? 0 : 1;
        present = code != detail::no_code;
        break;
      }
      case detail::source_kind::named_set: {
        const detail::named_set_info& s = m_.named_sets[r.index];
        if (!b_.columns[s.field].is_valid(row)) {
          missing = true;
          break;
        }
        code = p_.matchers[r.index].match(b_.columns[s.field].text(row));
        present = code != detail::no_code;
        break;
      }
      case detail::source_kind::decision:
        code = c_.outcome_codes(r.index)[row];
        present = code != detail::no_code;
        break;
    }
    if (p.kind == detail::pred_kind::is_missing) return (!present) != p.negated ? tri::t : tri::f;
    if (missing) return tri::u;
    if (!present) return tri::f;
    bool in;
    if (p.kind == detail::pred_kind::code_in_set) {
      in = std::binary_search(p.codes.begin(), p.codes.end(), code);
    } else {
      in = number >= p.lo && number <= p.hi;
    }
    return in != p.negated ? tri::t : tri::f;
  }

  // The rule's whole condition, and each predicate's value in node order.
  tri rule(size_t decision, size_t r, size_t row, std::vector<tri>* preds) const {
    const detail::condition& c = m_.decisions[decision].rules[r].cond;
    std::vector<tri> v(c.nodes.size());
    for (size_t i = 0; i < c.nodes.size(); ++i) {
      const detail::cond_node& n = c.nodes[i];
      switch (n.kind) {
        case detail::cond_kind::constant:
          v[i] = n.value ? tri::t : tri::f;
          break;
        case detail::cond_kind::pred:
          v[i] = pred(n.pred, row);
          preds->push_back(v[i]);
          break;
        case detail::cond_kind::not_:
          v[i] = v[n.children[0]] == tri::u ? tri::u : v[n.children[0]] == tri::t ? tri::f : tri::t;
          break;
        case detail::cond_kind::and_: {
          tri x = tri::t;
          for (uint32_t ch : n.children)
            x = v[ch] == tri::f ? tri::f : (v[ch] == tri::u && x != tri::f ? tri::u : x);
          v[i] = x;
          break;
        }
        case detail::cond_kind::or_: {
          tri x = tri::f;
          for (uint32_t ch : n.children)
            x = v[ch] == tri::t ? tri::t : (v[ch] == tri::u && x != tri::t ? tri::u : x);
          v[i] = x;
          break;
        }
      }
    }
    return v.empty() ? tri::f : v.back();
  }

 private:
  const detail::program& p_;
  const detail::model& m_;
  const detail::batch_impl& b_;
  const classification& c_;
};

tri tri_of(const std::string& s) {
  if (s == "unknown") return tri::u;
  return s.rfind("true", 0) == 0 ? tri::t : tri::f;  // "true (but X has no value)" is true
}

void count(tri v, uint64_t& t, uint64_t& f, uint64_t& u) {
  (v == tri::t ? t : v == tri::f ? f : u) += 1;
}

// Coverage of a classified batch, counted row by row from explain(): a decision counts a
// row when explain() lists it (helpers only where needed), with the rule that fired, the
// default or nothing, and its missing fields; each rule explain() reached has its traced
// results; the rules after the one that fired come from the reference evaluator.
std::vector<decision_coverage> independent_counts(const rule_set& rules, const batch& b,
                                                  const classification& c) {
  coverage shape(rules);
  std::vector<decision_coverage> out = shape.decisions();
  reference ref(rules, b, c);
  for (size_t row = 0; row < b.size(); ++row) {
    explanation e = rules.explain(b, row);
    for (const auto& trace : e.decisions) {
      size_t d = 0;
      while (out[d].name != trace.name) ++d;
      decision_coverage& dc = out[d];
      ++dc.rows;
      dc.with_missing += !trace.missing_fields.empty();
      if (trace.rule_id == "default") {
        ++dc.by_default;
      } else if (trace.rule_id.empty()) {
        ++dc.no_outcome;
      }
      for (size_t r = 0; r < dc.rules.size(); ++r) {
        rule_coverage& rc = dc.rules[r];
        std::vector<tri> preds;
        tri whole = ref.rule(d, r, row, &preds);
        if (r < trace.rules.size()) {
          // The reference agrees with explain() wherever explain() looked.
          const auto& rt = trace.rules[r];
          EXPECT_EQ(rt.id, rc.id);
          EXPECT_EQ(tri_of(rt.result), whole) << "row " << row << " rule " << rc.id;
          EXPECT_EQ(rt.conditions.size(), preds.size());
          for (size_t k = 0; k < preds.size() && k < rt.conditions.size(); ++k)
            EXPECT_EQ(tri_of(rt.conditions[k].result), preds[k])
                << "row " << row << " rule " << rc.id << " condition " << k;
          if (rt.fired) ++rc.won;
        }
        count(whole, rc.matched, rc.false_rows, rc.unknown_rows);
        for (size_t k = 0; k < preds.size(); ++k)
          count(preds[k], rc.conditions[k].true_rows, rc.conditions[k].false_rows,
                rc.conditions[k].unknown_rows);
      }
    }
  }
  return out;
}

void expect_same(const std::vector<decision_coverage>& want,
                 const std::vector<decision_coverage>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t d = 0; d < want.size(); ++d) {
    SCOPED_TRACE("decision " + want[d].name);
    EXPECT_EQ(want[d].rows, got[d].rows);
    EXPECT_EQ(want[d].by_default, got[d].by_default);
    EXPECT_EQ(want[d].no_outcome, got[d].no_outcome);
    EXPECT_EQ(want[d].with_missing, got[d].with_missing);
    ASSERT_EQ(want[d].rules.size(), got[d].rules.size());
    for (size_t r = 0; r < want[d].rules.size(); ++r) {
      const rule_coverage &x = want[d].rules[r], &y = got[d].rules[r];
      SCOPED_TRACE("rule " + x.id);
      EXPECT_EQ(x.matched, y.matched);
      EXPECT_EQ(x.won, y.won);
      EXPECT_EQ(x.false_rows, y.false_rows);
      EXPECT_EQ(x.unknown_rows, y.unknown_rows);
      ASSERT_EQ(x.conditions.size(), y.conditions.size());
      for (size_t k = 0; k < x.conditions.size(); ++k) {
        SCOPED_TRACE("condition " + x.conditions[k].text);
        EXPECT_EQ(x.conditions[k].true_rows, y.conditions[k].true_rows);
        EXPECT_EQ(x.conditions[k].false_rows, y.conditions[k].false_rows);
        EXPECT_EQ(x.conditions[k].unknown_rows, y.conditions[k].unknown_rows);
      }
    }
  }
}

std::shared_ptr<const rule_set> load_2009() {
  load_result loaded = rule_set::load(std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009");
  EXPECT_TRUE(loaded.ok()) << describe(loaded.diagnostics);
  return loaded.rules;
}

TEST(Coverage, SmallRuleSetMatchesIndependentCounts) {
  auto rules = load_small();
  ASSERT_TRUE(rules);
  batch b(*rules);
  fill(b, 0, 8);
  classification c = rules->classify(b);
  coverage cov(*rules);
  cov.add(b, c);
  expect_same(independent_counts(*rules, b, c), cov.decisions());
}

TEST(Coverage, SampleExportOf2009MatchesIndependentCounts) {
  auto rules = load_2009();
  ASSERT_TRUE(rules);
  std::ifstream in(std::string(CHANRULES_SOURCE_DIR) +
                   "/rules/channel-2009/sample/distributors.csv");
  std::stringstream text;
  text << in.rdbuf();
  std::string csv = text.str();
  io::csv_reader reader(csv);
  ASSERT_TRUE(reader.next() && reader.ok());
  std::vector<int> column_of(rules->field_count(), -1);
  for (size_t i = 0; i < reader.size(); ++i)
    for (size_t f = 0; f < rules->field_count(); ++f)
      if (rules->field_name(f) == reader[i]) column_of[f] = static_cast<int>(i);
  batch b(*rules);
  size_t rejected = 0;
  while (reader.next()) {
    std::vector<std::string_view> cells(rules->field_count());
    for (size_t f = 0; f < cells.size(); ++f)
      if (column_of[f] >= 0 && static_cast<size_t>(column_of[f]) < reader.size())
        cells[f] = reader[static_cast<size_t>(column_of[f])];
    if (!reader.ok() || !b.add_record(cells)) ++rejected;  // bad rows are not classified
  }
  ASSERT_GT(b.size(), 300u);
  classification c = rules->classify(b);
  coverage cov(*rules);
  cov.add(b, c);
  EXPECT_EQ(cov.records(), b.size());
  expect_same(independent_counts(*rules, b, c), cov.decisions());
  // The sample reaches the helpers only through the networks that copy them.
  const decision_coverage& s_class = decision_named(cov, "s_class");
  EXPECT_GT(s_class.rows, 0u);
  EXPECT_LT(s_class.rows, b.size());
}

TEST(Coverage, RandomRecordsAcrossVectorBoundariesMatchIndependentCounts) {
  auto rules = load_2009();
  ASSERT_TRUE(rules);
  std::mt19937 rng(7);
  const std::vector<std::vector<std::string>> values = {
      {"C000197", "C000332", "C000201", "C000557", "C900001", ""},
      {"\xe5\x9b\xbd\xe7\xbe\x8e\xe7\x94\xb5\xe5\x99\xa8", "Suning", "\xe4\xb9\x90\xe8\xaf\xad",
       "some shop", ""},
      {"S", "W", "R", "R", "O"},
      {"T1", "T2", "T3", "T4", "T5", "T6", ""},
      {"1", "2", "3", "4", ""},
      {"0", "499", "500", "99999", ""},
      {"DRA", "DSA", ""},
      {"0", "3", "36", ""},
      {"true", "false", ""},
      {"4.99", "5", "12.5", ""},
      {"it_retailer", "tv_shopping", "individual", "online", "other", ""},
      {"CMCC", "CU", "CT", ""},
      {"province_company", "key_account", "fund_platform", "contractor", ""},
  };
  ASSERT_EQ(values.size(), rules->field_count());
  // More rows than one execution vector (4096 by default), ending inside a 64-row word.
  const size_t rows = 4096 + 4096 / 2 + 37;
  batch b(*rules);
  for (size_t i = 0; i < rows; ++i) {
    size_t row = b.add_row();
    for (size_t f = 0; f < values.size(); ++f)
      ASSERT_TRUE(b.set_text(row, f, values[f][rng() % values[f].size()]));
  }
  classification c = rules->classify(b);
  coverage cov(*rules);
  cov.add(b, c);
  expect_same(independent_counts(*rules, b, c), cov.decisions());
}

TEST(Coverage, TestRecordsOf2009) {
  auto rules = load_2009();
  ASSERT_TRUE(rules);
  coverage cov = cover_tests(*rules);
  EXPECT_EQ(cov.records(), rules->run_tests().size());
  EXPECT_TRUE(cov.matches(*rules));
  // The tests reach every rule of the standard.
  for (const auto& d : cov.decisions())
    for (const auto& r : d.rules) EXPECT_GT(r.won, 0u) << d.name << " " << r.id;
}

}  // namespace
}  // namespace chanrules
