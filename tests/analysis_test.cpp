// Analysis stage: rule sets that plant each defect, the exact diagnostic, and counter-examples
// that are checked by classifying them (explain() is the independent row interpreter).
#include "analysis/analysis.h"

#include <chanrules/chanrules.hpp>
#include <filesystem>
#include <fstream>

#include "test_support.h"

namespace chanrules {
namespace {

using testing::at;
using testing::describe;

const std::string kFields = R"(chanrules: 1
name: planted
version: "1"
fields:
  id: {type: string, required: true}
  name: {type: string}
  network: {type: enum, values: [S, W, R, O], required: true}
  tier: {type: enum, values: [T1, T2, T3, T4, T5, T6], ordered: true}
  rank: {type: integer, min: 1}
  units: {type: integer, min: 0}
  score: {type: decimal}
named_sets:
  account:
    field: name
    match: contains
    entries:
      - {key: GOME, aliases: [国美, GOME]}
      - {key: SUNING, aliases: [苏宁]}
decisions:
)";

// Loads without proving contracts, so that analyze() can report them with examples.
std::shared_ptr<const rule_set> load_unproven(const std::string& yaml,
                                              const std::string& base = ".") {
  load_options options;
  options.prove_contracts = false;
  load_result r = rule_set::load_string(yaml, "planted.yaml", base, options);
  EXPECT_TRUE(r.ok()) << describe(r.diagnostics);
  return r.rules;
}

std::string findings_text(const std::vector<analysis_finding>& findings) {
  std::string out;
  for (const auto& f : findings) out += format(f.diag);
  return out.empty() ? "(no findings)" : out;
}

const explanation::decision_trace* trace_of(const explanation& e, const std::string& decision) {
  for (const auto& d : e.decisions)
    if (d.name == decision) return &d;
  return nullptr;
}

// The rule of `decision` that fires for `record`, through the row interpreter.
std::string fired(const rule_set& rules, const std::map<std::string, std::string>& record,
                  const std::string& decision) {
  explanation e = rules.explain(record);
  EXPECT_TRUE(e.problems.empty()) << e.to_text();
  const auto* d = trace_of(e, decision);
  return d ? d->rule_id : "(decision not evaluated)";
}

TEST(Analysis, RuleShadowedByAnEarlierRuleOverOrderedTiers) {
  const std::string yaml = kFields + R"(  klass:
    rules:
      - id: big
        when: tier <= T3 and rank <= 3
        then: KA
      - id: mid
        when: tier <= T2 and rank <= 2
        then: KB
    default: DSA
)";
  auto rules = load_unproven(yaml);
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  const analysis_finding& f = findings[0];
  EXPECT_EQ(f.kind, "unreachable");
  EXPECT_EQ(f.decision, "klass");
  EXPECT_EQ(f.rule_id, "mid");
  EXPECT_EQ(f.other_rule_ids, std::vector<std::string>{"big"});
  EXPECT_EQ(f.diag.code, "W-unreachable");
  EXPECT_EQ(f.diag.level, severity::warning);
  EXPECT_EQ(f.diag.message,
            "rule 'mid' of 'klass' can never fire: every record it matches is decided earlier "
            "by 'big'");
  EXPECT_EQ(f.diag.hint, "reorder the rules, narrow the earlier ones, or remove this rule");
  auto pos = at(yaml, "- id: ^mid");
  EXPECT_EQ(f.diag.location.line, pos.line);
  EXPECT_EQ(f.diag.location.column, pos.column);
  EXPECT_EQ(f.diag.caret_length, 3u);
}

