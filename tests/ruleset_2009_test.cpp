// Tests of the shipped rule set rules/channel-2009: it loads without errors and with exactly
// the two expected warnings (list rows whose class is not one of the list's values), every
// case of its tests.yaml passes (each case is a test of its own here, failing with the
// failures and the explanation trace), and explain() shows what it saw for a DKA customer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chanrules/chanrules.hpp>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace chanrules {
namespace {

using chanrules::testing::describe;

const std::string kDir = std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009";

const load_result& loaded() {
  static const load_result result = rule_set::load(kDir);
  return result;
}

const std::vector<test_outcome>& outcomes() {
  static const std::vector<test_outcome> result =
      loaded().ok() ? loaded().rules->run_tests() : std::vector<test_outcome>{};
  return result;
}

// Lines of tests.yaml where a test starts ("- name: ...").
std::vector<uint32_t> test_lines() {
  std::ifstream in(kDir + "/tests.yaml");
  std::vector<uint32_t> lines;
  std::string line;
  for (uint32_t n = 1; std::getline(in, line); ++n)
    if (line.rfind("- name:", 0) == 0) lines.push_back(n);
  return lines;
}

TEST(Channel2009, LoadsWithOnlyTheTwoExpectedWarnings) {
  const load_result& r = loaded();
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  EXPECT_FALSE(has_errors(r.diagnostics));
  ASSERT_EQ(r.diagnostics.size(), 2u) << describe(r.diagnostics);
  const diagnostic& samsung = r.diagnostics[0];
  EXPECT_EQ(samsung.level, severity::warning);
  EXPECT_EQ(samsung.code, "W-list-value");
  EXPECT_EQ(samsung.location.file, kDir + "/lists/samsung.csv");
  EXPECT_EQ(samsung.location.line, 28u);
  EXPECT_EQ(samsung.location.column, 1u);
  EXPECT_EQ(samsung.message, "row ignored: value 'DKA' is not one of SKA, RKA");
  EXPECT_EQ(samsung.source_line, "C000585,DKA");
  EXPECT_EQ(samsung.hint, "the list is 'samsung_list' in " + kDir + "/ruleset.yaml");
  const diagnostic& se = r.diagnostics[1];
  EXPECT_EQ(se.level, severity::warning);
  EXPECT_EQ(se.code, "W-list-value");
  EXPECT_EQ(se.location.file, kDir + "/lists/sony_ericsson.csv");
  EXPECT_EQ(se.location.line, 13u);
  EXPECT_EQ(se.location.column, 1u);
  EXPECT_EQ(se.message, "row ignored: value 'EKA' is not one of MRA, KRA");
  EXPECT_EQ(se.source_line, "C000146,EKA");
}

TEST(Channel2009, Shape) {
  ASSERT_TRUE(loaded().ok()) << describe(loaded().diagnostics);
  const rule_set& rules = *loaded().rules;
  EXPECT_EQ(rules.name(), "channel-2009");
  EXPECT_EQ(rules.version(), "2009.1");
  EXPECT_EQ(rules.effective(), "2009-10-19");
  std::vector<std::string> outputs;
  for (size_t d : rules.output_decisions()) outputs.push_back(rules.decision_name(d));
  EXPECT_EQ(outputs, (std::vector<std::string>{"samsung_class", "se_class", "coolpad_class",
                                               "account_group", "channel_family"}));
  EXPECT_EQ(rules.field_count(), 13u);
  EXPECT_EQ(rules.field_name(0), "customer_id");
  EXPECT_TRUE(rules.field_required(0));
  EXPECT_TRUE(rules.field_unique(0));
}

TEST(Channel2009, EveryCaseOfTestsYamlIsRun) {
  // One outcome per "- name:" of tests.yaml, at that line.
  std::vector<uint32_t> lines = test_lines();
  ASSERT_GT(lines.size(), 100u);
  ASSERT_EQ(outcomes().size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(outcomes()[i].location.file, kDir + "/tests.yaml");
    EXPECT_EQ(outcomes()[i].location.line, lines[i]) << outcomes()[i].name;
    EXPECT_EQ(outcomes()[i].location.column, 3u) << outcomes()[i].name;
  }
}

// Each case of tests.yaml as its own test.
class Channel2009Case : public ::testing::TestWithParam<size_t> {};

TEST_P(Channel2009Case, Passes) {
  ASSERT_LT(GetParam(), outcomes().size());
  const test_outcome& t = outcomes()[GetParam()];
  std::string failures;
  for (const auto& f : t.failures) failures += "  " + f + "\n";
  EXPECT_TRUE(t.passed) << t.name << " (tests.yaml:" << t.location.line << ")\n"
                        << failures << t.trace;
  EXPECT_EQ(t.passed, t.failures.empty());
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
  std::string name = "case" + std::to_string(1000 + info.param).substr(1) + "_";
  const std::string& text = info.param < outcomes().size() ? outcomes()[info.param].name : "";
  bool underscore = true;
  for (unsigned char c : text) {
    if (std::isalnum(c) && c < 0x80) {
      name += static_cast<char>(c);
      underscore = false;
    } else if (!underscore) {
      name += '_';
      underscore = true;
    }
    if (name.size() > 60) break;
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

INSTANTIATE_TEST_SUITE_P(TestsYaml, Channel2009Case, ::testing::Range<size_t>(0, outcomes().size()),
                         case_name);

TEST(Channel2009, ExplainShowsTheRuleThatFiredAndTheValuesSeen) {
  ASSERT_TRUE(loaded().ok()) << describe(loaded().diagnostics);
  const rule_set& rules = *loaded().rules;
  explanation e =
      rules.explain({{"customer_id", "C900001"},
                     {"customer_name", "\xe9\x95\xbf\xe6\xb2\x99\xe5\x8d\x8e\xe4\xbf\xa1"},
                     {"network", "R"},
                     {"market_tier", "T4"},
                     {"local_rank", "2"},
                     {"gsm_monthly_units", "0500"}});
  EXPECT_TRUE(e.problems.empty());
  std::string text = e.to_text();
  const std::string expected[] = {
      "samsung_class = DKA  [rule dka]\n",
      "    named-account: false  (account is not missing)\n",
      "        account is not missing  -> false  [(no match)]\n",
      "        samsung_list == SKA  -> false  [(not listed)]\n",
      "  * dka: true  (gsm_monthly_units >= 500 and ( (market_tier <= T3 and local_rank <= 3) or "
      "(market_tier == T4 and local_rank <= 2) or (market_tier in [T5, T6] and local_rank == "
      "1)))\n",
      "        gsm_monthly_units >= 500  -> true  [500]\n",
      "        market_tier <= T3  -> false  [T4]\n",
      "        market_tier == T4  -> true  [T4]\n",
      "        local_rank <= 2  -> true  [2]\n",
      "se_class = DSA  [rule default]\n",  // false and unknown is false: nothing missing
      "        se_permission == \"DRA\"  -> unknown  [(missing)]\n",
      "channel_family = traditional  [rule traditional]\n",
  };
  for (const std::string& line : expected)
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  // The structured form says the same.
  auto samsung = std::find_if(e.decisions.begin(), e.decisions.end(),
                              [](const auto& d) { return d.name == "samsung_class"; });
  ASSERT_NE(samsung, e.decisions.end());
  EXPECT_EQ(samsung->outcome, "DKA");
  EXPECT_EQ(samsung->rule_id, "dka");
  ASSERT_FALSE(samsung->rules.empty());
  EXPECT_TRUE(samsung->rules.back().fired);
  EXPECT_EQ(samsung->rules.back().id, "dka");
  // Rules after the one that fired are not tried.
  EXPECT_EQ(samsung->rules.size(), 7u);
  // The helpers for the S and O networks were not needed for an R customer.
  for (const auto& d : e.decisions) {
    EXPECT_NE(d.name, "s_class");
    EXPECT_NE(d.name, "o_class");
  }
}

}  // namespace
}  // namespace chanrules
