// Tests of the check stage (src/check/checker.cpp): every diagnostic the checker reports, with
// its exact code, file:line:column, message and hint.
//
// Rule sets are small YAML strings loaded with rule_set::load_string; list files live in a
// temporary folder used as the rule set's base_dir. Expected positions are written as a
// marker: a unique piece of the YAML text with '^' where the caret must be, so each case reads
// as "the error is here" and the line and column are computed from the text itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chanrules/chanrules.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.h"

namespace chanrules {
namespace {

using chanrules::testing::at;
using chanrules::testing::describe;
using chanrules::testing::line_col;

namespace fs = std::filesystem;

// ---- helpers --------------------------------------------------------------------------------

struct want {
  std::string code;
  std::string marker;  // where in the rule set's YAML (see at()); empty when `line` is given
  std::string message;
  std::optional<std::string> hint;  // unset: not checked
  severity level = severity::error;
  std::string file;  // another file (a list); then line/column are given directly
  uint32_t line = 0;
  uint32_t column = 0;
};

void expect_diagnostics(const std::string& yaml, const std::vector<diagnostic>& got,
                        const std::vector<want>& expected) {
  ASSERT_EQ(got.size(), expected.size()) << describe(got);
  for (size_t i = 0; i < expected.size(); ++i) {
    const want& w = expected[i];
    SCOPED_TRACE("diagnostic " + std::to_string(i) + ": " + format(got[i]));
    EXPECT_EQ(got[i].code, w.code);
    EXPECT_EQ(got[i].level, w.level);
    EXPECT_EQ(got[i].message, w.message);
    if (w.hint) {
      EXPECT_EQ(got[i].hint, *w.hint);
    }
    if (w.file.empty()) {
      line_col pos = at(yaml, w.marker);
      EXPECT_EQ(got[i].location.file, "rs.yaml");
      EXPECT_EQ(got[i].location.line, pos.line);
      EXPECT_EQ(got[i].location.column, pos.column);
    } else {
      EXPECT_EQ(got[i].location.file, w.file);
      EXPECT_EQ(got[i].location.line, w.line);
      EXPECT_EQ(got[i].location.column, w.column);
    }
  }
}

// Fields of every case. All required, so none is reported as unused.
const std::string kBase =
    "chanrules: 1\n"
    "name: t\n"
    "version: \"1\"\n"
    "fields:\n"
    "  id: {type: string, required: true}\n"
    "  network: {type: enum, values: [S, W, R, O], required: true}\n"
    "  tier: {type: enum, values: [T1, T2, T3], ordered: true, required: true}\n"
    "  units: {type: integer, min: 0, required: true}\n"
    "  avg: {type: decimal, required: true}\n"
    "  flag: {type: boolean, required: true}\n"
    "  perm: {type: string, required: true}\n"
    "  opened: {type: date, required: true}\n";

// One decision `d` with one rule `r` whose condition is `when`.
std::string decision(const std::string& when) {
  return "decisions:\n  d:\n    rules:\n      - id: r\n        when: " + when +
         "\n        then: A\n";
}

const std::string kValid = decision("flag");

struct check_case {
  const char* name;
  std::string yaml;  // appended to kBase
  std::vector<want> expected;
};

void run_cases(const std::vector<check_case>& cases, const std::string& base_dir = ".",
               const load_options& options = {}) {
  for (const check_case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string yaml = kBase + c.yaml;
    load_result r = rule_set::load_string(yaml, "rs.yaml", base_dir, options);
    EXPECT_EQ(r.ok(), !has_errors(r.diagnostics));
    expect_diagnostics(yaml, r.diagnostics, c.expected);
  }
}

TEST(Checker, TheBaseIsValid) {
  load_result r = rule_set::load_string(kBase + kValid);
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty()) << describe(r.diagnostics);
}

// ---- names --------------------------------------------------------------------------------------

TEST(Checker, Names) {
  const std::string shared = "fields, lists, named sets and decisions share one namespace";
  run_cases({
      {"unknown name with a suggestion",
       decision("netwrk == S"),
       {{"E-unknown-name", "when: ^netwrk == S", "unknown name 'netwrk'",
         "did you mean 'network'?"}}},
      {"unknown name without a suggestion",
       decision("zzzzzzzz == 1"),
       {{"E-unknown-name", "when: ^zzzzzzzz", "unknown name 'zzzzzzzz'",
         "names are fields, lists, named sets or decisions"}}},
      {"unknown name suggests a decision too",
       "decisions:\n  helper:\n    rules:\n      - {id: h, when: flag, then: X}\n"
       "  d:\n    rules:\n      - {id: r, when: helpr == X, then: A}\n",
       {{"E-unknown-name", "when: ^helpr", "unknown name 'helpr'", "did you mean 'helper'?"}}},
      {"a list named like a field",
       "lists:\n  network: {file: l.csv, key: id}\n" + kValid,
       {{"E-duplicate-name", "^network: {file", "the name 'network' is already used (line 6)",
         shared},
        {"E-file", "file: ^l.csv", "cannot read list file './l.csv': No such file or directory",
         ""}}},
      {"a named set named like a decision",
       "named_sets:\n  d: {field: id, entries: [{key: k, aliases: [a]}]}\n" + kValid,
       {{"E-duplicate-name", "  ^d:\n    rules", "the name 'd' is already used (line 14)",
         shared}}},
      {"a decision named like a field",
       "decisions:\n  units:\n    rules:\n      - {id: r, when: flag, then: A}\n",
       {{"E-duplicate-name", "  ^units:\n    rules", "the name 'units' is already used (line 8)",
         shared}}},
      {"names starting with a digit, and keywords",
       "  1st: {type: string}\n  and: {type: string}\n" + kValid,
       {{"E-bad-name", "^1st:", "'1st' is not a valid name",
         "names are letters, digits and '_', not starting with a digit"},
        {"E-bad-name", "^and:", "'and' is not a valid name",
         "it is a keyword of the condition language"}}},
  });
}

// ---- fields -------------------------------------------------------------------------------------

TEST(Checker, Fields) {
  run_cases({
      {"unknown type",
       "  x: {type: text}\n" + kValid,
       {{"E-bad-type", "type: ^text", "unknown type 'text'",
         "types are string, integer, decimal, boolean, date, enum"}}},
      {"bounds that are not numbers of the field's type",
       "  x: {type: integer, min: abc, max: 1.5}\n  y: {type: date, min: 2009-02-29}\n" + kValid,
       {{"E-bad-bound", "min: ^abc", "'abc' is not a valid integer bound for field 'x'", ""},
        {"E-bad-bound", "max: ^1.5", "'1.5' is not a valid integer bound for field 'x'", ""},
        {"E-bad-bound", "min: ^2009-02-29", "'2009-02-29' is not a valid date bound for field 'y'",
         ""}}},
      {"max below min",
       "  x: {type: decimal, min: 5.5, max: 5.25}\n" + kValid,
       {{"E-bad-bound", "max: ^5.25", "'max' is below 'min'", ""}}},
      {"bounds on a string",
       "  x: {type: string, max: 3}\n" + kValid,
       {{"E-bad-bound", "max: ^3", "'min'/'max' apply to integer, decimal and date fields only",
         ""}}},
      {"enum problems",
       "  x: {type: enum}\n  y: {type: enum, values: [a, b, a, \"\"]}\n" + kValid,
       {{"E-enum-values", "  ^x: {type: enum}", "enum field 'x' needs 'values'", ""},
        {"E-enum-values", "b, ^a, \"\"", "the value 'a' is listed twice", ""},
        {"E-enum-values", "a, ^\"\"]", "an enum value cannot be empty", ""}}},
      {"enum-only and string-only keys on an integer",
       "  x: {type: integer, values: [a], ordered: true, unique: true}\n" + kValid,
       {{"E-ordered", "  ^x: {type: integer", "'ordered' applies to enum fields only", ""},
        {"E-unique", "  ^x: {type: integer", "'unique' applies to string fields only", ""},
        {"E-enum-values", "values: [^a]", "'values' applies to enum fields only", ""}}},
      {"effective is not a date",
       "effective: 2009-13-01\n" + kValid,
       {{"E-bad-date", "effective: ^2009", "'effective' must be a date like 2009-10-19", ""}}},
  });
}

// ---- conditions -------------------------------------------------------------------------------

TEST(Checker, Conditions) {
  const std::string values = "its values are: S, W, R, O";
  run_cases({
      {"enum value not in the domain",
       decision("network == X"),
       {{"E-not-in-domain", "network == ^X", "'X' is not a value of 'network'", values}}},
      {"enum value not in the domain, in a list",
       decision("network in [S, R, Q]"),
       {{"E-not-in-domain", "R, ^Q]", "'Q' is not a value of 'network'", values}}},
      {"the hint lists at most twelve values",
       "  big: {type: enum, values: [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13], "
       "required: true}\n" +
           decision("big == v14"),
       {{"E-not-in-domain", "big == ^v14", "'v14' is not a value of 'big'",
         "its values are: v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, ..."}}},
      {"number compared with an enum",
       decision("network == 1"),
       {{"E-type", "network == ^1", "a number cannot be compared with 'network', which is enum",
         values}}},
      {"date compared with an ordered enum",
       decision("tier <= 2009-10-19"),
       {{"E-type", "tier <= ^2009", "a date cannot be compared with 'tier', which is enum",
         "its values are: T1, T2, T3"}}},
      {"ordering on an unordered enum",
       decision("network < S"),
       {{"E-not-ordered", "when: ^network < S", "'network' has no order, so '<' does not apply",
         "declare the field 'ordered: true' if its values have an order"}}},
      {"between on an unordered enum",
       decision("flag and network between S and R"),
       {{"E-not-ordered", "and ^network between",
         "'network' has no order, so 'between' does not apply",
         "declare the field 'ordered: true' if its values have an order"}}},
      {"boolean compared with a number",
       decision("flag == 1"),
       {{"E-type", "flag == ^1", "'flag' is a boolean; compare it with true or false", ""}}},
      {"boolean compared with a name",
       decision("flag != yes"),
       {{"E-type", "flag != ^yes", "'flag' is a boolean; compare it with true or false", ""}}},
      {"integer used as a boolean",
       decision("units"),
       {{"E-type", "when: ^units", "'units' is integer, not a boolean; compare it with a value",
         "e.g. units == ..."}}},
      {"enum used as a boolean",
       decision("flag or network"),
       {{"E-type", "or ^network", "'network' is enum, not a boolean; compare it with a value",
         "e.g. network == ..."}}},
      {"ordering on a boolean",
       decision("flag >= true"),
       {{"E-not-ordered", "when: ^flag >=", "'flag' has no order, so '>=' does not apply",
         "compare with ==, != or in [...]"}}},
      {"string compared with <",
       decision("perm < \"DRA\""),
       {{"E-not-ordered", "when: ^perm <", "'perm' has no order, so '<' does not apply",
         "compare with ==, != or in [...]"}}},
      {"string compared with a number",
       decision("perm == 1"),
       {{"E-type", "perm == ^1", "a number cannot be compared with 'perm', which is string",
         "quote text values: \"...\""}}},
      {"integer compared with a name",
       decision("units >= S"),
       {{"E-type", "units >= ^S", "'S' is not a number, and 'units' is integer",
         "compare numbers with numbers, e.g. units >= 500"}}},
      {"integer compared with a string",
       decision("units == \"5\""),
       {{"E-type", "units == ^\"5\"", "'5' is not a number, and 'units' is integer",
         "compare numbers with numbers, e.g. units >= 500"}}},
      {"date compared with a number",
       decision("opened > 5"),
       {{"E-type", "opened > ^5", "'opened' is a date; compare it with a date like 2009-10-19",
         ""}}},
      {"in on numbers that are not consecutive",
       decision("units in [1, 3]"),
       {{"E-numeric-in", "when: ^units in", "'in [...]' on numbers needs consecutive whole numbers",
         "use 'between' or an 'or' of comparisons"}}},
      {"in on decimals",
       decision("avg in [1, 2]"),
       {{"E-numeric-in", "when: ^avg in", "'in [...]' on numbers needs consecutive whole numbers",
         "use 'between' or an 'or' of comparisons"}}},
      {"a number too long to hold",
       decision("units > 1234567890123456789012"),
       {{"E-bad-number", "units > ^1234",
         "'1234567890123456789012' is not a number chanrules can hold",
         "at most 18 digits before and 18 after the point"}}},
      {"syntax error at the end of the condition",
       decision("units >"),
       {{"E-syntax", "when: units >^\n", "expected a value after '>', found end of condition"}}},
      {"every bad predicate of a condition is reported",
       decision("netwrk == S or network == X or units == S"),
       {{"E-unknown-name", "when: ^netwrk", "unknown name 'netwrk'", "did you mean 'network'?"},
        {"E-not-in-domain", "network == ^X", "'X' is not a value of 'network'", values},
        {"E-type", "units == ^S", "'S' is not a number, and 'units' is integer",
         "compare numbers with numbers, e.g. units >= 500"}}},
  });
}

// ---- decisions and outcomes ---------------------------------------------------------------------

TEST(Checker, Outcomes) {
  run_cases({
      {"from an unknown name",
       "decisions:\n  d:\n    rules:\n      - {id: r, when: flag, then: {from: nope}}\n",
       {{"E-unknown-name", "from: ^nope", "unknown name 'nope' in 'from'",
         "name a decision, list, named set or enum field"}}},
      {"default from an unknown list",
       "decisions:\n  d:\n    rules:\n      - {id: r, when: flag, then: A}\n"
       "    default: {from: samsung_list}\n",
       {{"E-unknown-name", "from: ^samsung_list", "unknown name 'samsung_list' in 'from'",
         "name a decision, list, named set or enum field"}}},
      {"from itself",
       "decisions:\n  d:\n    rules:\n      - {id: r, when: flag, then: {from: d}}\n",
       {{"E-cycle", "from: ^d}", "decision 'd' takes its outcome from itself", ""}}},
      {"from a number",
       "decisions:\n  d:\n    rules:\n      - {id: r, when: flag, then: {from: units}}\n",
       {{"E-type", "from: ^units", "'from' needs a value with labels; 'units' is integer", ""}}},
      {"constant outside the declared outcomes",
       "decisions:\n  d:\n    outcomes: [A, B]\n    rules:\n      - {id: r, when: flag, then: C}\n"
       "    default: D\n",
       {{"E-outcome", "then: ^C", "'C' is not one of the declared outcomes of 'd'",
         "declared: A, B"},
        {"E-outcome", "default: ^D", "'D' is not one of the declared outcomes of 'd'",
         "declared: A, B"}}},
      {"from a value whose labels are not all declared outcomes",
       "decisions:\n  d:\n    outcomes: [S, W, R]\n    rules:\n"
       "      - {id: r, when: flag, then: {from: network}}\n",
       {{"E-outcome", "from: ^network", "'network' can give 'O', which is not an outcome of 'd'",
         "add it to 'outcomes'"}}},
      {"empty outcomes",
       "decisions:\n  d:\n    outcomes: [A, A, \"\"]\n    rules:\n"
       "      - {id: r, when: flag, then: \"\"}\n",
       {{"E-outcomes", "[A, ^A,", "'A' is listed twice", ""},
        {"E-outcomes", "A, ^\"\"]", "an outcome cannot be empty", ""},
        {"E-outcome", "then: ^\"\"}", "an outcome cannot be empty",
         "omit 'default' for no outcome"}}},
      {"no rules and an empty rule id",
       "decisions:\n  d:\n    rules: []\n  e:\n    rules:\n      - {id: \"\", when: flag, then: "
       "A}\n",
       {{"E-no-rules", "  ^d:", "decision 'd' has no rules", ""},
        {"E-rule-id", "id: ^\"\"", "a rule id cannot be empty", ""}}},
  });
}

TEST(Checker, DuplicateRuleIdIsAWarning) {
  run_cases({
      {"the same id twice in one decision",
       "decisions:\n  d:\n    rules:\n      - {id: x, when: flag, then: A}\n"
       "      - {id: x, when: not flag, then: B}\n"
       "  e:\n    rules:\n      - {id: y, when: flag, then: A}\n",
       {{"W-duplicate-id", "- {id: ^x, when: not", "rule id 'x' is used twice in decision 'd'",
         "results name the rule that fired by its id; make ids unique", severity::warning}}},
      {"the same id in two decisions is fine",
       "decisions:\n  d:\n    rules:\n      - {id: x, when: flag, then: A}\n"
       "  e:\n    rules:\n      - {id: x, when: not flag, then: A}\n",
       {}},
  });
}

TEST(Checker, RuleLimit) {
  load_options options;
  options.max_rules = 2;
  run_cases({{"three rules, two allowed",
              "decisions:\n  d:\n    rules:\n      - {id: a, when: flag, then: A}\n"
              "      - {id: b, when: flag, then: A}\n      - {id: c, when: flag, then: A}\n",
              {{"E-limit", "id: ^c", "more than 2 rules in the rule set", ""}}}},
            ".", options);
}

// ---- tests
// ------------------------------------------------------------------------------------------

TEST(Checker, TestsReferToWhatExists) {
  const std::string head =
      "decisions:\n  d:\n    rules:\n      - {id: r, when: flag, then: A}\n"
      "      - {id: s, when: not flag, then: B}\n"
      "tests:\n  - name: t1\n";
  run_cases({
      {"unknown field in the record",
       head + "    record: {unitz: 1, flag: \"true\"}\n    expect: {d: A}\n",
       {{"E-unknown-field", "{^unitz", "unknown field 'unitz' in test 't1'",
         "did you mean 'units'?"}}},
      {"unknown decision in expect (the suggestion is a decision, not the field 'id')",
       head + "    record: {flag: \"true\"}\n    expect: {dd: A}\n",
       {{"E-unknown-decision", "{^dd", "unknown decision 'dd' in test 't1'", "did you mean 'd'?"}}},
      {"unknown field in the record (the suggestion is a field, not the decision 'd')",
       head + "    record: {e: 1}\n    expect: {d: A}\n",
       {{"E-unknown-field", "{^e: 1", "unknown field 'e' in test 't1'", "did you mean 'id'?"}}},
      {"expected outcome not in the decision's domain",
       head + "    record: {flag: \"true\"}\n    expect: {d: C}\n",
       {{"E-not-in-domain", "{d: ^C}", "'C' is not an outcome of 'd'", "outcomes: A, B"}}},
      {"unknown rule",
       head + "    record: {flag: \"true\"}\n    expect: {d: A}\n    expect_rule: {d: q}\n",
       {{"E-unknown-rule", "{d: ^q}", "decision 'd' has no rule 'q'", ""}}},
      {"unknown decision and field in expect_missing",
       head + "    record: {flag: \"true\"}\n    expect: {d: A}\n"
              "    expect_missing: {d: [flag, unit], x: []}\n",
       {{"E-unknown-field", "flag, ^unit]", "unknown field 'unit'", "did you mean 'units'?"},
        {"E-unknown-decision", "^x: []", "unknown decision 'x' in test 't1'",
         "did you mean 'd'?"}}},
  });
}

// ---- lists and named sets (files in a temporary folder)
// --------------------------------------------

class CheckerFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "chanrules_checker_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ / "rules";
    fs::create_directories(dir_ / "lists");
    fs::create_directories(root_ / "outside");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  std::string list(const std::string& name, const std::string& text) {
    return write(dir_ / "lists" / name, text);
  }