TEST(Analysis, OneTierOrOneRankBeyondTheEarlierRuleIsReachable) {
  // T4 (tier boundary) and rank 4 (rank boundary) are outside 'big': each later rule has
  // records of its own, and the witness the analysis finds for it really fires it.
  for (const char* when : {"tier <= T4 and rank <= 2", "tier <= T2 and rank <= 4"}) {
    const std::string yaml = kFields + R"(  klass:
    rules:
      - id: big
        when: tier <= T3 and rank <= 3
        then: KA
      - id: mid
        when: )" + when + R"(
        then: KB
    default: DSA
)";
    auto rules = load_unproven(yaml);
    ASSERT_TRUE(rules);
    EXPECT_TRUE(rules->analyze().empty()) << when << "\n" << findings_text(rules->analyze());
    auto witnesses = detail::rule_witnesses(*rules->program(), {});
    ASSERT_TRUE(witnesses[0][1].has_value()) << when;
    std::map<std::string, std::string> record(witnesses[0][1]->begin(), witnesses[0][1]->end());
    EXPECT_EQ(fired(*rules, record, "klass"), "mid") << when;
    // The boundary value itself: T4, or rank 4.
    if (std::string(when).find("T4") != std::string::npos) {
      EXPECT_EQ(record["tier"], "T4");
    } else {
      EXPECT_EQ(record["rank"], "4");
    }
  }
}

TEST(Analysis, ConditionThatIsNeverTrue) {
  const std::string yaml = kFields + R"(  klass:
    rules:
      - id: never
        when: rank < 2 and rank > 5
        then: KC
      - id: fine
        when: units >= 500
        then: VOL
)";
  auto rules = load_unproven(yaml);
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].rule_id, "never");
  EXPECT_TRUE(findings[0].other_rule_ids.empty());
  EXPECT_EQ(findings[0].diag.message,
            "rule 'never' of 'klass' can never fire: its condition is never true");
  EXPECT_EQ(findings[0].diag.hint,
            "the condition contradicts itself or the fields' declared ranges");
}

TEST(Analysis, DeclaredRangesCount) {
  // rank has min 1: `rank < 1` is never true.
  auto rules = load_unproven(kFields + R"(  klass:
    rules:
      - id: below
        when: rank < 1
        then: X
)");
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].rule_id, "below");
}

TEST(Analysis, RuleThatNeverHasAValueToCopy) {
  auto rules = load_unproven(kFields + R"(  klass:
    rules:
      - id: copy
        when: account is missing
        then: {from: account}
)");
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].diag.message,
            "rule 'copy' of 'klass' can never fire: whenever its condition holds, 'account' has "
            "no value to copy");
}

TEST(Analysis, OverlapUnderUniqueWithMissingValues) {
  // Both rules hold only when tier and rank are both missing.
  const std::string body = R"(  klass:
    hit: unique
    rules:
      - id: no-tier
        when: tier is missing and units >= 500
        then: A
      - id: no-rank
        when: rank is missing and (tier == T1 or tier is missing)
        then: B
)";
  auto rules = load_unproven(kFields + body);
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  const analysis_finding& f = findings[0];
  EXPECT_EQ(f.kind, "overlap");
  EXPECT_EQ(f.rule_id, "no-rank");
  EXPECT_EQ(f.other_rule_ids, std::vector<std::string>{"no-tier"});
  EXPECT_EQ(f.diag.code, "E-overlap");
  EXPECT_EQ(f.diag.level, severity::error);
  EXPECT_EQ(f.diag.message,
            "rules 'no-tier' and 'no-rank' of 'klass' can both match one record, but the decision "
            "is declared 'hit: unique'");
  EXPECT_EQ(f.diag.hint,
            "for example id=x, network=S, tier missing, rank missing, units=500; make the "
            "conditions exclusive, or use 'hit: first'");
  EXPECT_EQ(f.example.at("tier"), "");
  EXPECT_EQ(f.example.at("rank"), "");
  EXPECT_EQ(f.example.at("units"), "500");
  EXPECT_TRUE(f.example_verified);
  // Independently: the first rule fires for the example, and without it the second does.
  EXPECT_EQ(fired(*rules, f.example, "klass"), "no-tier");
  std::string without_first = kFields + R"(  klass:
    rules:
      - id: no-rank
        when: rank is missing and (tier == T1 or tier is missing)
        then: B
)";
  auto second_only = load_unproven(without_first);
  ASSERT_TRUE(second_only);
  EXPECT_EQ(fired(*second_only, f.example, "klass"), "no-rank");
}

