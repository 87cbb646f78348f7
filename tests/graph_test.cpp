// Tests of the graph stage (src/graph/decision_graph.cpp): cycles between decisions (named in
// full, pointing at a reference of the cycle), the evaluation order, the lint warnings the
// graph makes visible (unused fields, lists, named sets and helper decisions; rules shadowed
// by an earlier rule) and the Graphviz output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chanrules/chanrules.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "check/checker.h"
#include "graph/decision_graph.h"
#include "load/loader.h"
#include "test_support.h"

namespace chanrules {
namespace {

using chanrules::testing::at;
using chanrules::testing::describe;
using chanrules::testing::line_col;

// ---- helpers --------------------------------------------------------------------------------

const std::string kFields =
    "chanrules: 1\n"
    "name: g\n"
    "version: \"2\"\n"
    "fields:\n"
    "  id: {type: string, required: true}\n"
    "  network: {type: enum, values: [S, W, R, O], required: true}\n";

struct cycle_case {
  const char* name;
  std::string decisions;
  std::string message;
  std::string marker;  // where the error points
};

TEST(Graph, CyclesAreNamedInFull) {
  const std::string hint = "a decision can only use decisions that do not depend on it";
  const cycle_case cases[] = {
      {"two decisions",
       "decisions:\n"
       "  a:\n    rules:\n      - {id: ra, when: b == X, then: X}\n"
       "  b:\n    rules:\n      - {id: rb, when: a == X, then: X}\n",
       "decisions refer to each other in a cycle: a -> b -> a", "{id: ^ra"},
      {"three decisions",
       "decisions:\n"
       "  a:\n    rules:\n      - {id: ra, when: b == X, then: X}\n"
       "  b:\n    rules:\n      - {id: rb, when: c == X, then: X}\n"
       "  c:\n    rules:\n      - {id: rc, when: a == X, then: X}\n",
       "decisions refer to each other in a cycle: a -> b -> c -> a", "{id: ^ra"},
      {"three decisions declared in the other direction",
       "decisions:\n"
       "  a:\n    rules:\n      - {id: ra, when: c == X, then: X}\n"
       "  b:\n    rules:\n      - {id: rb, when: a == X, then: X}\n"
       "  c:\n    rules:\n      - {id: rc, when: b == X, then: X}\n",
       "decisions refer to each other in a cycle: a -> c -> b -> a", "{id: ^ra"},
      {"a cycle after an independent decision, through 'from'",
       "decisions:\n"
       "  x:\n    rules:\n      - {id: rx, when: network == S, then: X}\n"
       "  b:\n    rules:\n      - {id: rb, when: network == S, then: {from: c}}\n"
       "  c:\n    rules:\n      - {id: rc, when: network == S, then: X}\n"
       "    default: {from: b}\n",
       "decisions refer to each other in a cycle: b -> c -> b", "{id: ^rb"},
      {"a decision that tests itself",
       "decisions:\n"
       "  a:\n    rules:\n      - {id: r0, when: network == S, then: X}\n"
       "      - {id: r1, when: a == X, then: Y}\n",
       "decisions refer to each other in a cycle: a -> a", "{id: ^r1"},
      {"the closing reference is a default",
       "decisions:\n"
       "  a:\n    rules:\n      - {id: ra, when: network == S, then: X}\n"
       "    default: {from: b}\n"
       "  b:\n    rules:\n      - {id: rb, when: a == X, then: X}\n",
       "decisions refer to each other in a cycle: a -> b -> a", "  ^a:\n"},
  };
  for (const cycle_case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string yaml = kFields + c.decisions;
    load_result r = rule_set::load_string(yaml, "g.yaml");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
    const diagnostic& d = r.diagnostics[0];
    EXPECT_EQ(d.code, "E-cycle");
    EXPECT_EQ(d.level, severity::error);
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.hint, hint);
    line_col pos = at(yaml, c.marker);
    EXPECT_EQ(d.location.line, pos.line);
    EXPECT_EQ(d.location.column, pos.column);
  }
}

TEST(Graph, TakingTheOutcomeFromItselfIsRefusedByTheChecker) {
  std::string yaml = kFields +
                     "decisions:\n  a:\n    rules:\n"
                     "      - {id: ra, when: network == S, then: {from: a}}\n";
  load_result r = rule_set::load_string(yaml, "g.yaml");
  ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].code, "E-cycle");
  EXPECT_EQ(r.diagnostics[0].message, "decision 'a' takes its outcome from itself");
  line_col pos = at(yaml, "{from: ^a}");
  EXPECT_EQ(r.diagnostics[0].location.line, pos.line);
  EXPECT_EQ(r.diagnostics[0].location.column, pos.column);
}

