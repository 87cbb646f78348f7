// Tests of the hit policies `priority` and `collect` (with a list, count, min and max) through
// every stage: the diagnostics of the loader and checker, classify() against a reference
// written here row by row (three-valued conditions, missing fields, rule ids, defaults) over
// random records spanning several execution vectors, explain(), coverage, the analysis, and
// the tests kept in a rule set.
#include <chanrules/coverage.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chanrules/chanrules.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"

namespace chanrules {
namespace {

using chanrules::testing::at;
using chanrules::testing::describe;
using chanrules::testing::line_col;

const std::string kFields =
    "chanrules: 1\nname: hp\nversion: \"1\"\n"
    "fields:\n"
    "  id: {type: string}\n"
    "  a: {type: boolean}\n"
    "  b: {type: boolean}\n"
    "  c: {type: boolean}\n"
    "  units: {type: integer, min: 0}\n"
    "  tier: {type: enum, values: [T1, T2, T3, T4], ordered: true}\n";

size_t decision_index(const rule_set& rules, const std::string& name) {
  for (size_t d = 0; d < rules.decision_count(); ++d)
    if (rules.decision_name(d) == name) return d;
  ADD_FAILURE() << "no decision " << name;
  return 0;
}

// ---- diagnostics ------------------------------------------------------------------------------

struct want {
  std::string code;
  std::string marker;  // see testing::at()
  std::string message;
  std::string hint;
};

void expect_refused(const std::string& decisions, const std::vector<want>& expected) {
  const std::string yaml = kFields + decisions;
  load_result r = rule_set::load_string(yaml, "rs.yaml", ".");
  EXPECT_FALSE(r.ok());
  std::vector<diagnostic> errors;
  for (const diagnostic& d : r.diagnostics)
    if (d.level == severity::error) errors.push_back(d);
  ASSERT_EQ(errors.size(), expected.size()) << describe(r.diagnostics);
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(format(errors[i]));
    EXPECT_EQ(errors[i].code, expected[i].code);
    EXPECT_EQ(errors[i].message, expected[i].message);
    EXPECT_EQ(errors[i].hint, expected[i].hint);
    line_col pos = at(yaml, expected[i].marker);
    EXPECT_EQ(errors[i].location.line, pos.line);
    EXPECT_EQ(errors[i].location.column, pos.column);
  }
}

TEST(HitPolicy, UnknownPoliciesAndAggregates) {
  expect_refused("decisions:\n  d:\n    hit: best\n    rules:\n      - {id: r, when: a, then: X}\n",
                 {{"E-hit-policy", "hit: ^best", "unknown hit policy 'best'",
                   "write 'first' (the first rule that matches wins), 'unique' (at most one rule "
                   "may match, proven when the rule set is loaded), 'priority' (the matching "
                   "outcome listed first in 'outcomes' wins) or 'collect' (every matching "
                   "outcome)"}});
  expect_refused(
      "decisions:\n  d:\n    hit: collect\n    aggregate: sum\n    rules:\n"
      "      - {id: r, when: a, then: X}\n",
      {{"E-hit-policy", "aggregate: ^sum", "unknown aggregate 'sum'",
        "write 'count' (how many outcomes matched), 'min' or 'max' (the matching outcome listed "
        "first or last in 'outcomes'), or leave 'aggregate' out for the list of matching "
        "outcomes"}});
  expect_refused(
      "decisions:\n  d:\n    aggregate: count\n    rules:\n      - {id: r, when: a, then: X}\n",
      {{"E-hit-policy", "aggregate: ^count", "'aggregate' applies to 'hit: collect' only",
        "add 'hit: collect', or remove 'aggregate'"}});
}

TEST(HitPolicy, RankedDecisionsNeedDeclaredOutcomesAndConstants) {
  expect_refused(
      "decisions:\n  d:\n    hit: priority\n    rules:\n      - {id: r, when: a, then: X}\n",
      {{"E-hit-policy", "hit: ^priority",
        "'d' ranks its outcomes by their order in 'outcomes', which it does not declare",
        "list every outcome, best first: outcomes: [...]"}});
  expect_refused(
      "decisions:\n  d:\n    hit: collect\n    aggregate: max\n    rules:\n"
      "      - {id: r, when: a, then: X}\n",
      {{"E-hit-policy", "hit: ^collect",
        "'d' ranks its outcomes by their order in 'outcomes', which it does not declare",
        "list every outcome, best first: outcomes: [...]"}});
  expect_refused(
      "decisions:\n  d:\n    hit: priority\n    outcomes: [S, W, R, O]\n    rules:\n"
      "      - {id: r, when: a, then: {from: tier}}\n",
      {{"E-hit-policy", "from: ^tier",
        "a 'hit: priority' decision ranks constant outcomes; 'd' cannot take one 'from' tier",
        "write the outcome as a constant, or use 'hit: first'"}});
  expect_refused(
      "decisions:\n  d:\n    hit: priority\n    outcomes: [X, Y]\n    rules:\n"
      "      - {id: r, when: a, then: Z}\n",
      {{"E-outcome", "then: ^Z", "'Z' is not one of the declared outcomes of 'd'",
        "declared: X, Y"}});
}

TEST(HitPolicy, CollectingDecisionsRefuseWhatTheyCannotHold) {
  expect_refused(
      "decisions:\n  d:\n    hit: collect\n    rules:\n      - {id: r, when: a, then: {from: "
      "tier}}\n",
      {{"E-hit-policy", "from: ^tier",
        "a 'hit: collect' decision collects constant outcomes; 'd' cannot take one 'from' tier",
        "write the outcome as a constant, or use 'hit: first'"}});
  expect_refused(
      "decisions:\n  d:\n    hit: collect\n    aggregate: count\n    rules:\n"
      "      - {id: r, when: a, then: X}\n    default: NONE\n",
      {{"E-hit-policy", "default: ^NONE", "'d' counts its matching outcomes, so it has no default",
        "no matching rule gives the count 0; remove 'default'"}});
  std::string many = "decisions:\n  d:\n    hit: collect\n    rules:\n";
  for (int i = 0; i < 13; ++i)
    many += "      - {id: r" + std::to_string(i) + ", when: a, then: X" + std::to_string(i) + "}\n";
  expect_refused(many,
                 {{"E-limit", "hit: ^collect",
                   "'d' collects 13 distinct outcomes; 'hit: collect' takes at most 12",
                   "split it into several decisions, or count them with 'aggregate: count'"}});
  expect_refused(
      "decisions:\n  d:\n    hit: collect\n    rules:\n      - {id: r, when: a, then: \"X;Y\"}\n",
      {{"E-outcome", "  ^d:", "'X;Y' contains ';', which separates the outcomes that 'd' collects",
        "rename the outcome"}});
}

TEST(HitPolicy, ConditionsOnCollectedSetsAndCounts) {
  const std::string collect =
      "decisions:\n  s:\n    hit: collect\n    rules:\n"
      "      - {id: r1, when: a, then: X}\n      - {id: r2, when: b, then: Y}\n"
      "  n:\n    hit: collect\n    aggregate: count\n    rules:\n"
      "      - {id: r1, when: a, then: X}\n      - {id: r2, when: b, then: Y}\n";
  expect_refused(collect + "  e:\n    rules:\n      - {id: r, when: s == X, then: Z}\n",
                 {{"E-type", "when: ^s == X",
                   "'s' collects a set of outcomes (hit: collect); test it with 'contains'",
                   "e.g. s contains X"}});
  expect_refused(collect + "  e:\n    rules:\n      - {id: r, when: s contains Q, then: Z}\n",
                 {{"E-not-in-domain", "s contains ^Q", "'Q' is not an outcome that 's' collects",
                   "it collects: X, Y"}});
  expect_refused(collect + "  e:\n    rules:\n      - {id: r, when: tier contains T1, then: Z}\n",
                 {{"E-type", "when: ^tier contains",
                   "'contains' tests a decision that collects a set of outcomes (hit: collect); "
                   "'tier' is enum",
                   "compare it with == or in [...]"}});
  expect_refused(
      collect + "  e:\n    rules:\n      - {id: r, when: a, then: {from: s}}\n",
      {{"E-type", "from: ^s}", "'s' collects a set of outcomes, which 'from' cannot copy",
        "test it with 'contains' instead: when: s contains ..."}});
  expect_refused(collect + "  e:\n    rules:\n      - {id: r, when: n >= 3, then: Z}\n",
                 {{"E-not-in-domain", "n >= ^3", "'n' counts at most 2 outcomes, so it is never 3",
                   "its values are: 0, 1, 2"}});
  // What is allowed: contains, not contains, is missing, counts compared with numbers and
  // copied with `from`.
  load_result ok = rule_set::load_string(
      kFields + collect +
          "  e:\n    rules:\n"
          "      - {id: r1, when: s contains X and s not contains Y, then: ONLY-X}\n"
          "      - {id: r2, when: s is missing and n == 0, then: NONE}\n"
          "      - {id: r3, when: n between 1 and 2, then: {from: n}}\n",
      "rs.yaml", ".");
  EXPECT_TRUE(ok.ok()) << describe(ok.diagnostics);
}

TEST(HitPolicy, TestExpectationsOfSets) {
  const std::string yaml =
      kFields +
      "decisions:\n  s:\n    hit: collect\n    rules:\n"
      "      - {id: r1, when: a, then: X}\n      - {id: r2, when: b, then: Y}\n"
      "    default: NONE\n"
      "tests:\n"
      "  - name: order does not matter\n    record: {a: \"true\", b: \"true\"}\n"
      "    expect: {s: \"Y; X\"}\n"
      "  - name: the default\n    record: {a: \"false\", b: \"false\"}\n"
      "    expect: {s: NONE}\n    expect_rule: {s: default}\n"
      "  - name: one\n    record: {a: \"false\", b: \"true\"}\n"
      "    expect: {s: Y}\n    expect_rule: {s: r2}\n"
      "  - name: wrong on purpose\n    record: {a: \"true\", b: \"false\"}\n"
      "    expect: {s: X;Y}\n";
  load_result r = rule_set::load_string(yaml, "rs.yaml", ".");
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  std::vector<test_outcome> results = r.rules->run_tests();
  ASSERT_EQ(results.size(), 4u);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(results[i].failures.empty()) << results[i].name;
  ASSERT_EQ(results[3].failures.size(), 1u);
  EXPECT_EQ(results[3].failures[0], "s: expected X;Y, got X (rule r1)");

  expect_refused(
      "decisions:\n  s:\n    hit: collect\n    rules:\n      - {id: r1, when: a, then: X}\n"
      "tests:\n  - name: t\n    record: {a: \"true\"}\n    expect: {s: X;Q}\n",
      {{"E-not-in-domain", "{s: ^X;Q}", "'X;Q' is not an outcome of 's'",
        "write the outcomes it collects, ';'-separated: X"}});
}

// ---- classify against a reference -------------------------------------------------------------

enum class tv { f, t, u };

struct record {
  std::optional<bool> a, b, c;
  std::optional<int64_t> units;
  std::optional<int> tier;  // 1..4
};

tv both(tv x, tv y) {
  if (x == tv::f || y == tv::f) return tv::f;
  return x == tv::t && y == tv::t ? tv::t : tv::u;
}
tv flag(std::optional<bool> v) { return !v ? tv::u : *v ? tv::t : tv::f; }
tv units_at_least(const record& r, int64_t n) {
  return !r.units ? tv::u : *r.units >= n ? tv::t : tv::f;
}
tv tier_at_most(const record& r, int n) { return !r.tier ? tv::u : *r.tier <= n ? tv::t : tv::f; }

struct ref_rule {
  std::string id;
  std::string when;
  std::string then;
  std::function<tv(const record&)> holds;
  std::vector<std::string> fields;  // the fields its condition reads
};

bool is_missing(const record& r, const std::string& field) {
  if (field == "a") return !r.a;
  if (field == "b") return !r.b;
  if (field == "c") return !r.c;
  if (field == "units") return !r.units;
  return !r.tier;
}

struct expected {
  std::string outcome, rule;
  std::set<std::string> missing;
};

std::string yaml_of(const std::string& name, const std::string& head,
                    const std::vector<ref_rule>& rules, const std::string& tail) {
  std::string out = "  " + name + ":\n" + head + "    rules:\n";
  for (const ref_rule& r : rules)
    out += "      - {id: " + r.id + ", when: \"" + r.when + "\", then: " + r.then + "}\n";
  return out + tail;
}

// Ranked: the best-ranked outcome among the rules that hold; of its rules the first written.
// Missing fields: those of unknown rules ranked before the winner (ties: written before).
expected ranked(const std::vector<ref_rule>& rules, const std::vector<std::string>& order,
                const record& r, const std::string& fallback) {
  std::vector<size_t> chain(rules.size());
  for (size_t i = 0; i < chain.size(); ++i) chain[i] = i;
  auto rank = [&](size_t i) {
    return std::find(order.begin(), order.end(), rules[i].then) - order.begin();
  };
  std::stable_sort(chain.begin(), chain.end(),
                   [&](size_t x, size_t y) { return rank(x) < rank(y); });
  expected e;
  for (size_t i : chain) {
    tv v = rules[i].holds(r);
    if (v == tv::u)
      for (const std::string& f : rules[i].fields)
        if (is_missing(r, f)) e.missing.insert(f);
    if (v == tv::t) {
      e.outcome = rules[i].then;
      e.rule = rules[i].id;
      return e;
    }
  }
  if (!fallback.empty()) {
    e.outcome = fallback;
    e.rule = "default";
  }
  return e;
}

// Collected: every rule that holds; the set in item order, or its size.
expected gathered(const std::vector<ref_rule>& rules, const std::vector<std::string>& items,
                  const record& r, bool count, const std::string& fallback) {
  expected e;
  std::set<size_t> got;
  for (const ref_rule& rule : rules) {
    tv v = rule.holds(r);
    if (v == tv::u)
      for (const std::string& f : rule.fields)
        if (is_missing(r, f)) e.missing.insert(f);
    if (v == tv::t) {
      got.insert(
          static_cast<size_t>(std::find(items.begin(), items.end(), rule.then) - items.begin()));
      if (e.rule.empty()) e.rule = rule.id;
    }
  }
  if (count) {
    e.outcome = std::to_string(got.size());
    return e;
  }
  for (size_t i : got) e.outcome += (e.outcome.empty() ? "" : ";") + items[i];
  if (got.empty() && !fallback.empty()) {
    e.outcome = fallback;
    e.rule = "default";
  }
  return e;
}

class Classify : public ::testing::Test {
 protected:
  const std::vector<ref_rule> level_rules = {
      {"bronze",
       "units >= 10",
       "BRONZE",
       [](const record& r) { return units_at_least(r, 10); },
       {"units"}},
      {"silver",
       "units >= 100 and a",
       "SILVER",
       [](const record& r) { return both(units_at_least(r, 100), flag(r.a)); },
       {"units", "a"}},
      {"gold", "tier <= T2", "GOLD", [](const record& r) { return tier_at_most(r, 2); }, {"tier"}},
      {"silver-b", "b", "SILVER", [](const record& r) { return flag(r.b); }, {"b"}},
  };
  const std::vector<std::string> level_order = {"GOLD", "SILVER", "BRONZE", "NONE"};
  const std::vector<ref_rule> brand_rules = {
      {"ra", "a", "A", [](const record& r) { return flag(r.a); }, {"a"}},
      {"rc", "c", "C", [](const record& r) { return flag(r.c); }, {"c"}},
      {"rb", "b", "B", [](const record& r) { return flag(r.b); }, {"b"}},
      {"big-a",
       "units >= 500",
       "A",
       [](const record& r) { return units_at_least(r, 500); },
       {"units"}},
  };
  const std::vector<std::string> brand_items = {"A", "C", "B"};
  const std::vector<ref_rule> band_rules = {
      {"low", "units >= 0", "LOW", [](const record& r) { return units_at_least(r, 0); }, {"units"}},
      {"mid",
       "a and units >= 50",
       "MID",
       [](const record& r) { return both(flag(r.a), units_at_least(r, 50)); },
       {"a", "units"}},
      {"high", "tier <= T1", "HIGH", [](const record& r) { return tier_at_most(r, 1); }, {"tier"}},
  };
  const std::vector<std::string> band_order = {"LOW", "MID", "HIGH"};

