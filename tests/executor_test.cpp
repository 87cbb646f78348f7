// Tests of the batch executor (src/exec) through the public API: three-valued logic,
// missing-field records, `from` and defaults, lists and named sets, exact decimals, dates,
// negative integers, batch sizes around the 64-row words and the execution vector, how
// batches reject bad records, and a differential test that runs random records of the
// 2009 rule set through both classify() (the batch executor) and explain() (the row
// interpreter) and compares every decision.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chanrules/chanrules.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "check/model.h"
#include "exec/kernels.h"
#include "test_support.h"

namespace chanrules {
namespace {

using chanrules::testing::describe;

std::shared_ptr<const rule_set> load_ok(const std::string& yaml, const std::string& base = ".") {
  return chanrules::testing::load_ok(yaml, base, "e.yaml");
}

namespace fs = std::filesystem;

// ---- helpers --------------------------------------------------------------------------------

size_t decision_index(const rule_set& rules, std::string_view name) {
  for (size_t d = 0; d < rules.decision_count(); ++d)
    if (rules.decision_name(d) == name) return d;
  ADD_FAILURE() << "no decision " << name;
  return 0;
}

std::vector<std::string> strings(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

// Appends a row from field -> text pairs (other fields missing); fails the test on a bad value.
size_t add(batch& b, const std::map<std::string, std::string>& values) {
  size_t row = b.add_row();
  for (const auto& [name, text] : values) {
    size_t f = b.field(name);
    EXPECT_NE(f, batch::npos) << name;
    std::string why;
    EXPECT_TRUE(b.set_text(row, f, text, &why)) << name << "=" << text << ": " << why;
  }
  return row;
}

// The values of a row, for failure messages.
std::string row_text(const rule_set& rules, const batch& b, size_t row) {
  std::string out = "row " + std::to_string(row) + ":";
  for (size_t f = 0; f < b.field_count(); ++f)
    out += " " + rules.field_name(f) + "=" + b.value_text(row, f);
  return out + "\n";
}

// classify() and explain() must agree on every decision of `row`. A helper decision that no
// rule needed is absent from the explanation and has no outcome in the classification.
void expect_agreement(const rule_set& rules, const batch& b, const classification& c, size_t row) {
  explanation e = rules.explain(b, row);
  SCOPED_TRACE(row_text(rules, b, row));
  for (size_t d = 0; d < rules.decision_count(); ++d) {
    const std::string& name = rules.decision_name(d);
    auto it = std::find_if(e.decisions.begin(), e.decisions.end(),
                           [&](const explanation::decision_trace& t) { return t.name == name; });
    std::string outcome, rule_id;
    std::vector<std::string> missing;
    if (it != e.decisions.end()) {
      outcome = it->outcome;
      rule_id = it->rule_id;
      missing = it->missing_fields;
    } else {
      ASSERT_FALSE(rules.decision_is_output(d)) << "output decision " << name << " not explained";
    }
    ASSERT_EQ(c.outcome(d, row), outcome) << "row " << row << " decision " << name << "\n"
                                          << e.to_text();
    ASSERT_EQ(c.rule_id(d, row), rule_id) << "row " << row << " decision " << name << "\n"
                                          << e.to_text();
    ASSERT_EQ(strings(c.missing_fields(d, row)), missing)
        << "row " << row << " decision " << name << "\n"
        << e.to_text();
    ASSERT_EQ(c.missing(d, row), !missing.empty()) << "row " << row << " decision " << name;
  }
}

void expect_agreement(const rule_set& rules, const batch& b, const classification& c) {
  ASSERT_EQ(c.rows(), b.size());
  for (size_t row = 0; row < b.size(); ++row) {
    expect_agreement(rules, b, c, row);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// ---- three-valued logic ----------------------------------------------------------------------

enum class tv { f, t, u };

tv and3(tv x, tv y) {
  if (x == tv::f || y == tv::f) return tv::f;
  return x == tv::t && y == tv::t ? tv::t : tv::u;
}
tv or3(tv x, tv y) {
  if (x == tv::t || y == tv::t) return tv::t;
  return x == tv::f && y == tv::f ? tv::f : tv::u;
}
tv not3(tv x) { return x == tv::u ? tv::u : x == tv::t ? tv::f : tv::t; }
tv is_missing3(tv x) { return x == tv::u ? tv::t : tv::f; }
const char* text_of(tv x) { return x == tv::t ? "true" : x == tv::f ? "false" : ""; }
const char* name_of(tv x) { return x == tv::t ? "T" : x == tv::f ? "F" : "U"; }

struct logic_case {
  const char* when;
  const char* missable;  // the fields whose missing values the rule records when unknown
  std::function<tv(tv, tv)> expected;
};

TEST(ThreeValuedLogic, TruthTablesThroughClassify) {
  const std::vector<logic_case> used = {
      {"a and b", "ab", [](tv a, tv b) { return and3(a, b); }},
      {"a or b", "ab", [](tv a, tv b) { return or3(a, b); }},
      {"not a", "a", [](tv a, tv) { return not3(a); }},
      {"not not a", "a", [](tv a, tv) { return a; }},
      {"not (a and b)", "ab", [](tv a, tv b) { return not3(and3(a, b)); }},
      {"not (a or b)", "ab", [](tv a, tv b) { return not3(or3(a, b)); }},
      {"a and not b", "ab", [](tv a, tv b) { return and3(a, not3(b)); }},
      {"(a or b) and not (a and b)", "ab",
       [](tv a, tv b) { return and3(or3(a, b), not3(and3(a, b))); }},
      {"a is missing", "", [](tv a, tv) { return is_missing3(a); }},
      {"a is not missing", "", [](tv a, tv) { return not3(is_missing3(a)); }},
      {"a is missing or b", "b", [](tv a, tv b) { return or3(is_missing3(a), b); }},
      {"not (a is missing) and b", "b", [](tv a, tv b) { return and3(not3(is_missing3(a)), b); }},
      {"a == true", "a", [](tv a, tv) { return a; }},
      {"a != true", "a", [](tv a, tv) { return not3(a); }},
      {"a == false", "a", [](tv a, tv) { return not3(a); }},
      {"a in [true, false]", "a", [](tv a, tv) { return a == tv::u ? tv::u : tv::t; }},
      {"a not in [true]", "a", [](tv a, tv) { return not3(a); }},
      {"true and a", "a", [](tv a, tv) { return a; }},
      {"false and a", "a", [](tv, tv) { return tv::f; }},
      {"true or a", "a", [](tv, tv) { return tv::t; }},
      {"false or not b", "b", [](tv, tv b) { return not3(b); }},
  };
  std::string yaml =
      "chanrules: 1\nname: e\nversion: \"1\"\n"
      "fields:\n  a: {type: boolean}\n  b: {type: boolean}\n"
      "decisions:\n";
  for (size_t i = 0; i < used.size(); ++i)
    yaml += "  d" + std::to_string(i) +
            ":\n    rules:\n      - id: r\n        when: " + used[i].when +
            "\n        then: T\n    default: F\n";
  auto rules = load_ok(yaml);
  ASSERT_TRUE(rules);
  batch b(*rules);
  const tv values[] = {tv::f, tv::t, tv::u};
  for (tv a : values) {
    for (tv bv : values) add(b, {{"a", text_of(a)}, {"b", text_of(bv)}});
  }
  classification c = rules->classify(b);
  size_t row = 0;
  for (tv a : values) {
    for (tv bv : values) {
      for (size_t i = 0; i < used.size(); ++i) {
        SCOPED_TRACE(std::string(used[i].when) + " with a=" + name_of(a) + " b=" + name_of(bv));
        tv want = used[i].expected(a, bv);
        // true: the rule fires; false: the default applies; unknown: the default applies
        // and the decision records the missing fields of the rule.
        EXPECT_EQ(c.outcome(i, row), want == tv::t ? "T" : "F");
        EXPECT_EQ(c.rule_id(i, row), want == tv::t ? "r" : "default");
        EXPECT_EQ(c.missing(i, row), want == tv::u);
        if (want == tv::u) {
          std::vector<std::string> fields;
          std::string_view missable = used[i].missable;
          if (a == tv::u && missable.find('a') != std::string_view::npos) fields.push_back("a");
          if (bv == tv::u && missable.find('b') != std::string_view::npos) fields.push_back("b");
          EXPECT_EQ(strings(c.missing_fields(i, row)), fields);
        } else {
          EXPECT_TRUE(c.missing_fields(i, row).empty());
        }
      }
      ++row;
    }
  }
  expect_agreement(*rules, b, c);
}

// ---- a rule set with one of everything --------------------------------------------------------

class Executor : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "chanrules_executor_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "vip.csv") << "id\nC1\nC2\n";
    // C3 is listed under both classes: SKA wins whatever the row order.
    std::ofstream(dir_ / "cls.csv") << "id,class\nC1,SKA\nC3,RKA\nC3,SKA\nC4,RKA\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<const rule_set> load(const std::string& decisions) {
    return load_ok(kFields + decisions, dir_.string());
  }

  static inline const std::string kFields =
      "chanrules: 1\nname: e\nversion: \"1\"\n"
      "fields:\n"
      "  id: {type: string}\n"
      "  network: {type: enum, values: [S, W, R, O]}\n"
      "  tier: {type: enum, values: [T1, T2, T3, T4, T5, T6], ordered: true}\n"
      "  units: {type: integer, min: 0}\n"
      "  delta: {type: integer, min: -10, max: 10}\n"
      "  avg: {type: decimal}\n"
      "  opened: {type: date}\n"
      "  name: {type: string, trim: false}\n"
      "  flag: {type: boolean}\n"
      "lists:\n"
      "  vip: {file: vip.csv, key: id}\n"
      "  cls: {file: cls.csv, key: id, value: class, values: [SKA, RKA]}\n"
      "named_sets:\n"
      "  account:\n"
      "    field: name\n"
      "    entries:\n"
      "      - {key: G, aliases: [\xe5\x9b\xbd\xe7\xbe\x8e, GOME]}\n"
      "      - {key: Su, aliases: [\xe8\x8b\x8f\xe5\xae\x81, Suning]}\n";

  fs::path dir_;
};

TEST_F(Executor, MissingFieldsAreRecordedExactly) {
  auto rules = load(
      "decisions:\n"
      "  m:\n    rules:\n"
      "      - {id: r1, when: units >= 5 and tier <= T2, then: A}\n"
      "      - {id: r2, when: avg > 1 or opened >= 2009-01-01, then: B}\n"
      "      - {id: r3, when: network == S, then: C}\n");
  ASSERT_TRUE(rules);
  struct {
    const char* name;
    std::map<std::string, std::string> record;
    const char* outcome;
    const char* rule;
    std::vector<std::string> missing;
  } cases[] = {
      {"unknown, then true", {{"tier", "T1"}, {"opened", "2010-01-01"}}, "B", "r2", {"units"}},
      {"false and unknown is false: nothing recorded for r1",
       {{"units", "3"}, {"network", "S"}},
       "C",
       "r3",
       {"avg", "opened"}},
      {"true and unknown is unknown", {{"units", "6"}, {"avg", "2"}}, "B", "r2", {"tier"}},
      {"unknown or false is unknown",
       {{"units", "6"}, {"tier", "T1"}, {"opened", "2000-01-01"}, {"network", "R"}},
       "A",
       "r1",
       {}},
      {"nothing fires, no default", {{"network", "R"}}, "", "", {"tier", "units", "avg", "opened"}},
      {"everything known and false",
       {{"units", "1"}, {"avg", "0.5"}, {"opened", "2000-01-01"}, {"network", "W"}},
       "",
       "",
       {}},
      {"a rule after the unknown one fires: missing data is still recorded",
       {{"tier", "T3"}, {"network", "S"}, {"avg", "0"}, {"opened", "1999-12-31"}},
       "C",
       "r3",
       {}},
      {"unknown on a later rule after a decided row is not recorded",
       {{"units", "9"}, {"tier", "T2"}},
       "A",
       "r1",
       {}},
  };
  batch b(*rules);
  for (const auto& c : cases) add(b, c.record);
  classification result = rules->classify(b);
  size_t m = decision_index(*rules, "m");
  size_t with_missing = 0;
  for (size_t row = 0; row < std::size(cases); ++row) {
    SCOPED_TRACE(cases[row].name);
    EXPECT_EQ(result.outcome(m, row), cases[row].outcome);
    EXPECT_EQ(result.rule_id(m, row), cases[row].rule);
    EXPECT_EQ(strings(result.missing_fields(m, row)), cases[row].missing);
    EXPECT_EQ(result.missing(m, row), !cases[row].missing.empty());
    with_missing += !cases[row].missing.empty();
  }
  EXPECT_EQ(result.rows_with_missing(m), with_missing);
  expect_agreement(*rules, b, result);
}

TEST_F(Executor, FromDefaultsAndNoOutcome) {
  auto rules = load(
      "decisions:\n"
      "  h:\n    output: false\n    rules:\n      - {id: h1, when: network == S, then: HS}\n"
      "  f:\n    rules:\n"
      "      - {id: f1, when: network != W, then: {from: h}}\n"  // no value for R, O: next rule
      "      - {id: f2, when: network == R, then: FR}\n"
      "    default: {from: h}\n"  // W, O: h has no value
      "  g:\n    rules:\n      - {id: g1, when: network == W, then: GW}\n"
      "    default: {from: h}\n"                                            // S: HS by default
      "  n:\n    rules:\n      - {id: n1, when: network == S, then: NS}\n"  // no default
      "  lf:\n    rules:\n"
      "      - {id: l1, when: true, then: {from: cls}}\n"
      "      - {id: l2, when: true, then: {from: account}}\n"
      "      - {id: l3, when: true, then: {from: network}}\n");
  ASSERT_TRUE(rules);
  batch b(*rules);
  add(b, {{"network", "S"}});                         // 0
  add(b, {{"network", "W"}});                         // 1
  add(b, {{"network", "R"}, {"id", "C3"}});           // 2
  add(b, {{"network", "O"}, {"name", "gome shop"}});  // 3
  add(b, {{"id", "C9"}, {"name", "nobody"}});         // 4: network missing
  classification c = rules->classify(b);
  struct {
    const char* decision;
    std::array<const char*, 5> outcome;
    std::array<const char*, 5> rule;
  } expected[] = {
      {"f", {"HS", "", "FR", "", ""}, {"f1", "", "f2", "", ""}},
      {"g", {"HS", "GW", "", "", ""}, {"default", "g1", "", "", ""}},
      {"n", {"NS", "", "", "", ""}, {"n1", "", "", "", ""}},
      {"lf", {"S", "W", "SKA", "G", ""}, {"l3", "l3", "l1", "l2", ""}},
  };
  for (const auto& e : expected) {
    size_t d = decision_index(*rules, e.decision);
    for (size_t row = 0; row < 5; ++row) {
      SCOPED_TRACE(std::string(e.decision) + " row " + std::to_string(row));
      EXPECT_EQ(c.outcome(d, row), e.outcome[row]);
      EXPECT_EQ(c.rule_id(d, row), e.rule[row]);
    }
  }
  // The missing network makes f1 and f2 unknown for row 4 (recorded), not n1.
  EXPECT_EQ(strings(c.missing_fields(decision_index(*rules, "f"), 4)),
            std::vector<std::string>{"network"});
  EXPECT_EQ(strings(c.missing_fields(decision_index(*rules, "n"), 4)),
            std::vector<std::string>{"network"});
  EXPECT_TRUE(c.missing_fields(decision_index(*rules, "lf"), 4).empty());
  // Outcome codes index the decision's labels; no outcome is no_outcome.
  size_t f = decision_index(*rules, "f");
  EXPECT_EQ(c.outcome_labels(f), (std::vector<std::string>{"HS", "FR"}));
  EXPECT_EQ(c.outcome_codes(f)[0], 0);
  EXPECT_EQ(c.outcome_codes(f)[2], 1);
  EXPECT_EQ(c.outcome_codes(f)[1], classification::no_outcome);
  EXPECT_EQ(c.rule_indices(f)[1], classification::no_rule);
  EXPECT_EQ(c.rule_indices(decision_index(*rules, "g"))[0], classification::by_default);
  expect_agreement(*rules, b, c);
}

TEST_F(Executor, ListsAndNamedSets) {
  auto rules = load(
      "decisions:\n"
      "  v:\n    rules:\n      - {id: r, when: vip, then: T}\n    default: F\n"
      "  nv:\n    rules:\n      - {id: r, when: not vip, then: T}\n    default: F\n"
      "  vm:\n    rules:\n      - {id: r, when: vip is missing, then: T}\n    default: F\n"
      "  ska:\n    rules:\n      - {id: r, when: cls == SKA, then: T}\n    default: F\n"
      "  nska:\n    rules:\n      - {id: r, when: cls != SKA, then: T}\n    default: F\n"
      "  cm:\n    rules:\n      - {id: r, when: cls is missing, then: T}\n    default: F\n"
      "  acc:\n    rules:\n      - {id: r, when: account == G, then: T}\n    default: F\n"
      "  nacc:\n    rules:\n      - id: r\n        when: account not in [G]\n        then: T\n"
      "    default: F\n"
      "  am:\n    rules:\n      - {id: r, when: account is missing, then: T}\n    default: F\n");
  ASSERT_TRUE(rules);
  struct {
    std::map<std::string, std::string> record;
    // v nv vm ska nska cm acc nacc am: T, F or U (unknown: default F, missing recorded)
    const char* expected;
  } cases[] = {
      {{{"id", "C1"}, {"name", "GOME"}}, "TFFTFFTFF"},
      {{{"id", "C2"}, {"name", "gome"}}, "TFFFFTTFF"},  // not on cls: no value
      {{{"id", "C3"}, {"name", "\xef\xbc\xa7\xef\xbc\xaf\xef\xbc\xad\xef\xbc\xa5"}},
       "FTFTFFTFF"},                                           // listed twice: SKA
      {{{"id", "C4"}, {"name", "Suning GOME"}}, "FTFFTFTFF"},  // first entry wins
      {{{"id", "C4"}, {"name", "\xe8\x8b\x8f\xe5\xae\x81"}}, "FTFFTFFTF"},
      {{{"id", "C9"}, {"name", "nobody"}}, "FTFFFTFFT"},  // no match: no value
      {{{"name", " GOME "}}, "UUTUUTTFF"},                // id missing
      {{{"id", "C1"}}, "TFFTFFUUT"},                      // name missing
      {{{"id", "c1"}, {"name", "x"}}, "FTFFFTFFT"},       // keys match exactly
      {{{"id", " C1 "}, {"name", "x"}}, "TFFTFFFFT"},     // id is trimmed
  };
  const char* names[] = {"v", "nv", "vm", "ska", "nska", "cm", "acc", "nacc", "am"};
  batch b(*rules);
  for (const auto& c : cases) add(b, c.record);
  classification result = rules->classify(b);
  for (size_t row = 0; row < std::size(cases); ++row) {
    for (size_t i = 0; i < 9; ++i) {
      SCOPED_TRACE("row " + std::to_string(row) + " decision " + names[i]);
      size_t d = decision_index(*rules, names[i]);
      char want = cases[row].expected[i];
      EXPECT_EQ(result.outcome(d, row), want == 'T' ? "T" : "F");
      EXPECT_EQ(result.missing(d, row), want == 'U');
    }
  }
  expect_agreement(*rules, b, result);
}

TEST_F(Executor, RandomRecordsAgreeWithExplain) {
  // Every kind of predicate, nested conditions, helper chains, `from` on lists, named sets,
  // fields and helpers, and defaults taken from a helper.
  auto rules = load(
      "decisions:\n"
      "  h1:\n    output: false\n    rules:\n"
      "      - {id: a, when: tier <= T2 and (units >= 10 or flag), then: BIG}\n"
      "      - {id: b, when: not (avg < 2.5) or opened between 2009-01-01 and 2009-12-31, "
      "then: MID}\n"
      "  h2:\n    output: false\n    rules:\n"
      "      - {id: a, when: h1 == BIG and network != O, then: {from: cls}}\n"
      "      - {id: b, when: vip and delta < 0, then: {from: account}}\n"
      "    default: {from: h1}\n"
      "  out1:\n    rules:\n"
      "      - {id: a, when: h2 is not missing and not (h2 == MID), then: {from: h2}}\n"
      "      - id: b\n        when: network in [S, W] and (name == \"x\" or name is missing)\n"
      "        then: {from: network}\n"
      "      - {id: c, when: delta between -3 and 3 or units < 4.5, then: LOW}\n"
      "    default: {from: h1}\n"
      "  out2:\n    rules:\n"
      "      - {id: a, when: out1 == LOW and not vip, then: L}\n"
      "      - {id: b, when: account is missing or tier > T4, then: {from: tier}}\n"
      "      - {id: c, when: cls != RKA and avg >= 5, then: C}\n");
  ASSERT_TRUE(rules);
  const std::map<std::string, std::vector<std::string>> values = {
      {"id", {"C1", "C2", "C3", "C4", "C9", ""}},
      {"network", {"S", "W", "R", "O", ""}},
      {"tier", {"T1", "T2", "T3", "T5", "T6", ""}},
      {"units", {"0", "4", "5", "10", "11", ""}},
      {"delta", {"-10", "-3", "-1", "0", "3", "4", ""}},
      {"avg", {"2.4999999999999999999", "2.5", "4.99", "5", "5.00000000000000000001", ""}},
      {"opened", {"2008-12-31", "2009-01-01", "2009-12-31", "2010-01-01", ""}},
      {"name", {"x", "GOME", "\xe8\x8b\x8f\xe5\xae\x81", "y", " ", ""}},
      {"flag", {"true", "false", ""}},
  };
  std::mt19937 rng(7);
  batch b(*rules);
  for (size_t i = 0; i < 3000; ++i) {
    size_t row = b.add_row();
    for (const auto& [name, options] : values) {
      std::string why;
      ASSERT_TRUE(b.set_text(row, b.field(name), options[rng() % options.size()], &why)) << why;
    }
  }
  classification c = rules->classify(b);
  expect_agreement(*rules, b, c);
  // The helpers were needed for some rows and not for others.
  size_t h2 = decision_index(*rules, "h2");
  size_t with_h2 = 0;
  for (size_t row = 0; row < b.size(); ++row) with_h2 += !c.outcome(h2, row).empty();
  EXPECT_GT(with_h2, 0u);
  EXPECT_LT(with_h2, b.size());
}

// ---- values ------------------------------------------------------------------------------------

struct value_case {
  const char* field;
  const char* text;
  const char* when;
  bool expected;
};

TEST_F(Executor, ValuesAreComparedExactly) {
  const value_case cases[] = {
      {"avg", "4.9999999999999999", "avg < 5", true},
      {"avg", "4.99999999999999999999999", "avg < 5", true},
      {"avg", "5", "avg < 5", false},
      {"avg", "5.000", "avg < 5", false},
      {"avg", "5.00000000000000000001", "avg > 5", true},
      {"avg", "5.000000000000000000000", "avg > 5", false},
      {"avg", "5.00000000000000000001", "avg <= 5.000000000000000000", false},
      {"avg", "0.1", "avg == 0.10", true},
      {"avg", "4.99", "avg between 4.99 and 5", true},
      {"avg", "4.989", "avg between 4.99 and 5", false},
      {"avg", "700000000000000000", "avg > 5", true},
      {"avg", "999999999999999999.999999999999999999", "avg >= 999999999999999999", true},
      {"avg", "-700000000000000000", "avg < 5", true},
      {"avg", "-0.5", "avg < 0", true},
      {"opened", "2009-10-18", "opened >= 2009-10-19", false},
      {"opened", "2009-10-19", "opened >= 2009-10-19", true},
      {"opened", "2010-01-01", "opened >= 2009-10-19", true},
      {"opened", "2008-02-29", "opened < 2008-03-01", true},
      {"opened", "1969-12-31", "opened < 1970-01-01", true},
      {"opened", "2000-02-29", "opened between 2000-02-28 and 2000-03-01", true},
      {"delta", "-10", "delta < -3", true},
      {"delta", "-3", "delta < -3", false},
      {"delta", "-0", "delta == 0", true},
      {"delta", "-5", "delta between -5 and 5", true},
      {"delta", "-6", "delta between -5 and 5", false},
      {"delta", "-6", "delta >= -6.5", true},
      {"delta", "-7", "delta >= -6.5", false},
      {"delta", "10", "delta in [9, 10]", true},
      {"units", "017", "units == 17", true},
      {"units", " 5 ", "units == 5", true},
      {"units", "4", "units < 4.5", true},
      {"units", "5", "units < 4.5", false},
      {"tier", "T3", "tier <= T3", true},
      {"tier", "T4", "tier <= T3", false},
      {"tier", "T1", "tier > T1", false},
      {"flag", "\xe6\x98\xaf", "flag", true},   // shi (yes)
      {"flag", "\xe5\x90\xa6", "flag", false},  // fou (no)
      {"flag", "Y", "flag", true},
      {"flag", "0", "flag", false},
      {"name", " x", "name == \"x\"", false},  // trim: false
      {"name", "x", "name == \"x\"", true},
  };
  std::string decisions = "decisions:\n";
  for (size_t i = 0; i < std::size(cases); ++i)
    decisions += "  d" + std::to_string(i) +
                 ":\n    rules:\n      - id: r\n        when: " + cases[i].when +
                 "\n        then: T\n    default: F\n";
  auto rules = load(decisions);
  ASSERT_TRUE(rules);
  batch b(*rules);
  for (const auto& c : cases) add(b, {{c.field, c.text}});
  classification result = rules->classify(b);
  for (size_t i = 0; i < std::size(cases); ++i) {
    EXPECT_EQ(result.outcome(i, i), cases[i].expected ? "T" : "F")
        << cases[i].field << " = '" << cases[i].text << "', " << cases[i].when;
  }
  expect_agreement(*rules, b, result);
}

TEST_F(Executor, BadValuesAreRefusedWithTheReason) {
  auto rules = load("decisions:\n  d:\n    rules:\n      - {id: r, when: flag, then: T}\n");
  ASSERT_TRUE(rules);
  const struct {
    const char* field;
    const char* text;
    const char* why;
  } cases[] = {
      {"network", "X", "'X' is not one of: S W R O"},
      {"network", "s", "'s' is not one of: S W R O"},
      {"units", "-1", "'-1' is not an integer (ASCII digits only)"},
      {"units", "1.0", "'1.0' is not an integer (ASCII digits only)"},
      {"units", "+5", "'+5' is not an integer (ASCII digits only)"},
      {"units", "\xef\xbc\x95", "'\xef\xbc\x95' is not an integer (ASCII digits only)"},
      {"delta", "-11", "'-11' is below the minimum -10"},
      {"delta", "11", "'11' is above the maximum 10"},
      {"avg", "1e3", "'1e3' is not a decimal number (digits with an optional .digits)"},
      {"avg", ".5", "'.5' is not a decimal number (digits with an optional .digits)"},
      {"opened", "2009-02-29", "'2009-02-29' is not a date (YYYY-MM-DD)"},
      {"opened", "2009-1-1", "'2009-1-1' is not a date (YYYY-MM-DD)"},
      {"flag", "yes", "'yes' is not a boolean (true false 1 0 Y N and the Chinese yes/no)"},
      {"tier", "T7", "'T7' is not one of: T1 T2 T3 T4 T5 T6"},
  };
  batch b(*rules);
  size_t row = b.add_row();
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.field) + " = " + c.text);
    size_t f = b.field(c.field);
    ASSERT_NE(f, batch::npos);
    std::string why;
    EXPECT_FALSE(b.set_text(row, f, c.text, &why));
    EXPECT_EQ(why, c.why);
    EXPECT_EQ(b.value_text(row, f), "");  // left missing
  }
  // Typed setters check the field's type too.
  std::string why;
  EXPECT_FALSE(b.set_integer(row, b.field("avg"), 3, &why));
  EXPECT_EQ(why, "field 'avg' is not an integer field");
  EXPECT_FALSE(b.set_boolean(row, b.field("units"), true, &why));
  EXPECT_EQ(why, "field 'units' is not a boolean field");
  EXPECT_FALSE(b.set_integer(row, b.field("delta"), -11, &why));
  EXPECT_EQ(why, "'-11' is below the minimum -10");
  EXPECT_TRUE(b.set_integer(row, b.field("delta"), -10, &why));
  EXPECT_EQ(b.value_text(row, b.field("delta")), "-10");
  EXPECT_FALSE(b.set_text(row + 1, 0, "x", &why));
  EXPECT_EQ(why, "row or field out of range");
}