  fs::path root_;  // holds the rule-set folder and a folder outside it
  fs::path dir_;   // the rule set's folder (base_dir)
};

TEST_F(CheckerFiles, ListPaths) {
  write(root_ / "outside" / "secret.csv", "id\nC1\n");
  fs::create_directory_symlink(root_ / "outside", dir_ / "link");
  list("ok.csv", "id\nC1\n");
  const std::string inside = "name a file inside the rule set's folder";
  run_cases(
      {
          {"'..' in the path",
           "lists:\n  l: {file: lists/../../outside/secret.csv, key: id}\n" + kValid,
           {{"E-path", "file: ^lists/..",
             "list file 'lists/../../outside/secret.csv' refused: '..' is refused; " + inside,
             ""}}},
          {"absolute path",
           "lists:\n  l: {file: " + (root_ / "outside" / "secret.csv").string() + ", key: id}\n" +
               kValid,
           {{"E-path", "file: ^/",
             "list file '" + (root_ / "outside" / "secret.csv").string() +
                 "' refused: absolute paths are refused; " + inside,
             ""}}},
          {"a symbolic link leading out of the folder",
           "lists:\n  l: {file: link/secret.csv, key: id}\n" + kValid,
           {{"E-path", "file: ^link",
             "list file 'link/secret.csv' refused: the path leads outside the rule set's folder "
             "(through a symbolic link)",
             ""}}},
          {"missing file",
           "lists:\n  l: {file: lists/nope.csv, key: id}\n" + kValid,
           {{"E-file", "file: ^lists/nope",
             "cannot read list file '" + (dir_ / "lists" / "nope.csv").string() +
                 "': No such file or directory",
             ""}}},
          {"a folder instead of a file",
           "lists:\n  l: {file: lists, key: id}\n" + kValid,
           {{"E-file", "file: ^lists,",
             "cannot read list file '" + (dir_ / "lists").string() + "': it is a directory", ""}}},
      },
      dir_.string());

  // Everything above is fine with allow_outside_paths (the unused list is only a warning).
  load_options outside;
  outside.allow_outside_paths = true;
  std::string yaml = kBase + "lists:\n  l: {file: link/secret.csv, key: id}\n" + kValid;
  load_result r = rule_set::load_string(yaml, "rs.yaml", dir_.string(), outside);
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].code, "W-unused");
}