TEST(Analysis, LoadingRefusesABrokenContract) {
  const std::string yaml = kFields + R"(  klass:
    hit: unique
    complete: true
    rules:
      - id: top
        when: tier <= T3
        then: A
      - id: low
        when: tier >= T3
        then: B
)";
  load_result r = rule_set::load_string(yaml, "planted.yaml");
  EXPECT_FALSE(r.ok());
  std::vector<diagnostic> errors;
  for (const auto& d : r.diagnostics)
    if (d.level == severity::error) errors.push_back(d);
  ASSERT_EQ(errors.size(), 2u) << describe(r.diagnostics);
  const diagnostic& gap = errors[0];
  EXPECT_EQ(gap.code, "E-gap");
  EXPECT_EQ(gap.message,
            "decision 'klass' is declared complete, but a record meets none of its rules");
  EXPECT_EQ(gap.hint, "for example id=x, network=S, tier missing; add a rule for such records");
  EXPECT_EQ(gap.location.line, at(yaml, "  ^klass:").line);
  const diagnostic& overlap = errors[1];
  EXPECT_EQ(overlap.code, "E-overlap");
  EXPECT_EQ(overlap.hint,
            "for example id=x, network=S, tier=T3; make the conditions exclusive, or use 'hit: "
            "first'");
  auto pos = at(yaml, "- id: ^low");
  EXPECT_EQ(overlap.location.line, pos.line);
  EXPECT_EQ(overlap.location.column, pos.column);
}

TEST(Analysis, GapUnderCompleteFindsTheBoundaryValue) {
  struct gap_case {
    const char* rules;
    const char* field;
    const char* value;
  };
  const gap_case cases[] = {
      // T4 is neither T3-or-higher nor T5-or-lower.
      {"      - {id: hi, when: tier <= T3, then: A}\n"
       "      - {id: lo, when: tier >= T5 or tier is missing, then: B}\n",
       "tier", "T4"},
      // 499 is neither >= 500 nor <= 498.
      {"      - {id: hi, when: units >= 500 or units is missing, then: A}\n"
       "      - {id: lo, when: units <= 498, then: B}\n",
       "units", "499"},
      // Exactly 4.5 is neither above nor below it.
      {"      - {id: hi, when: score > 4.5 or score is missing, then: A}\n"
       "      - {id: lo, when: score < 4.5, then: B}\n",
       "score", "4.5"},
      // A missing tier is neither.
      {"      - {id: hi, when: tier <= T3, then: A}\n"
       "      - {id: lo, when: tier >= T4, then: B}\n",
       "tier", ""},
  };
  for (const gap_case& c : cases) {
    const std::string yaml =
        kFields + "  klass:\n    complete: true\n    rules:\n" + c.rules + "    default: NONE\n";
    auto rules = load_unproven(yaml);
    ASSERT_TRUE(rules);
    auto findings = rules->analyze();
    ASSERT_EQ(findings.size(), 1u) << c.rules << findings_text(findings);
    const analysis_finding& f = findings[0];
    EXPECT_EQ(f.kind, "gap");
    EXPECT_EQ(f.diag.message,
              "decision 'klass' is declared complete, but a record meets none of its rules and "
              "gets the default");
    EXPECT_EQ(f.example.at(c.field), c.value) << c.rules;
    EXPECT_TRUE(f.example_verified);
    EXPECT_EQ(fired(*rules, f.example, "klass"), "default") << c.rules;
  }
}