TEST_F(Executor, ValueTextIsCanonical) {
  auto rules = load("decisions:\n  d:\n    rules:\n      - {id: r, when: flag, then: T}\n");
  ASSERT_TRUE(rules);
  batch b(*rules);
  size_t row = add(b, {{"units", "017"},
                       {"avg", "5.50"},
                       {"opened", "2009-10-19"},
                       {"flag", "\xe6\x98\xaf"},
                       {"tier", "T2"},
                       {"name", "  spaced  "}});
  EXPECT_EQ(b.value_text(row, b.field("units")), "17");
  EXPECT_EQ(b.value_text(row, b.field("avg")), "5.5");
  EXPECT_EQ(b.value_text(row, b.field("opened")), "2009-10-19");
  EXPECT_EQ(b.value_text(row, b.field("flag")), "true");
  EXPECT_EQ(b.value_text(row, b.field("tier")), "T2");
  EXPECT_EQ(b.value_text(row, b.field("name")), "  spaced  ");
  EXPECT_EQ(b.value_text(row, b.field("id")), "");
  // Digits beyond the 18th fractional one are kept as "something more" (...).
  size_t more = add(b, {{"avg", "5.00000000000000000001"}});
  EXPECT_EQ(b.value_text(more, b.field("avg")), "5.000000000000000000...");
  size_t nines = add(b, {{"avg", "4.99999999999999999999"}});
  EXPECT_EQ(b.value_text(nines, b.field("avg")), "4.999999999999999999...");
  size_t negative = add(b, {{"avg", "-0.25"}});
  EXPECT_EQ(b.value_text(negative, b.field("avg")), "-0.25");
}