TEST_F(CheckerFiles, ListContents) {
  std::string no_key = list("no_key.csv", "cust,class\nC1,SKA\n");
  std::string no_value = list("no_value.csv", "id,klass\nC1,SKA\n");
  std::string rows = list("rows.csv",
                          "id,class\n"
                          "C1,SKA\n"
                          "C2,DKA\n"      // line 3: unknown class
                          "C3\n"          // line 4: too few fields
                          ",RKA\n"        // line 5: empty key
                          "C4, RKA \n"    // line 6: fine (trimmed)
                          "\"C5,RKA\n");  // line 7: unterminated quote
  std::string empty = list("empty.csv", "");
  std::string hint = "the list is 'l' in rs.yaml";
  run_cases(
      {
          {"header without the key column",
           "lists:\n  l: {file: lists/no_key.csv, key: id, value: class, values: [SKA]}\n" +
               std::string(
                   "decisions:\n  d:\n    rules:\n      - {id: r, when: l == SKA, then: A}\n"),
           {{"E-list-header", "", "the header must name the columns 'id' and 'class'", hint,
             severity::error, no_key, 1, 1}}},
          {"header without the value column",
           "lists:\n  l: {file: lists/no_value.csv, key: id, value: class, values: [SKA]}\n" +
               std::string(
                   "decisions:\n  d:\n    rules:\n      - {id: r, when: l == SKA, then: A}\n"),
           {{"E-list-header", "", "the header must name the columns 'id' and 'class'", hint,
             severity::error, no_value, 1, 1}}},
          {"an empty file",
           "lists:\n  l: {file: lists/empty.csv, key: id}\n" +
               std::string("decisions:\n  d:\n    rules:\n      - {id: r, when: l, then: A}\n"),
           {{"E-list-header", "file: ^lists/empty", empty + ": the list file is empty (no header)",
             ""}}},
          {"bad rows are skipped with a warning at the list file's line",
           "lists:\n  l: {file: lists/rows.csv, key: id, value: class, values: [SKA, RKA]}\n" +
               std::string(
                   "decisions:\n  d:\n    rules:\n      - {id: r, when: l == SKA, then: A}\n"),
           {{"W-list-value", "", "row ignored: value 'DKA' is not one of SKA, RKA", hint,
             severity::warning, rows, 3, 1},
            {"W-list-row", "", "row skipped: 1 fields, the header has 2", hint, severity::warning,
             rows, 4, 1},
            {"W-list-row", "", "row skipped: the key is empty", hint, severity::warning, rows, 5,
             1},
            {"W-list-row", "", "row skipped: field 1: unterminated quoted field (opened on line 7)",
             hint, severity::warning, rows, 7, 1}}},
      },
      dir_.string());
}