TEST(Analysis, ProvenContractsLoadAndReportNothing) {
  const std::string yaml = kFields + R"(  klass:
    hit: unique
    complete: true
    rules:
      - {id: hi, when: tier <= T3, then: A}
      - {id: lo, when: tier >= T4, then: B}
      - {id: none, when: tier is missing, then: C}
)";
  load_result r = rule_set::load_string(yaml, "planted.yaml");
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  EXPECT_TRUE(r.rules->analyze().empty()) << findings_text(r.rules->analyze());
}

TEST(Analysis, DefaultThatIsNeverUsed) {
  const std::string yaml = kFields + R"(  klass:
    rules:
      - {id: hi, when: tier <= T3, then: A}
      - {id: lo, when: not (tier <= T3), then: B}
      - {id: none, when: tier is missing, then: C}
    default: D
)";
  auto rules = load_unproven(yaml);
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].kind, "unused-default");
  EXPECT_EQ(findings[0].diag.code, "W-unused-default");
  EXPECT_EQ(findings[0].diag.message,
            "the default of 'klass' is never used: its rules decide every record");
}

TEST(Analysis, DecisionsThatReferToEachOtherAreReasonedThrough) {
  // 'top' is HI only for T1-T3, so 'odd' (HI and T4 or lower) never holds.
  auto rules = load_unproven(kFields + R"(  top:
    output: false
    rules:
      - {id: hi, when: tier <= T3, then: HI}
    default: LO
  klass:
    rules:
      - {id: odd, when: top == HI and tier >= T4, then: X}
      - {id: ok, when: top == HI and rank <= 3, then: Y}
)");
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].rule_id, "odd");
  EXPECT_EQ(findings[0].diag.message,
            "rule 'odd' of 'klass' can never fire: its condition is never true");
}

class AnalysisLists : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("chanrules_analysis_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    // C1 is SKA and MRA; C2 is RKA and KRA; C3 is SKA only. No customer is SKA and KRA.
    std::ofstream(dir_ / "a.csv") << "id,class\nC1,SKA\nC2,RKA\nC3,SKA\n";
    std::ofstream(dir_ / "b.csv") << "id,class\nC1,MRA\nC2,KRA\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(AnalysisLists, CombinationsOfListValuesAreExact) {
  const std::string yaml = kFields + R"(  klass:
    rules:
      - {id: both-ska-kra, when: a == SKA and b == KRA, then: X}
      - {id: both-ska-mra, when: a == SKA and b == MRA, then: Y}
      - {id: ska-only, when: a == SKA and b is missing, then: Z}
)";
  std::string with_lists = yaml;
  with_lists.replace(with_lists.find("named_sets:"), 0,
                     "lists:\n  a: {file: a.csv, key: id, value: class, values: [SKA, RKA]}\n"
                     "  b: {file: b.csv, key: id, value: class, values: [MRA, KRA]}\n");
  auto rules = load_unproven(with_lists, dir_.string());
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].rule_id, "both-ska-kra");
  EXPECT_EQ(findings[0].diag.message,
            "rule 'both-ska-kra' of 'klass' can never fire: its condition is never true");
  auto witnesses = detail::rule_witnesses(*rules->program(), {});
  ASSERT_TRUE(witnesses[0][1] && witnesses[0][2]);
  std::map<std::string, std::string> mra(witnesses[0][1]->begin(), witnesses[0][1]->end());
  std::map<std::string, std::string> only(witnesses[0][2]->begin(), witnesses[0][2]->end());
  EXPECT_EQ(mra["id"], "C1");
  EXPECT_EQ(only["id"], "C3");
  EXPECT_EQ(fired(*rules, mra, "klass"), "both-ska-mra");
  EXPECT_EQ(fired(*rules, only, "klass"), "ska-only");
}