  std::string yaml() const {
    return kFields + "decisions:\n" +
           yaml_of("level", "    hit: priority\n    outcomes: [GOLD, SILVER, BRONZE, NONE]\n",
                   level_rules, "    default: NONE\n") +
           yaml_of("brands", "    hit: collect\n", brand_rules, "    default: NONE\n") +
           yaml_of("brand_count", "    hit: collect\n    aggregate: count\n", brand_rules, "") +
           yaml_of("band_max",
                   "    hit: collect\n    aggregate: max\n    outcomes: [LOW, MID, HIGH]\n",
                   band_rules, "") +
           yaml_of("band_min",
                   "    hit: collect\n    aggregate: min\n    outcomes: [LOW, MID, HIGH]\n",
                   band_rules, "") +
           "  uses:\n    rules:\n"
           "      - {id: two-with-a, when: brands contains A and brand_count >= 2, then: AA}\n"
           "      - {id: c-only, when: brands contains C and brand_count == 1, then: C}\n"
           "      - {id: none, when: brand_count == 0, then: ZERO}\n"
           "    default: OTHER\n";
  }

  std::map<std::string, expected> reference(const record& r) const {
    std::map<std::string, expected> out;
    out["level"] = ranked(level_rules, level_order, r, "NONE");
    out["brands"] = gathered(brand_rules, brand_items, r, false, "NONE");
    out["brand_count"] = gathered(brand_rules, brand_items, r, true, "");
    out["band_max"] = ranked(band_rules, {"HIGH", "MID", "LOW"}, r, "");
    out["band_min"] = ranked(band_rules, band_order, r, "");
    // `uses` reads the values of brands and brand_count, which are never unknown.
    const std::string& set = out["brands"].outcome;
    const size_t n = std::stoul(out["brand_count"].outcome);
    auto has = [&](const std::string& item) {
      for (size_t b = 0, e; b <= set.size(); b = e + 1) {
        e = std::min(set.find(';', b), set.size());
        if (set.substr(b, e - b) == item) return true;
      }
      return false;
    };
    expected u;
    if (has("A") && n >= 2) {
      u = {"AA", "two-with-a", {}};
    } else if (has("C") && n == 1) {
      u = {"C", "c-only", {}};
    } else if (n == 0) {
      u = {"ZERO", "none", {}};
    } else {
      u = {"OTHER", "default", {}};
    }
    out["uses"] = u;
    return out;
  }
};

std::string text_of(std::optional<bool> v) { return !v ? "" : *v ? "true" : "false"; }

TEST_F(Classify, RandomRecordsMatchTheReference) {
  load_result loaded = rule_set::load_string(yaml(), "rs.yaml", ".");
  ASSERT_TRUE(loaded.ok()) << describe(loaded.diagnostics);
  const rule_set& rules = *loaded.rules;
  std::mt19937 rng(11);
  const std::array<int64_t, 9> units = {0, 9, 10, 49, 50, 99, 100, 499, 500};
  std::vector<record> records;
  batch b(rules);
  // Three vectors and a tail: 4096-row vectors (the default), crossed twice.
  for (size_t i = 0; i < 9000; ++i) {
    record r;
    auto pick_flag = [&]() -> std::optional<bool> {
      unsigned x = rng() % 5;
      return x == 0 ? std::nullopt : std::optional<bool>(x % 2 == 1);
    };
    r.a = pick_flag();
    r.b = pick_flag();
    r.c = pick_flag();
    if (rng() % 6) r.units = units[rng() % units.size()];
    if (rng() % 6) r.tier = static_cast<int>(1 + rng() % 4);
    size_t row = b.add_row();
    std::string why;
    auto set = [&](const char* f, const std::string& text) {
      if (!text.empty()) ASSERT_TRUE(b.set_text(row, b.field(f), text, &why)) << why;
    };
    set("id", "C" + std::to_string(i));
    set("a", text_of(r.a));
    set("b", text_of(r.b));
    set("c", text_of(r.c));
    set("units", r.units ? std::to_string(*r.units) : "");
    set("tier", r.tier ? "T" + std::to_string(*r.tier) : "");
    records.push_back(r);
  }
  classification c = rules.classify(b);
  std::map<std::string, std::set<std::string>> seen;  // decision -> outcomes met
  for (size_t row = 0; row < records.size(); ++row) {
    auto want = reference(records[row]);
    explanation e = rules.explain(b, row);
    for (const auto& [name, w] : want) {
      SCOPED_TRACE("row " + std::to_string(row) + ", decision " + name + "\n" + e.to_text());
      size_t d = decision_index(rules, name);
      ASSERT_EQ(std::string(c.outcome(d, row)), w.outcome);
      ASSERT_EQ(std::string(c.rule_id(d, row)), w.rule);
      std::set<std::string> missing;
      for (auto f : c.missing_fields(d, row)) missing.emplace(f);
      ASSERT_EQ(missing, w.missing);
      // explain() says the same.
      auto it = std::find_if(e.decisions.begin(), e.decisions.end(),
                             [&](const explanation::decision_trace& t) { return t.name == name; });
      ASSERT_NE(it, e.decisions.end());
      ASSERT_EQ(it->outcome, w.outcome);
      ASSERT_EQ(it->rule_id, w.rule);
      ASSERT_EQ(std::set<std::string>(it->missing_fields.begin(), it->missing_fields.end()),
                w.missing);
      seen[name].insert(w.outcome);
    }
  }
  // The records reached every kind of value (so the comparison meant something).
  EXPECT_EQ(seen["level"], (std::set<std::string>{"GOLD", "SILVER", "BRONZE", "NONE"}));
  EXPECT_EQ(seen["brand_count"], (std::set<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(seen["brands"].size(), 8u);  // the 7 non-empty sets and NONE
  EXPECT_EQ(seen["band_max"], (std::set<std::string>{"", "LOW", "MID", "HIGH"}));
  EXPECT_EQ(seen["uses"], (std::set<std::string>{"AA", "C", "ZERO", "OTHER"}));
}

TEST_F(Classify, ExplainShowsHowEachPolicyTriedItsRules) {
  load_result loaded = rule_set::load_string(yaml(), "rs.yaml", ".");
  ASSERT_TRUE(loaded.ok()) << describe(loaded.diagnostics);
  explanation e =
      loaded.rules->explain({{"a", "true"}, {"b", "true"}, {"units", "120"}, {"tier", "T3"}});
  std::string text = e.to_text();
  // Priority: GOLD's rule first, then SILVER's rules in written order; silver fires.
  EXPECT_NE(text.find("level = SILVER  [rule silver]\n"
                      "  (hit: priority: rules tried by the rank of their outcome)\n"
                      "    gold: false  (tier <= T2)\n"),
            std::string::npos)
      << text;
  // Collect: every rule tried, each that holds marked; c is missing.
  EXPECT_NE(text.find("brands = A;B  [rule ra]  missing: c\n"
                      "  (hit: collect: every rule tried; * marks each that holds)\n"
                      "  * ra: true  (a)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  * rb: true  (b)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    big-a: false  (units >= 500)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("brand_count = 2  [rule ra]  missing: c\n"), std::string::npos) << text;
  EXPECT_NE(text.find("band_max = MID  [rule mid]\n  (hit: collect max: rules tried by the rank"),
            std::string::npos)
      << text;
  std::string json = e.to_json();
  EXPECT_NE(json.find("\"name\":\"level\",\"outcome\":\"SILVER\",\"rule\":\"silver\","
                      "\"hit\":\"priority\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"name\":\"uses\",\"outcome\":\"AA\",\"rule\":\"two-with-a\",\"missing\""),
            std::string::npos)
      << json;
}

TEST_F(Classify, CoverageCountsEveryCollectedRuleAsWon) {
  load_result loaded = rule_set::load_string(yaml(), "rs.yaml", ".");
  ASSERT_TRUE(loaded.ok()) << describe(loaded.diagnostics);
  const rule_set& rules = *loaded.rules;
  batch b(rules);
  // a+b, a only, b+units 500 (A twice: ra and big-a), nothing.
  const std::vector<std::map<std::string, std::string>> rows = {
      {{"a", "true"}, {"b", "true"}, {"units", "120"}, {"tier", "T3"}},
      {{"a", "true"}, {"b", "false"}, {"units", "5"}, {"tier", "T1"}},
      {{"a", "false"}, {"b", "true"}, {"units", "500"}, {"tier", "T2"}},
      {{"a", "false"}, {"b", "false"}, {"c", "false"}, {"units", "0"}, {"tier", "T4"}},
  };
  for (const auto& values : rows) {
    size_t row = b.add_row();
    for (const auto& [name, text] : values) {
      std::string why;
      ASSERT_TRUE(b.set_text(row, b.field(name), text, &why)) << why;
    }
  }
  classification c = rules.classify(b);
  coverage cov(rules);
  cov.add(b, c);
  auto rule_of = [&](const std::string& decision, const std::string& id) {
    for (const auto& d : cov.decisions())
      if (d.name == decision)
        for (const auto& r : d.rules)
          if (r.id == id) return r;
    ADD_FAILURE() << decision << "." << id;
    return rule_coverage{};
  };
  // Collected: won == matched, for every rule (A counts once per row in the value but both
  // rules that give it are counted).
  EXPECT_EQ(rule_of("brands", "ra").matched, 2u);
  EXPECT_EQ(rule_of("brands", "ra").won, 2u);
  EXPECT_EQ(rule_of("brands", "rb").won, 2u);
  EXPECT_EQ(rule_of("brands", "big-a").won, 1u);
  EXPECT_EQ(rule_of("brands", "rc").matched, 0u);
  // Priority: row 1 silver (units 120, a), row 2 gold (T1), row 3 gold (T2), row 4 nothing.
  EXPECT_EQ(rule_of("level", "gold").won, 2u);
  EXPECT_EQ(rule_of("level", "silver").won, 1u);
  EXPECT_EQ(rule_of("level", "silver-b").matched, 2u);
  EXPECT_EQ(rule_of("level", "silver-b").won, 0u);
  EXPECT_EQ(rule_of("level", "bronze").matched, 2u);
  EXPECT_EQ(rule_of("level", "bronze").won, 0u);
  for (const auto& d : cov.decisions()) {
    if (d.name == "level") EXPECT_EQ(d.by_default, 1u);
    if (d.name == "brands") EXPECT_EQ(d.by_default, 1u);
  }
}

// ---- analysis ---------------------------------------------------------------------------------

std::vector<analysis_finding> analyze(const std::string& decisions) {
  load_result r = rule_set::load_string(kFields + decisions, "rs.yaml", ".");
  EXPECT_TRUE(r.ok()) << describe(r.diagnostics);
  if (!r.ok()) return {};
  return r.rules->analyze();
}

TEST(HitPolicyAnalysis, ARuleOutrankedOnEveryRecordIsUnreachable) {
  // Under priority, `silver` is written first but every record it matches also meets `gold`,
  // whose outcome ranks higher.
  auto findings = analyze(
      "decisions:\n  d:\n    hit: priority\n    outcomes: [GOLD, SILVER]\n    rules:\n"
      "      - {id: silver, when: units >= 100 and tier <= T2, then: SILVER}\n"
      "      - {id: gold, when: tier <= T2, then: GOLD}\n"
      "      - {id: silver-too, when: units >= 100, then: SILVER}\n");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].diag.code, "W-unreachable");
  EXPECT_EQ(findings[0].rule_id, "silver");
  EXPECT_EQ(findings[0].other_rule_ids, (std::vector<std::string>{"gold"}));
  EXPECT_EQ(findings[0].diag.message,
            "rule 'silver' of 'd' can never fire: every record it matches is decided by "
            "better-ranked outcomes of 'gold'");
}

TEST(HitPolicyAnalysis, CollectedRulesAreNeverShadowedOnlyImpossible) {
  // The second rule's records all meet the first, which would shadow it under `first`; under
  // collect both contribute. The third can never hold.
  auto findings = analyze(
      "decisions:\n  d:\n    hit: collect\n    rules:\n"
      "      - {id: wide, when: units >= 10, then: X}\n"
      "      - {id: narrow, when: units >= 100, then: Y}\n"
      "      - {id: never, when: units >= 100 and units < 50, then: Z}\n");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule_id, "never");
  EXPECT_EQ(findings[0].diag.message,
            "rule 'never' of 'd' can never fire: its condition is never true");
}

TEST(HitPolicyAnalysis, ACompleteCountWithAGapIsRefusedWithAnExample) {
  const std::string yaml =
      kFields +
      "decisions:\n  n:\n    hit: collect\n    aggregate: count\n    complete: true\n"
      "    rules:\n      - {id: a, when: a, then: A}\n      - {id: t, when: tier <= T2, then: T}\n";
  load_result r = rule_set::load_string(yaml, "rs.yaml", ".");
  ASSERT_FALSE(r.ok());
  std::vector<diagnostic> errors;
  for (const diagnostic& d : r.diagnostics)
    if (d.level == severity::error) errors.push_back(d);
  ASSERT_EQ(errors.size(), 1u) << describe(r.diagnostics);
  EXPECT_EQ(errors[0].code, "E-gap");
  EXPECT_EQ(errors[0].message,
            "decision 'n' is declared complete, but a record meets none of its rules");
  EXPECT_EQ(errors[0].hint, "for example a=false, tier=T3; add a rule for such records");
  // A decision that tests the count sees it exactly: a record meeting both rules counts 2.
  load_result ok = rule_set::load_string(
      kFields +
          "decisions:\n  n:\n    hit: collect\n    aggregate: count\n    output: false\n"
          "    rules:\n      - {id: a, when: a, then: A}\n      - {id: t, when: tier <= T2, then: "
          "T}\n"
          "  e:\n    rules:\n      - {id: two, when: n == 2, then: BOTH}\n"
          "      - {id: never, when: n == 2 and not a, then: X}\n",
      "rs.yaml", ".");
  ASSERT_TRUE(ok.ok()) << describe(ok.diagnostics);
  auto findings = ok.rules->analyze();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule_id, "never");
}

}  // namespace
}  // namespace chanrules