TEST_F(CheckerFiles, ListFileWithAByteOrderMark) {
  list("bom.csv", "\xEF\xBB\xBFid,class\r\nC1,SKA\r\n");
  std::string yaml = kBase +
                     "lists:\n  l: {file: lists/bom.csv, key: id, value: class, values: [SKA]}\n" +
                     decision("l == SKA");
  load_result r = rule_set::load_string(yaml, "rs.yaml", dir_.string());
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty()) << describe(r.diagnostics);
  explanation e = r.rules->explain({{"id", "C1"}});
  ASSERT_FALSE(e.decisions.empty());
  EXPECT_EQ(e.decisions[0].outcome, "A");
}

TEST_F(CheckerFiles, ListDeclarations) {
  list("a.csv", "id,class\nC1,SKA\n");
  const std::string d = "decisions:\n  d:\n    rules:\n      - {id: r, when: flag, then: A}\n";
  run_cases(
      {
          {"key is not a field",
           "lists:\n  l: {file: lists/a.csv, key: idx, value: class, values: [SKA]}\n" + d,
           {{"E-unknown-field", "key: ^idx", "unknown field 'idx' in list 'l'",
             "declare it under 'fields'"}}},
          {"key is not a string field",
           "lists:\n  l: {file: lists/a.csv, key: units}\n" + d,
           {{"E-type", "key: ^units", "list 'l' needs a string field; 'units' is integer", ""}}},
          {"value column without values",
           "lists:\n  l: {file: lists/a.csv, key: id, value: class}\n" + d,
           {{"E-list-values", "  ^l: {file", "list 'l' has a 'value' column but no 'values'",
             "list the allowed values in priority order, e.g. values: [SKA, RKA]"}}},
          {"values without a value column",
           "lists:\n  l: {file: lists/a.csv, key: id, values: [SKA]}\n" + d,
           {{"E-list-values", "values: [^SKA]", "'values' needs a 'value' column name", ""}}},
          {"a value listed twice",
           "lists:\n  l: {file: lists/a.csv, key: id, value: class, values: [SKA, SKA]}\n" + d,
           {{"E-enum-values", "SKA, ^SKA]", "the value 'SKA' is listed twice", ""}}},
      },
      dir_.string());
}