TEST(Analysis, NamedSetTieOrderIsExact) {
  // An entry whose every alias contains an earlier entry's alias can never be selected.
  auto rules = load_unproven(R"(chanrules: 1
name: ties
version: "1"
fields:
  name: {type: string, required: true}
named_sets:
  account:
    field: name
    match: contains
    entries:
      - {key: FIVE, aliases: [五星]}
      - {key: FIVE_SHOP, aliases: [五星电器]}
decisions:
  klass:
    rules:
      - {id: five, when: account == FIVE, then: A}
      - {id: shop, when: account == FIVE_SHOP, then: B}
)");
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].rule_id, "shop");
}

TEST(Analysis, CannotDecideWithinTheStepLimit) {
  auto rules = load_unproven(kFields + R"(  klass:
    rules:
      - {id: a, when: tier <= T3 and rank <= 3 and units >= 500, then: A}
)");
  ASSERT_TRUE(rules);
  analysis_options options;
  options.max_steps = 2;
  options.samples = 0;  // no random records: the search alone
  options.aimed_samples = 0;
  auto findings = rules->analyze(options);
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].kind, "undecided");
  // With the random records (the default), the rule is reached without any search: by the
  // uniform draws, or by one draw aimed at it.
  options.samples = 4096;
  EXPECT_TRUE(rules->analyze(options).empty());
  options.samples = 0;
  options.aimed_samples = 1;
  EXPECT_TRUE(rules->analyze(options).empty());
  options.aimed_samples = 0;
  findings = rules->analyze(options);
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].kind, "undecided");
  EXPECT_EQ(findings[0].diag.code, "W-undecided");
  EXPECT_EQ(findings[0].diag.message,
            "cannot decide whether it can fire for rule 'a' of 'klass' within 2 search steps");
}

TEST(Analysis, TheShippedStandardHasNoFindings) {
  load_result r = rule_set::load(CHANRULES_SOURCE_DIR "/rules/channel-2009");
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  EXPECT_TRUE(r.rules->analyze().empty()) << findings_text(r.rules->analyze());
}

TEST(Analysis, EveryRuleOfTheShippedStandardHasAWitnessThatFiresIt) {
  load_result r = rule_set::load(CHANRULES_SOURCE_DIR "/rules/channel-2009");
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  const rule_set& rules = *r.rules;
  const detail::model& m = rules.program()->m;
  auto witnesses = detail::rule_witnesses(*rules.program(), {});
  size_t checked = 0, rule_count = 0;
  for (size_t d = 0; d < m.decisions.size(); ++d) {
    for (size_t k = 0; k < m.decisions[d].rules.size(); ++k) {
      ++rule_count;
      const std::string& id = m.decisions[d].rules[k].id;
      ASSERT_TRUE(witnesses[d][k].has_value()) << m.decisions[d].name << "/" << id;
      std::map<std::string, std::string> record(witnesses[d][k]->begin(), witnesses[d][k]->end());
      explanation e = rules.explain(record);
      ASSERT_TRUE(e.problems.empty()) << e.to_text();
      // A helper appears in the trace only when another decision needed it.
      const auto* trace = trace_of(e, m.decisions[d].name);
      if (!trace && !m.decisions[d].output) continue;
      ASSERT_TRUE(trace) << m.decisions[d].name;
      EXPECT_EQ(trace->rule_id, id) << m.decisions[d].name << "\n" << e.to_text();
      ++checked;
    }
  }
  // Every output decision's rules at least (the helpers' S and O rules show through them
  // only for S and O records).
  EXPECT_GE(checked, rule_count - 25) << checked << " of " << rule_count;
}

}  // namespace
}  // namespace chanrules