// ---- evaluation order ---------------------------------------------------------------------------

std::vector<std::string> order_of(const rule_set& rules) {
  std::vector<std::string> out;
  for (size_t d : rules.evaluation_order()) out.push_back(rules.decision_name(d));
  return out;
}

TEST(Graph, EvaluationOrderIsTopological) {
  // Declared in reverse: c uses b (condition), b uses a (from).
  std::string chain = kFields +
                      "decisions:\n"
                      "  c:\n    rules:\n      - {id: rc, when: b == X, then: Y}\n"
                      "  b:\n    rules:\n      - {id: rb, when: network == S, then: {from: a}}\n"
                      "  a:\n    rules:\n      - {id: ra, when: network == S, then: X}\n";
  load_result r = rule_set::load_string(chain);
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  EXPECT_EQ(order_of(*r.rules), (std::vector<std::string>{"a", "b", "c"}));

  // A diamond plus an independent decision: every decision comes after what it uses.
  std::string diamond =
      kFields +
      "decisions:\n"
      "  top:\n    rules:\n      - {id: t, when: left == L and right == R, then: T}\n"
      "  free:\n    rules:\n      - {id: f, when: network == W, then: F}\n"
      "  left:\n    rules:\n      - {id: l, when: base == B, then: L}\n"
      "  right:\n    rules:\n      - {id: r, when: network == S, then: R}\n"
      "    default: {from: base}\n"
      "  base:\n    rules:\n      - {id: b, when: network == S, then: B}\n";
  load_result d = rule_set::load_string(diamond);
  ASSERT_TRUE(d.ok()) << describe(d.diagnostics);
  std::vector<std::string> order = order_of(*d.rules);
  ASSERT_EQ(order.size(), 5u);
  auto index = [&](const std::string& name) {
    return std::find(order.begin(), order.end(), name) - order.begin();
  };
  for (const char* name : {"top", "free", "left", "right", "base"})
    EXPECT_LT(index(name), 5) << name;
  EXPECT_LT(index("base"), index("left"));
  EXPECT_LT(index("base"), index("right"));
  EXPECT_LT(index("left"), index("top"));
  EXPECT_LT(index("right"), index("top"));
}

TEST(Graph, EdgesRecordTheReferringRule) {
  std::string yaml = kFields +
                     "decisions:\n"
                     "  a:\n    rules:\n      - {id: ra, when: network == S, then: X}\n"
                     "  b:\n    rules:\n      - {id: rb1, when: a == X, then: Y}\n"
                     "      - {id: rb2, when: a != X, then: Z}\n"
                     "  c:\n    rules:\n      - {id: rc, when: network == R, then: X}\n"
                     "    default: {from: b}\n";
  auto file = std::make_shared<const detail::source_file>("e.yaml", yaml);
  std::vector<diagnostic> diags;
  auto ast = detail::load_document(file, ".", {}, diags);
  ASSERT_TRUE(ast.has_value()) << describe(diags);
  auto model = detail::check(*ast, {}, diags);
  ASSERT_TRUE(model.has_value()) << describe(diags);
  std::vector<detail::decision_edge> edges = detail::decision_edges(*model);
  ASSERT_EQ(edges.size(), 2u);
  // b refers to a (once, though two rules do), c refers to b through its default.
  EXPECT_EQ(edges[0].from, 0u);
  EXPECT_EQ(edges[0].to, 1u);
  EXPECT_EQ(edges[0].rule_id, "rb1");
  EXPECT_EQ(edges[1].from, 1u);
  EXPECT_EQ(edges[1].to, 2u);
  EXPECT_EQ(edges[1].rule_id, "");
  ASSERT_TRUE(detail::build_graph(*model, diags)) << describe(diags);
  EXPECT_EQ(model->evaluation_order, (std::vector<uint32_t>{0, 1, 2}));
}

// ---- lint
// -------------------------------------------------------------------------------------------

struct lint_want {
  std::string code;
  std::string marker;
  std::string message;
  std::string hint;
};