TEST_F(CheckerFiles, ListEntryLimit) {
  list("a.csv", "id\nC1\nC2\nC3\n");
  load_options options;
  options.max_list_entries = 2;
  run_cases({{"three entries, two allowed",
              "lists:\n  l: {file: lists/a.csv, key: id}\n"
              "decisions:\n  d:\n    rules:\n      - {id: r, when: l, then: A}\n",
              {{"E-limit", "file: ^lists/a.csv", "list 'l' has more than 2 entries", ""}}}},
            dir_.string(), options);
}

TEST(Checker, NamedSets) {
  run_cases({
      {"unknown match mode and no entries",
       "named_sets:\n  s: {field: id, match: exact, entries: []}\n" + kValid,
       {{"E-named-set", "  ^s: {field", "named set 's' has no entries", ""},
        {"E-match", "match: ^exact", "unknown match mode 'exact'",
         "the supported mode is 'contains'"}}},
      {"entry problems",
       "named_sets:\n  s:\n    field: id\n    entries:\n"
       "      - {key: k, aliases: []}\n"
       "      - {key: k, aliases: [a]}\n"
       "      - {key: \"\", aliases: [b]}\n"
       "      - {key: j, aliases: [c, \"\"]}\n" +
           kValid,
       {{"E-named-set", "{key: ^k, aliases: []}", "entry 'k' has no aliases", ""},
        {"E-named-set", "{key: ^k, aliases: [a]}", "the key 'k' is listed twice", ""},
        {"E-named-set", "{key: ^\"\"", "an entry key cannot be empty", ""},
        {"E-named-set", "[c, ^\"\"]", "an alias cannot be empty (it would match every name)", ""}}},
      {"field is not a string",
       "named_sets:\n  s: {field: units, entries: [{key: k, aliases: [x]}]}\n" + kValid,
       {{"E-type", "field: ^units", "named set 's' needs a string field; 'units' is integer", ""}}},
      {"field does not exist",
       "named_sets:\n  s: {field: name, entries: [{key: k, aliases: [x]}]}\n" + kValid,
       {{"E-unknown-field", "field: ^name", "unknown field 'name' in named set 's'",
         "declare it under 'fields'"}}},
  });
}