namespace chanrules {
namespace {

// A text field with several named sets: the analysis enumerates one alias (or none) per set,
// which gives every combination of entries a text can select.
const std::string kThreeSets = R"(chanrules: 1
name: sets
version: "1"
fields:
  id: {type: string, required: true}
  name: {type: string}
named_sets:
  retailer:
    field: name
    entries:
      - {key: GOME, aliases: [GOME, 国美]}
  brand:
    field: name
    entries:
      - {key: OPPO, aliases: [OPPO]}
      - {key: OM, aliases: [OM]}
  city:
    field: name
    entries:
      - {key: BJ, aliases: [北京]}
decisions:
)";

TEST(Analysis, SeveralNamedSetsOnOneFieldAreExact) {
  auto rules = load_unproven(kThreeSets + R"(  klass:
    rules:
      - id: all-three
        when: retailer == GOME and brand == OPPO and city == BJ
        then: A
      - id: gome-without-om
        when: retailer == GOME and brand is missing
        then: B
      - id: chinese-gome-without-om
        when: retailer == GOME and brand is missing and city is missing
        then: C
)");
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  // `all-three` needs one alias of each set (a triple, beyond any pair of aliases), and is
  // reachable. `gome-without-om` is reachable too (国美 contains no brand alias); the third
  // rule's records are all taken by the second.
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].rule_id, "chinese-gome-without-om");
  EXPECT_EQ(findings[0].other_rule_ids, (std::vector<std::string>{"gome-without-om"}));
  // Witnesses of the reachable rules fire them through explain().
  auto witnesses = detail::rule_witnesses(*rules->program(), {});
  for (size_t k : {0u, 1u}) {
    ASSERT_TRUE(witnesses[0][k].has_value()) << k;
    std::map<std::string, std::string> record(witnesses[0][k]->begin(), witnesses[0][k]->end());
    EXPECT_EQ(fired(*rules, record, "klass"), k == 0 ? "all-three" : "gome-without-om");
  }
  // Every Latin alias of GOME contains OM, which `brand` selects: without 国美, a GOME
  // retailer always has a brand, which the analysis proves.
  auto latin = load_unproven(R"(chanrules: 1
name: sets
version: "1"
fields:
  id: {type: string, required: true}
  name: {type: string}
named_sets:
  retailer:
    field: name
    entries:
      - {key: GOME, aliases: [GOME]}
  brand:
    field: name
    entries:
      - {key: OM, aliases: [om]}
decisions:
  klass:
    rules:
      - {id: never, when: retailer == GOME and brand is missing, then: X}
)");
  ASSERT_TRUE(latin);
  findings = latin->analyze();
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].diag.message,
            "rule 'never' of 'klass' can never fire: its condition is never true");
}

TEST(Analysis, TooManyAliasCombinationsAreUndecidedNeverProven) {
  // 2 sets of 500 aliases: 501 * 501 combinations, more than the 200,000 enumerated.
  std::string yaml = R"(chanrules: 1
name: many
version: "1"
fields:
  id: {type: string, required: true}
  name: {type: string}
named_sets:
)";
  for (const char* set : {"left", "right"}) {
    yaml += std::string("  ") + set + ":\n    field: name\n    entries:\n";
    for (int e = 0; e < 500; ++e)
      yaml += std::string("      - {key: ") + set + std::to_string(e) + ", aliases: [" + set[0] +
              "x" + std::to_string(e) + "y]}\n";
  }
  yaml += R"(decisions:
  klass:
    rules:
      - {id: never, when: left == left7 and left is missing, then: X}
      - {id: both, when: left == left7 and right == right9, then: Y}
)";
  auto rules = load_unproven(yaml);
  ASSERT_TRUE(rules);
  auto findings = rules->analyze();
  // `never` contradicts itself whatever the texts, but the proof would rest on the sampled
  // field: it is reported as undecided, with the reason. `both` is reachable (a sampled
  // record proves it).
  ASSERT_EQ(findings.size(), 1u) << findings_text(findings);
  EXPECT_EQ(findings[0].diag.code, "W-undecided");
  EXPECT_EQ(findings[0].rule_id, "never");
  EXPECT_EQ(findings[0].diag.message,
            "cannot decide whether it can fire for rule 'never' of 'klass': the named sets on "
            "'name' have more than 200000 combinations of aliases, more than the analysis "
            "enumerates");
}

}  // namespace
}  // namespace chanrules