void expect_warnings(const std::string& yaml, const std::string& base_dir,
                     const std::vector<lint_want>& expected) {
  load_result r = rule_set::load_string(yaml, "g.yaml", base_dir);
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  ASSERT_EQ(r.diagnostics.size(), expected.size()) << describe(r.diagnostics);
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(format(r.diagnostics[i]));
    const diagnostic& d = r.diagnostics[i];
    EXPECT_EQ(d.level, severity::warning);
    EXPECT_EQ(d.code, expected[i].code);
    EXPECT_EQ(d.message, expected[i].message);
    EXPECT_EQ(d.hint, expected[i].hint);
    line_col pos = at(yaml, expected[i].marker);
    EXPECT_EQ(d.location.line, pos.line);
    EXPECT_EQ(d.location.column, pos.column);
  }
}

TEST(Graph, UnusedWarnings) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "chanrules_graph_XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/samsung.csv") << "customer_id,class\nC1,SKA\n";
  std::ofstream(dir + "/owners.csv") << "owner,class\nC1,MRA\n";
  std::string yaml =
      "chanrules: 1\nname: g\nversion: \"2\"\n"
      "fields:\n"
      "  customer_id: {type: string, required: true}\n"  // required: never reported
      "  serial: {type: string, unique: true}\n"         // unique: never reported
      "  network: {type: enum, values: [S, W, R, O]}\n"  // used in a condition
      "  spare: {type: integer}\n"                       // unused
      "  name: {type: string}\n"                         // used only by the unused named set
      "  owner: {type: string}\n"                        // used as the key of a used list
      "  tier: {type: enum, values: [T1, T2]}\n"         // used only by `from`
      "lists:\n"
      "  samsung_list: {file: samsung.csv, key: customer_id, value: class, values: [SKA, RKA]}\n"
      "  se_list: {file: owners.csv, key: owner, value: class, values: [MRA, KRA]}\n"
      "named_sets:\n"
      "  account: {field: name, entries: [{key: k, aliases: [x]}]}\n"
      "decisions:\n"
      "  unused_helper:\n    output: false\n    rules:\n      - {id: u, when: network == S, then: "
      "U}\n"
      "  used_helper:\n    output: false\n    rules:\n      - {id: h, when: se_list == MRA, then: "
      "H}\n"
      "  out:\n    rules:\n      - {id: o, when: used_helper == H, then: {from: tier}}\n"
      "  other_output:\n    rules:\n      - {id: p, when: network == W, then: P}\n";
  load_result r = rule_set::load_string(yaml, "g.yaml", dir);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  const std::vector<diagnostic>& in_yaml = r.diagnostics;
  ASSERT_EQ(in_yaml.size(), 5u) << describe(r.diagnostics);
  struct {
    std::string marker;
    std::string message;
    std::string hint;
  } expected[] = {
      {"  ^spare:", "field 'spare' is not used by any rule",
       "remove it, or mark it required if it must be present"},
      {"  ^name:", "field 'name' is not used by any rule",
       "remove it, or mark it required if it must be present"},
      {"  ^samsung_list:", "list 'samsung_list' is not used by any rule", ""},
      {"  ^account:", "named set 'account' is not used by any rule", ""},
      {"  ^unused_helper:",
       "decision 'unused_helper' is neither an output nor used by another decision", ""},
  };
  for (size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(format(in_yaml[i]));
    EXPECT_EQ(in_yaml[i].code, "W-unused");
    EXPECT_EQ(in_yaml[i].level, severity::warning);
    EXPECT_EQ(in_yaml[i].message, expected[i].message);
    EXPECT_EQ(in_yaml[i].hint, expected[i].hint);
    line_col pos = at(yaml, expected[i].marker);
    EXPECT_EQ(in_yaml[i].location.line, pos.line);
    EXPECT_EQ(in_yaml[i].location.column, pos.column);
  }
}