// ---- batches
// -------------------------------------------------------------------------------------

// A small rule set whose outcome for a row is easy to compute independently.
const std::string kSizeRules =
    "chanrules: 1\nname: s\nversion: \"1\"\n"
    "fields:\n"
    "  a: {type: boolean}\n"
    "  b: {type: boolean}\n"
    "  units: {type: integer}\n"
    "  network: {type: enum, values: [S, W, R, O], required: true}\n"
    "decisions:\n"
    "  x:\n    rules:\n"
    "      - {id: x1, when: a and b, then: AB}\n"
    "      - {id: x2, when: units >= 3 or not a, then: U3}\n"
    "    default: D\n"
    "  y:\n    rules:\n"
    "      - {id: y1, when: x == AB, then: XY}\n"
    "      - id: y2\n        when: network in [S, W]\n        then: SW\n";

struct size_row {
  tv a, b;
  int units;  // -1: missing
  const char* network;
};

size_row row_for(size_t i) {
  static const char* networks[] = {"S", "W", "R", "O"};
  return {static_cast<tv>(i % 3), static_cast<tv>((i / 3) % 3),
          i % 11 == 0 ? -1 : static_cast<int>(i % 7), networks[(i / 9) % 4]};
}

TEST(Batch, SizesAroundWordsAndVectors) {
  auto rules = load_ok(kSizeRules);
  ASSERT_TRUE(rules);
  const size_t x = decision_index(*rules, "x"), y = decision_index(*rules, "y");
  for (size_t n : {0, 1, 63, 64, 65, 127, 1023, 1024, 1025, 2048, 3000}) {
    SCOPED_TRACE("rows: " + std::to_string(n));
    batch b(*rules, n / 2);
    for (size_t i = 0; i < n; ++i) {
      size_row r = row_for(i);
      std::string units = r.units < 0 ? "" : std::to_string(r.units);
      std::string why;
      ASSERT_TRUE(b.add_record({text_of(r.a), text_of(r.b), units, r.network}, &why)) << why;
    }
    ASSERT_EQ(b.size(), n);
    classification c = rules->classify(b);
    ASSERT_EQ(c.rows(), n);
    ASSERT_EQ(c.decision_count(), 2u);
    size_t x_missing = 0;
    for (size_t i = 0; i < n; ++i) {
      size_row r = row_for(i);
      tv units3 = r.units < 0 ? tv::u : (r.units >= 3 ? tv::t : tv::f);
      tv x1 = and3(r.a, r.b), x2 = or3(units3, not3(r.a));
      std::string xo = x1 == tv::t ? "AB" : x2 == tv::t ? "U3" : "D";
      std::string xr = x1 == tv::t ? "x1" : x2 == tv::t ? "x2" : "default";
      // Fields recorded: the missing ones among a, b (x1 unknown) and a, units (x2 reached
      // and unknown), in field order.
      std::set<int> missing_fields;
      if (x1 == tv::u) {
        if (r.a == tv::u) missing_fields.insert(0);
        if (r.b == tv::u) missing_fields.insert(1);
      }
      if (x1 != tv::t && x2 == tv::u) {
        if (r.a == tv::u) missing_fields.insert(0);
        if (r.units < 0) missing_fields.insert(2);
      }
      std::vector<std::string> xm;
      for (int f : missing_fields) xm.push_back(f == 0 ? "a" : f == 1 ? "b" : "units");
      std::string yo = xo == "AB" ? "XY" : (r.network[0] == 'S' || r.network[0] == 'W') ? "SW" : "";
      std::string yr = xo == "AB" ? "y1" : yo == "SW" ? "y2" : "";
      ASSERT_EQ(c.outcome(x, i), xo) << "row " << i;
      ASSERT_EQ(c.rule_id(x, i), xr) << "row " << i;
      ASSERT_EQ(strings(c.missing_fields(x, i)), xm) << "row " << i;
      ASSERT_EQ(c.outcome(y, i), yo) << "row " << i;
      ASSERT_EQ(c.rule_id(y, i), yr) << "row " << i;
      ASSERT_FALSE(c.missing(y, i)) << "row " << i;
      x_missing += !xm.empty();
    }
    EXPECT_EQ(c.rows_with_missing(x), x_missing);
    EXPECT_EQ(c.rows_with_missing(y), 0u);
    // The row interpreter agrees on a sample (every row of the small batches).
    for (size_t i = 0; i < n; i += (n > 200 ? 61 : 1)) expect_agreement(*rules, b, c, i);
    // Reusing a classification for the same batch gives the same result.
    classification again;
    rules->classify(b, again);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(again.outcome(x, i), c.outcome(x, i));
      ASSERT_EQ(again.rule_id(y, i), c.rule_id(y, i));
      ASSERT_EQ(again.missing(x, i), c.missing(x, i));
    }
  }
}