// A named set too large for its automaton is an E-limit at the set, saying which limit and
// the set's size: entries and states from the checker, the minimised table's cells from the
// compiler (rule_set.cpp places it at the set).
TEST(Checker, NamedSetLimits) {
  // `count` entries k0, k1, ... whose aliases are alias(i), in a set used by the rule.
  auto with_set = [](size_t count, const std::function<std::string(size_t)>& alias) {
    std::string yaml = "named_sets:\n  big:\n    field: id\n    entries:\n";
    for (size_t i = 0; i < count; ++i)
      yaml += "      - {key: k" + std::to_string(i) + ", aliases: [" + alias(i) + "]}\n";
    return yaml + decision("big == k0");
  };
  const std::string hint =
      "split the entries over several named sets on the same field, or move names that are "
      "matched whole to a list file";
  auto plain = [](size_t i) { return "d" + std::to_string(i); };

  // 4094 entries: the most a set holds; it loads and matches.
  {
    load_result r = rule_set::load_string(kBase + with_set(4094, plain), "rs.yaml");
    ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
    EXPECT_TRUE(r.diagnostics.empty()) << describe(r.diagnostics);
  }
  // The longest aliases the states allow (10,922 distinct beginnings, 65,532 states): they
  // load (the minimisation once took minutes on such a chain).
  {
    load_result r = rule_set::load_string(
        kBase +
            with_set(2,
                     [](size_t i) { return i == 0 ? std::string("y") : std::string(10920, 'x'); }),
        "rs.yaml");
    ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
    EXPECT_TRUE(r.diagnostics.empty()) << describe(r.diagnostics);
  }
  run_cases({
      {"4095 entries",
       with_set(4095, plain),
       {{"E-limit", "  ^big:", "named set 'big' has 4095 entries; a named set holds at most 4094",
         hint}}},
      // 100 aliases n<i>-xxx...x (120 x): 12,201 distinct beginnings.
      {"aliases too long for the automaton's states",
       with_set(100,
                [](size_t i) { return "n" + std::to_string(i) + "-" + std::string(120, 'x'); }),
       {{"E-limit", "  ^big:",
         "named set 'big' needs 73212 automaton states (6 for each of the 12201 distinct "
         "beginnings of its aliases, and 6 to start); the limit is 65536",
         "use fewer or shorter aliases (aliases that begin alike share states), or " + hint}}},
  });

  // Within the states, but the minimised table is too large: 3500 random three-byte aliases
  // over the printable ASCII bytes (as YAML double-quoted strings).
  std::mt19937 rng(7);
  std::vector<std::string> random_aliases;
  for (int i = 0; i < 3500; ++i) {
    std::string a = "\"";
    for (int k = 0; k < 3; ++k) {
      char c = static_cast<char>('!' + rng() % 94);
      if (c == '"' || c == '\\') a += '\\';
      a += c;
    }
    random_aliases.push_back(a + "\"");
  }
  const std::string yaml =
      kBase + with_set(random_aliases.size(), [&](size_t i) { return random_aliases[i]; });
  load_result r = rule_set::load_string(yaml, "rs.yaml");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
  const diagnostic& d = r.diagnostics[0];
  EXPECT_EQ(d.code, "E-limit");
  EXPECT_EQ(d.location.file, "rs.yaml");
  line_col pos = at(yaml, "  ^big:");
  EXPECT_EQ(d.location.line, pos.line);
  EXPECT_EQ(d.location.column, pos.column);
  EXPECT_EQ(d.message.rfind("named set 'big' is too large for its matching automaton: the "
                            "minimised automaton has ",
                            0),
            0u)
      << d.message;
  EXPECT_NE(d.message.find(" byte classes = "), std::string::npos) << d.message;
  EXPECT_NE(d.message.find(" table cells; the limit is 1048575"), std::string::npos) << d.message;
  EXPECT_EQ(d.hint, "use fewer or shorter aliases, " + hint);
}