TEST(Graph, ShadowedRules) {
  const std::string reorder = "reorder the rules or remove this one";
  // An earlier `true` shadows every later rule and the default.
  expect_warnings(kFields +
                      "decisions:\n  d:\n    rules:\n"
                      "      - {id: first, when: network == S, then: A}\n"
                      "      - {id: always, when: true, then: B}\n"
                      "      - {id: later, when: network == R, then: C}\n"
                      "      - {id: last, when: true, then: D}\n"
                      "    default: Z\n",
                  ".",
                  {{"W-unreachable",
                    "  ^d:", "the default of 'd' is never used: rule 'always' always fires", ""},
                   {"W-unreachable", "{id: ^later",
                    "rule 'later' can never fire: rule 'always' before it always fires", reorder},
                   {"W-unreachable", "{id: ^last",
                    "rule 'last' can never fire: rule 'always' before it always fires", reorder}});
  // The same condition twice, however it is spaced; a different condition is fine.
  expect_warnings(
      kFields +
          "decisions:\n  d:\n    rules:\n"
          "      - {id: a, when: network == S and id == \"x\", then: A}\n"
          "      - {id: b, when: network == R, then: B}\n"
          "      - {id: c, when: network==S  and  id==\"x\", then: C}\n"
          "      - {id: e, when: id == \"x\" and network == S, then: E}\n",
      ".",
      {{"W-unreachable", "{id: ^c",
        "rule 'c' can never fire: rule 'a' before it has the same condition", reorder}});
}

TEST(Graph, RulesTakingFromDoNotShadow) {
  // `then: {from: ...}` may find no value, and then the next rule is tried.
  expect_warnings(kFields +
                      "decisions:\n"
                      "  h:\n    rules:\n      - {id: hs, when: network == S, then: A}\n"
                      "  d:\n    rules:\n"
                      "      - {id: copy, when: true, then: {from: h}}\n"
                      "      - {id: copy_again, when: true, then: {from: h}}\n"
                      "      - {id: fallback, when: true, then: B}\n",
                  ".", {});
}

// ---- Graphviz
// ----------------------------------------------------------------------------------------

TEST(Graph, DotShowsDecisionsRulesAndEdges) {
  std::string yaml =
      kFields +
      "decisions:\n"
      "  base:\n    output: false\n    rules:\n"
      "      - {id: b1, when: network == S, then: B}\n"
      "  top:\n    rules:\n      - {id: t1, when: base == B and id == \"q\", then: T}\n"
      "    default: {from: base}\n"
      "  side:\n    rules:\n      - {id: s1, when: base is missing, then: S}\n";
  load_result r = rule_set::load_string(yaml);
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  std::string dot = r.rules->graph_dot();
  EXPECT_EQ(dot,
            "digraph G {\n"
            "rankdir=LR;\n"
            "label=\"g 2\";\n"
            "0[shape=box,label=\"base (helper)\\nb1: network == S\\l\"];\n"
            "1[shape=box,label=\"top\\nt1: base == B and id == \\\"q\\\"\\ldefault\\l\"];\n"
            "2[shape=box,label=\"side\\ns1: base is missing\\l\"];\n"
            "0->1 [label=\"t1\"];\n"
            "0->2 [label=\"s1\"];\n"
            "}\n");
}

TEST(Graph, DotShortensLongConditions) {
  // A long condition is cut (on a character boundary) and marked with "..."; a short one is
  // shown whole.
  std::string cond = "name == \"\xe5\x9b\xbd\xe7\xbe\x8e\"";
  while (cond.size() < 300) cond += " or name == \"\xe5\x9b\xbd\xe7\xbe\x8e\"";
  std::string yaml = kFields + "  name: {type: string, required: true}\n" +
                     "decisions:\n  d:\n    rules:\n      - id: long\n        when: '" + cond +
                     "'\n        then: A\n      - {id: short, when: network == S, then: B}\n";
  load_result r = rule_set::load_string(yaml);
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  std::string dot = r.rules->graph_dot();
  EXPECT_NE(dot.find("\\lshort: network == S\\l"), std::string::npos) << dot;
  size_t b = dot.find("long: ");
  ASSERT_NE(b, std::string::npos) << dot;
  b += 6;
  size_t e = dot.find("...\\l", b);
  ASSERT_NE(e, std::string::npos) << dot;
  std::string shown = dot.substr(b, e - b);
  EXPECT_GT(shown.size(), 20u);
  EXPECT_LT(shown.size(), 200u);
  // What is shown is the start of the condition (quotes escaped for DOT), cut between
  // characters: the next byte of the condition does not continue a UTF-8 sequence.
  std::string escaped;
  for (char c : cond) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
  ASSERT_EQ(escaped.compare(0, shown.size(), shown), 0) << shown;
  EXPECT_NE(static_cast<unsigned char>(escaped[shown.size()]) & 0xC0, 0x80) << shown;
}

}  // namespace
}  // namespace chanrules