TEST(Batch, AReusedClassificationForgetsTheLastBatch) {
  auto rules = load_ok(kSizeRules);
  ASSERT_TRUE(rules);
  batch big(*rules), small(*rules);
  for (size_t i = 0; i < 1500; ++i) ASSERT_TRUE(big.add_record({"true", "true", "", "S"}));
  ASSERT_TRUE(small.add_record({"", "false", "", "R"}));
  classification c;
  rules->classify(big, c);
  EXPECT_EQ(c.rows(), 1500u);
  EXPECT_EQ(c.outcome(0, 1499), "AB");
  rules->classify(small, c);
  ASSERT_EQ(c.rows(), 1u);
  EXPECT_EQ(c.outcome(0, 0), "D");
  EXPECT_EQ(c.rule_id(0, 0), "default");
  EXPECT_EQ(strings(c.missing_fields(0, 0)), (std::vector<std::string>{"a", "units"}));
  EXPECT_EQ(c.outcome(1, 0), "");
}

TEST(Batch, AddRecordRefusesBadRecordsAndKeepsNoRow) {
  auto rules = load_ok(kSizeRules);
  ASSERT_TRUE(rules);
  const struct {
    std::vector<std::string_view> record;
    const char* why;
    size_t field;
  } bad[] = {
      {{"true", "true", "1", "X"}, "network: 'X' is not one of: S W R O", 3},
      {{"true", "true", "1x", "S"}, "units: '1x' is not an integer (ASCII digits only)", 2},
      {{"maybe", "true", "1", "S"},
       "a: 'maybe' is not a boolean (true false 1 0 Y N and the Chinese yes/no)",
       0},
      {{"true", "true", "1", ""}, "network: a value is required", 3},
      {{"true", "true", "1", "   "}, "network: a value is required", 3},
  };
  // Bad records at every interesting position of the validity words: the row is dropped,
  // and the next good record (with a, b and units missing) must not inherit anything from it.
  for (size_t good_before : {0, 1, 63, 64, 65, 127, 128}) {
    for (const auto& r : bad) {
      SCOPED_TRACE(std::to_string(good_before) + " rows, then: " + r.why);
      batch b(*rules);
      for (size_t i = 0; i < good_before; ++i)
        ASSERT_TRUE(b.add_record({"false", "false", "0", "R"}));
      std::string why;
      size_t field = 99;
      EXPECT_FALSE(b.add_record(r.record, &why, &field));
      EXPECT_EQ(why, r.why);
      EXPECT_EQ(field, r.field);
      ASSERT_EQ(b.size(), good_before);
      ASSERT_TRUE(b.add_record({"", "", "", "W"}, &why)) << why;
      ASSERT_EQ(b.size(), good_before + 1);
      for (size_t f = 0; f < 3; ++f) EXPECT_EQ(b.value_text(good_before, f), "") << f;
      classification c = rules->classify(b);
      EXPECT_EQ(c.outcome(0, good_before), "D");
      EXPECT_EQ(strings(c.missing_fields(0, good_before)),
                (std::vector<std::string>{"a", "b", "units"}));
      EXPECT_EQ(c.outcome(1, good_before), "SW");
    }
  }
  batch b(*rules);
  std::string why;
  EXPECT_FALSE(b.add_record({"true", "true"}, &why));
  EXPECT_EQ(why, "the record has 2 values; the rule set has 4 fields");
  EXPECT_EQ(b.size(), 0u);
}