// ---- golden text -------------------------------------------------------------------------------

TEST(Checker, GoldenFormatOfAConditionError) {
  std::string yaml = kBase + decision("tier <= T3 and network == X");
  load_result r = rule_set::load_string(yaml);
  ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
  EXPECT_EQ(format(r.diagnostics[0]),
            "<string>:17:41: error: 'X' is not a value of 'network' [E-not-in-domain]\n"
            "          when: tier <= T3 and network == X\n"
            "                                          ^\n"
            "  hint: its values are: S, W, R, O\n");
}

TEST_F(CheckerFiles, GoldenFormatOfAListWarning) {
  std::string path = list("s.csv", "id,class\nC1,SKA\nC2,\xe4\xb8\x89\xe6\x98\x9f\n");
  std::string yaml = kBase +
                     "lists:\n  l: {file: lists/s.csv, key: id, value: class, values: [SKA]}\n" +
                     decision("l == SKA");
  load_result r = rule_set::load_string(yaml, "rs.yaml", dir_.string());
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
  EXPECT_EQ(format(r.diagnostics[0]),
            path +
                ":3:1: warning: row ignored: value '\xe4\xb8\x89\xe6\x98\x9f' is not one of SKA "
                "[W-list-value]\n"
                "  C2,\xe4\xb8\x89\xe6\x98\x9f\n"
                "  ^^^^^^^\n"
                "  hint: the list is 'l' in rs.yaml\n");
}

TEST(Checker, GoldenFormatOfAnUnknownDecisionInATest) {
  std::string yaml =
      kBase + kValid + "tests:\n  - name: t\n    record: {flag: \"1\"}\n    expect: {dd: A}\n";
  load_result r = rule_set::load_string(yaml, "rs.yaml");
  ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
  EXPECT_EQ(format(r.diagnostics[0]),
            "rs.yaml:22:14: error: unknown decision 'dd' in test 't' [E-unknown-decision]\n"
            "      expect: {dd: A}\n"
            "               ^^\n"
            "  hint: did you mean 'd'?\n");
}

}  // namespace
}  // namespace chanrules