TEST(Batch, ClearAndReuse) {
  auto rules = load_ok(kSizeRules);
  ASSERT_TRUE(rules);
  batch b(*rules);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(b.add_record({"true", "true", "5", "S"}));
  b.clear();
  EXPECT_EQ(b.size(), 0u);
  ASSERT_TRUE(b.add_record({"", "", "", "O"}));
  classification c = rules->classify(b);
  ASSERT_EQ(c.rows(), 1u);
  EXPECT_EQ(c.outcome(0, 0), "D");
  EXPECT_EQ(strings(c.missing_fields(0, 0)), (std::vector<std::string>{"a", "b", "units"}));
  EXPECT_EQ(b.field("units"), 2u);
  EXPECT_EQ(b.field("nope"), batch::npos);
  EXPECT_EQ(b.field_count(), 4u);
}

TEST(Batch, ExplainRecordReportsProblems) {
  auto rules = load_ok(kSizeRules);
  ASSERT_TRUE(rules);
  explanation e = rules->explain({{"a", "true"}, {"b", "nope"}, {"zz", "1"}, {"network", "S"}});
  EXPECT_EQ(e.problems,
            (std::vector<std::string>{
                "b: 'nope' is not a boolean (true false 1 0 Y N and the Chinese yes/no) (read as "
                "missing)",
                "unknown field 'zz'"}));
  ASSERT_EQ(e.decisions.size(), 2u);
  EXPECT_EQ(e.decisions[0].name, "x");
  EXPECT_EQ(e.decisions[0].outcome, "D");
  EXPECT_EQ(e.decisions[0].missing_fields, (std::vector<std::string>{"b", "units"}));
  EXPECT_EQ(e.decisions[1].outcome, "SW");
  batch b(*rules);
  explanation out_of_range = rules->explain(b, 3);
  EXPECT_EQ(out_of_range.problems, std::vector<std::string>{"row 3 is not in the batch"});
}

// ---- column kernels
// -------------------------------------------------------------------------------

TEST(Kernels, VectorAndPortableVersionsAgree) {
  // Every length from 1 to 300 (all tails of the 32-row and 64-row steps) and longer runs;
  // output words start dirty so a word the kernel forgets to write shows up.
  std::mt19937 rng(64);
  for (size_t n = 1; n <= 1100; n += (n < 300 ? 1 : 37)) {
    for (size_t table_words : {1, 2}) {
      std::vector<uint16_t> codes(n);
      const uint32_t bound = static_cast<uint32_t>(table_words * 64 - 2);
      for (auto& c : codes)
        c = rng() % 9 == 0 ? detail::no_code : static_cast<uint16_t>(rng() % bound);
      std::vector<uint64_t> table(table_words);
      for (auto& t : table) t = (uint64_t{rng()} << 32) | rng();
      table[0] &= ~uint64_t{1};  // "no value" is never true
      const size_t words = (n + 63) / 64;
      std::vector<uint64_t> fast(words, 0xDEADBEEFDEADBEEFull), slow(words, 0x1234567812345678ull);
      detail::codes_to_mask(codes.data(), n, table.data(), table_words, fast.data());
      detail::codes_to_mask_portable(codes.data(), n, table.data(), table_words, slow.data());
      for (size_t w = 0; w < words; ++w) {
        uint64_t rows = (w + 1) * 64 <= n ? ~uint64_t{0} : (uint64_t{1} << (n % 64)) - 1;
        ASSERT_EQ(fast[w] & rows, slow[w] & rows) << "codes, n=" << n << " word " << w;
      }
      std::vector<int64_t> ints(n);
      for (auto& v : ints) v = static_cast<int64_t>(rng() % 21) - 10;
      for (bool negated : {false, true}) {
        std::fill(fast.begin(), fast.end(), 0xDEADBEEFDEADBEEFull);
        std::fill(slow.begin(), slow.end(), 0x1234567812345678ull);
        detail::int_range_to_mask(ints.data(), n, -3, 4, negated, fast.data());
        detail::int_range_to_mask_portable(ints.data(), n, -3, 4, negated, slow.data());
        for (size_t w = 0; w < words; ++w) {
          uint64_t rows = (w + 1) * 64 <= n ? ~uint64_t{0} : (uint64_t{1} << (n % 64)) - 1;
          ASSERT_EQ(fast[w] & rows, slow[w] & rows) << "ints, n=" << n << " word " << w;
        }
      }
    }
  }
}

TEST(Kernels, MaskedFillWritesExactlyTheSetRows) {
  // Random masks, sparse and dense; the rows owned end right after the highest set row (the
  // last vector of a batch), guarded by a canary that must survive.
  std::mt19937 rng(16);
  for (int round = 0; round < 4000; ++round) {
    uint64_t rows = (uint64_t{rng()} << 32) | rng();
    if (round % 3 == 0) rows &= (uint64_t{rng()} << 32) | rng();  // sparser
    if (round % 5 == 0) rows = round % 2 ? ~uint64_t{0} : uint64_t{0xFFFF} << (16 * (round % 4));
    size_t end = rows ? 64 - static_cast<size_t>(__builtin_clzll(rows)) : 0;
    std::vector<uint16_t> fast(end + 1), slow(end + 1);
    for (size_t i = 0; i <= end; ++i) fast[i] = slow[i] = static_cast<uint16_t>(1000 + i);
    fast[end] = slow[end] = 0xCAFE;  // canary just past the rows owned
    detail::masked_fill16(fast.data(), rows, 7, end);
    detail::masked_fill16_portable(slow.data(), rows, 7, end);
    ASSERT_EQ(fast, slow) << std::hex << rows;
    ASSERT_EQ(fast[end], 0xCAFE);
    // The paired fill writes both arrays exactly where the single one writes.
    std::vector<uint16_t> a(end + 1), b(end + 1);
    for (size_t i = 0; i <= end; ++i) {
      a[i] = static_cast<uint16_t>(1000 + i);
      b[i] = static_cast<uint16_t>(2000 + i);
    }
    a[end] = b[end] = 0xCAFE;
    std::vector<uint16_t> want_b = b;
    detail::masked_fill16_portable(want_b.data(), rows, 9, end);
    detail::masked_fill16_pair(a.data(), 7, b.data(), 9, rows, end);
    ASSERT_EQ(a, slow) << std::hex << rows;
    ASSERT_EQ(b, want_b) << std::hex << rows;
    std::vector<uint16_t> pa(end + 1, 1), pb(end + 1, 2), qa = pa, qb = pb;
    detail::masked_fill16_pair_portable(pa.data(), 7, pb.data(), 9, rows, end);
    detail::masked_fill16_pair(qa.data(), 7, qb.data(), 9, rows, end);
    ASSERT_EQ(pa, qa);
    ASSERT_EQ(pb, qb);
  }
}

TEST(Batch, EveryVectorTailLength) {
  // Batches of 1024 + k rows for every k of one 64-row word: the last vector's length takes
  // every value modulo 64 and 32, the steps of the column kernels.
  auto rules = load_ok(kSizeRules);
  ASSERT_TRUE(rules);
  for (size_t k = 1; k <= 64; ++k) {
    batch b(*rules);
    const size_t n = 1024 + k;
    for (size_t i = 0; i < n; ++i) {
      // The last row differs from all others in every column.
      bool last = i == n - 1;
      ASSERT_TRUE(b.add_record(
          {last ? "true" : "false", last ? "true" : "false", last ? "9" : "1", last ? "S" : "R"}));
    }
    classification c = rules->classify(b);
    ASSERT_EQ(c.outcome(0, n - 1), "AB") << "k=" << k;
    ASSERT_EQ(c.outcome(1, n - 1), "XY") << "k=" << k;
    ASSERT_EQ(c.outcome(0, n - 2), "U3") << "k=" << k;
    ASSERT_EQ(c.outcome(1, n - 2), "") << "k=" << k;
    for (size_t i = 1024; i < n; ++i) expect_agreement(*rules, b, c, i);
  }
}

// ---- differential: batch executor vs row interpreter on the 2009 rule set
// -------------------------

TEST(Differential, RandomRecordsOf2009AgreeWithExplain) {
  load_result loaded = rule_set::load(std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009");
  ASSERT_TRUE(loaded.ok()) << describe(loaded.diagnostics);
  const rule_set& rules = *loaded.rules;
  std::mt19937 rng(20091019);
  auto pick = [&](const std::vector<std::string>& options) {
    return options[rng() % options.size()];
  };
  // Values per field, boundary values included; "" is a missing value. customer_id and
  // customer_name are required, but a caller filling a batch cell by cell may leave them out.
  const std::map<std::string, std::vector<std::string>> values = {
      {"customer_id",
       {"C000197", "C000332", "C000201", "C000557", "C000585", "C000146", "C000678", "C000726",
        "C000192", "C000668", "C900001", "C123", ""}},
      {"customer_name",
       {"\xe5\x9b\xbd\xe7\xbe\x8e\xe7\x94\xb5\xe5\x99\xa8", "GOME shop", "gome", "Suning",
        "\xef\xbc\xa7\xef\xbc\xaf\xef\xbc\xad\xef\xbc\xa5",
        "\xe4\xba\x94\xe6\x98\x9f\xe7\x94\xb5\xe5\x99\xa8",
        "\xe4\xba\x94\xe6\x98\x9f\xe9\x80\x9a\xe8\xae\xaf",
        "\xe8\x8b\x8f\xe5\xae\x81\xe5\x9b\xbd\xe7\xbe\x8e", "\xe8\xbf\xaa\xe4\xbf\xa1\xe9\x80\x9a",
        "\xe4\xb9\x90\xe8\xaf\xad", "\xe5\xa4\xa7\xe4\xb8\xad\xe7\x94\xb5\xe5\x99\xa8", "some shop",
        " ", ""}},
      {"network", {"S", "W", "R", "R", "R", "O", ""}},
      {"market_tier", {"T1", "T2", "T3", "T4", "T5", "T6", ""}},
      {"local_rank", {"1", "2", "3", "4", "01", ""}},
      {"gsm_monthly_units", {"0", "499", "500", "0500", "501", "99999", ""}},
      {"se_permission", {"DRA", "dra", " DRA ", "DSA", ""}},
      {"coolpad_coop_months", {"0", "2", "3", "03", "36", ""}},
      {"coolpad_continuous_pickup",
       {"true", "false", "1", "0", "Y", "N", "\xe6\x98\xaf", "\xe5\x90\xa6", ""}},
      {"coolpad_avg_monthly_units",
       {"4.99", "4.9999999999999999", "5", "5.00", "5.0000000000000001", "12.5", "0", ""}},
      {"segment",
       {"it_retailer", "it_supplier", "tv_shopping", "tv_shopping_platform", "individual",
        "promoter_claim", "logistics_claim", "online", "group_buy", "other", ""}},
      {"operator", {"CMCC", "CU", "CT", ""}},
      {"operator_role",
       {"province_company", "city_company", "business_hall", "product_platform",
        "regional_platform", "city_platform", "service_platform", "fund_platform", "key_account",
        "procurement_platform", "partner_retailer", "contractor", ""}},
  };
  batch b(rules);
  ASSERT_EQ(b.field_count(), values.size());
  const size_t kRows = 20000;
  for (size_t i = 0; i < kRows; ++i) {
    size_t row = b.add_row();
    for (const auto& [name, options] : values) {
      size_t f = b.field(name);
      ASSERT_NE(f, batch::npos) << name;
      std::string why;
      ASSERT_TRUE(b.set_text(row, f, pick(options), &why)) << name << ": " << why;
    }
  }
  classification c = rules.classify(b);
  expect_agreement(rules, b, c);
  // The records really exercised the rule set: every output decision saw several outcomes
  // and rules, and missing data.
  for (size_t d : rules.output_decisions()) {
    std::set<std::string> outcomes, rule_ids;
    for (size_t row = 0; row < kRows; ++row) {
      outcomes.emplace(c.outcome(d, row));
      rule_ids.emplace(c.rule_id(d, row));
    }
    EXPECT_GE(outcomes.size(), 3u) << rules.decision_name(d);
    EXPECT_GE(rule_ids.size(), 3u) << rules.decision_name(d);
    EXPECT_GT(c.rows_with_missing(d), 0u) << rules.decision_name(d);
  }
}

}  // namespace
}  // namespace chanrules

namespace chanrules {
namespace {

// Missing fields are kept per row in 8, 16, 32 or 64k bits depending on how many fields the
// rule set has, and gathered as row masks laid out sparse or dense: every width, densities
// below and above the switch, and copies that inherit them, against explain().
TEST(MissingFields, EveryRowWidthAgreesWithExplain) {
  for (int fields : {5, 12, 20, 40, 70}) {
    SCOPED_TRACE("fields " + std::to_string(fields));
    std::string yaml = "chanrules: 1\nname: wide\nversion: \"1\"\nfields:\n";
    for (int f = 0; f < fields; ++f) yaml += "  f" + std::to_string(f) + ": {type: integer}\n";
    std::mt19937 rng(static_cast<unsigned>(fields));
    auto field = [&] { return "f" + std::to_string(rng() % static_cast<unsigned>(fields)); };
    yaml += "decisions:\n  inner:\n    output: false\n    rules:\n";
    for (int r = 0; r < 12; ++r)
      yaml += "      - {id: r" + std::to_string(r) + ", when: \"" + field() + " >= 5 and (" +
              field() + " < 3 or " + field() + " == 4)\", then: C" + std::to_string(r % 4) + "}\n";
    yaml += "    default: NONE\n  outer:\n    rules:\n";
    yaml += "      - {id: copy, when: \"" + field() + " >= 2\", then: {from: inner}}\n";
    yaml += "      - {id: mine, when: \"" + field() + " < 8\", then: MINE}\n";
    yaml += "    default: {from: inner}\n";
    load_result r = rule_set::load_string(yaml, "wide.yaml", ".");
    ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
    batch b(*r.rules);
    for (size_t row = 0; row < 5000; ++row) {
      b.add_row();
      // Some rows sparse in missing values, some dense.
      const unsigned missing_percent = row % 128 < 64 ? 5 : 60;
      for (int f = 0; f < fields; ++f) {
        if (rng() % 100 < missing_percent) continue;
        std::string why;
        ASSERT_TRUE(b.set_text(row, static_cast<size_t>(f), std::to_string(rng() % 10), &why))
            << why;
      }
    }
    classification c = r.rules->classify(b);
    expect_agreement(*r.rules, b, c);
    if (::testing::Test::HasFatalFailure()) return;
    size_t with_missing = 0;
    for (size_t row = 0; row < b.size(); ++row) with_missing += c.missing(1, row);
    EXPECT_GT(with_missing, 100u);
  }
}

}  // namespace
}  // namespace chanrules
