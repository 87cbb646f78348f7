// Tests of the load stage (src/load): the strict YAML reader (yaml_tree.cpp) and the loader
// that checks the document's shape (loader.cpp).
//
// Every diagnostic code the load stage can produce has at least one case below with its
// exact code, line, column, message and hint. Also covered: the limits on hostile input
// (deep nesting fails fast and cleanly, NUL bytes, file size), map_scalar_offsets (positions
// inside plain, quoted, folded and literal scalars, so a condition error on the second line
// of a folded scalar points at the right spot of the file) and format()'s caret line, which
// must line up under Chinese text (two terminal columns per character).
#include <gtest/gtest.h>

#include <chanrules/chanrules.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/source.h"
#include "load/loader.h"
#include "load/yaml_tree.h"

namespace chanrules {
namespace {

namespace fs = std::filesystem;

// ---- helpers --------------------------------------------------------------------------------

// What a test expects of one diagnostic. An unset hint is not checked.
struct want {
  std::string code;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;
  std::optional<std::string> hint;
  severity level = severity::error;
};

std::string describe(const std::vector<diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags)
    out += "[" + d.code + " " + std::to_string(d.location.line) + ":" +
           std::to_string(d.location.column) + "] " + format(d);
  return out.empty() ? "(no diagnostics)\n" : out;
}

// The diagnostics must be exactly `expected`, in order.
void expect_diagnostics(const std::vector<diagnostic>& got, const std::vector<want>& expected) {
  ASSERT_EQ(got.size(), expected.size()) << describe(got);
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("diagnostic " + std::to_string(i) + ":\n" + describe({got[i]}));
    const want& w = expected[i];
    EXPECT_EQ(got[i].code, w.code);
    EXPECT_EQ(got[i].level, w.level);
    EXPECT_EQ(got[i].location.line, w.line);
    EXPECT_EQ(got[i].location.column, w.column);
    EXPECT_EQ(got[i].message, w.message);
    if (w.hint) {
      EXPECT_EQ(got[i].hint, *w.hint);
    }
  }
}

load_result load_text(std::string_view yaml, const load_options& options = {}) {
  return rule_set::load_string(yaml, "rs.yaml", ".", options);
}

// A rule set that loads without any diagnostic; cases below vary it.
constexpr const char* kValid =
    "chanrules: 1\n"
    "name: t\n"
    "version: \"1\"\n"
    "fields:\n"
    "  network: {type: enum, values: [S, R], required: true}\n"
    "decisions:\n"
    "  d:\n"
    "    rules:\n"
    "      - {id: r, when: network == S, then: A}\n";

// The top of kValid, up to and including `fields:` plus its one field (5 lines).
constexpr const char* kHead =
    "chanrules: 1\n"
    "name: t\n"
    "version: \"1\"\n"
    "fields:\n"
    "  network: {type: enum, values: [S, R], required: true}\n";

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(Load, TheBaseRuleSetLoadsCleanly) {
  load_result r = load_text(kValid);
  ASSERT_TRUE(r.ok()) << describe(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty()) << describe(r.diagnostics);
  EXPECT_EQ(r.rules->name(), "t");
  EXPECT_EQ(r.rules->version(), "1");
}

// ---- the strict YAML reader: one row per construct -------------------------------------------

struct yaml_case {
  const char* name;
  std::string yaml;
  std::vector<want> expected;
};

const std::string kDupHint = "YAML would silently keep only one of them; remove or rename one";
const std::string kAnchorHint = "write the value out in full where it is used";
const std::string kTagHint =
    "remove the tag; chanrules reads each value by the type its key expects";
const std::string kDocHint = "remove the '---' or '...' line, or split the file";
const std::string kSyntaxHint = "check indentation and quoting around this spot";
const std::string kDepthHint =
    "a rule set needs only a few levels; this looks like a damaged or hostile file";

std::vector<yaml_case> yaml_cases() {
  return {
      {"duplicate top-level key",
       "chanrules: 1\nname: t\nversion: \"1\"\nname: u\n",
       {{"E-yaml-duplicate-key", 4, 1, "duplicate key 'name' (first at line 2)", kDupHint}}},
      {"duplicate key quoted the second time",
       "chanrules: 1\nname: t\n\"name\": u\n",
       {{"E-yaml-duplicate-key", 3, 1, "duplicate key 'name' (first at line 2)", kDupHint}}},
      {"duplicate key inside a flow mapping",
       std::string(kHead) + "  a: {type: string,\n      required: true, type: integer}\n",
       {{"E-yaml-duplicate-key", 7, 23, "duplicate key 'type' (first at line 6)", kDupHint}}},
      {"anchor on a scalar",
       "chanrules: 1\nname: &n t\n",
       {{"E-yaml-anchor", 2, 7, "YAML anchors (&name) are not allowed in a rule set",
         kAnchorHint}}},
      {"anchor on a block mapping",
       "chanrules: 1\nfields: &f\n  a: {type: string}\n",
       {{"E-yaml-anchor", 2, 9, "YAML anchors (&name) are not allowed in a rule set",
         kAnchorHint}}},
      {"anchor and alias: the anchor is reported first",
       "chanrules: 1\nname: &n t\nversion: *n\n",
       {{"E-yaml-anchor", 2, 7, "YAML anchors (&name) are not allowed in a rule set",
         kAnchorHint}}},
      {"alias",
       "chanrules: 1\nname: t\nversion: *v\n",
       {{"E-yaml-alias", 3, 10, "YAML aliases (*name) are not allowed in a rule set",
         "write the value out in full; anchors and aliases hide what a rule really says"}}},
      {"merge key",
       "chanrules: 1\n<<: {name: t}\n",
       {{"E-yaml-merge", 2, 1, "YAML merge keys (<<) are not allowed in a rule set",
         "write the merged keys out in full"}}},
      {"tag !!str",
       "chanrules: 1\nname: !!str t\n",
       {{"E-yaml-tag", 2, 7, "YAML tags (tag:yaml.org,2002:str) are not allowed in a rule set",
         kTagHint}}},
      {"tag on a mapping",
       "chanrules: 1\nfields: !!map\n  a: {type: string}\n",
       {{"E-yaml-tag", 2, 9, "YAML tags (tag:yaml.org,2002:map) are not allowed in a rule set",
         kTagHint}}},
      {"local tag",
       "chanrules: 1\nname: !custom t\n",
       {{"E-yaml-tag", 2, 7, "YAML tags (!custom) are not allowed in a rule set", kTagHint}}},
      {"second document after ---",
       "chanrules: 1\nname: t\n---\nname: u\n",
       {{"E-yaml-documents", 3, 1,
         "a second YAML document starts here; a rule-set file holds exactly one", kDocHint}}},
      {"second document after a leading --- and a comment",
       "# rules\n--- # first\nchanrules: 1\n---   \nname: u\n",
       {{"E-yaml-documents", 4, 1,
         "a second YAML document starts here; a rule-set file holds exactly one", kDocHint}}},
      {"--- after content, even with nothing after it",
       "chanrules: 1\n---\n",
       {{"E-yaml-documents", 2, 1,
         "a second YAML document starts here; a rule-set file holds exactly one", kDocHint}}},
      {"... followed by content",
       "chanrules: 1\n...\nname: t\n",
       {{"E-yaml-documents", 2, 1,
         "a second YAML document starts here; a rule-set file holds exactly one", kDocHint}}},
      {"... followed by a comment and then content",
       "chanrules: 1\n... # end\n# more\nname: t\n",
       {{"E-yaml-documents", 2, 1,
         "a second YAML document starts here; a rule-set file holds exactly one", kDocHint}}},
      {"empty file",
       "",
       {{"E-yaml-empty", 1, 1, "the file holds no YAML document",
         "a rule set starts with 'chanrules: 1'"}}},
      {"only comments and blank lines",
       "# nothing here\n\n   # still nothing\n",
       {{"E-yaml-empty", 1, 1, "the file holds no YAML document",
         "a rule set starts with 'chanrules: 1'"}}},
      {"syntax error: bad indentation",
       "chanrules: 1\n  name: x\n",
       {{"E-yaml-syntax", 2, 7, "YAML syntax error: illegal map value", kSyntaxHint}}},
      {"syntax error: unclosed flow mapping",
       "chanrules: 1\nfields: {a: {type: string}\ndecisions: x\n",
       {{"E-yaml-syntax", 3, 1, "YAML syntax error: end of map flow not found", kSyntaxHint}}},
      {"syntax error: unclosed flow sequence",
       "chanrules: [1, 2\n",
       {{"E-yaml-syntax", 2, 1, "YAML syntax error: end of sequence flow not found", kSyntaxHint}}},
      {"NUL byte",
       std::string("chanrules: 1\nna\0me: t\n", 22),
       {{"E-yaml-syntax", 2, 3, "the file holds a NUL byte; it is not a text file", ""}}},
      {"a GB18030 byte in a UTF-8 rule set",
       "chanrules: 1\nname: \xb9\xfa\xc3\xc0\n",
       {{"E-yaml-encoding", 2, 7, "the file is not valid UTF-8 here (byte 0xB9)",
         "save the rule set as UTF-8 (GB18030 is read in exports and list files only)"}}},
      {"a character cut off at the end",
       "chanrules: 1\nname: ab\xef",
       {{"E-yaml-encoding", 2, 9,
         "the file is not valid UTF-8 here (byte 0xEF, a character cut off by the end of the "
         "file)",
         "save the rule set as UTF-8 (GB18030 is read in exports and list files only)"}}},
      {"mapping key that is a list (flow)",
       "chanrules: 1\n{[a]: 1}: 2\n",
       {{"E-yaml-key", 2, 2, "a mapping key must be a plain name, not a list", ""}}},
      {"mapping key that is a list (complex key)",
       "chanrules: 1\n? [a]\n: 1\n",
       {{"E-yaml-key", 2, 3, "a mapping key must be a plain name, not a list", ""}}},
      {"closed brackets nested 40 deep stop at the 33rd",
       "chanrules: " + repeat("[", 40) + repeat("]", 40) + "\n",
       {{"E-yaml-depth", 1, 11 + 32, "the YAML nests deeper than 32 levels", kDepthHint}}},
      {"100000 nested block sequences on one line",
       repeat("- ", 100000) + "x\n",
       {{"E-yaml-depth", 1, 65, "the YAML nests deeper than 32 levels", kDepthHint}}},
  };
}

TEST(LoadYaml, EachConstructIsRefusedWithItsDiagnostic) {
  for (const yaml_case& c : yaml_cases()) {
    SCOPED_TRACE(c.name);
    load_result r = load_text(c.yaml);
    EXPECT_FALSE(r.ok());
    expect_diagnostics(r.diagnostics, c.expected);
  }
}

TEST(LoadYaml, QuotedMergeKeyIsAnOrdinaryUnknownKey) {
  // Only the plain `<<` is YAML's merge key; "<<" quoted is just a (wrong) key name.
  load_result r = load_text(std::string(kValid) + "\"<<\": 1\n");
  expect_diagnostics(r.diagnostics,
                     {{"E-unknown-key", 10, 1, "unknown key '<<' in the rule set",
                       "allowed keys: chanrules, name, version, effective, description, "
                       "fields, lists, named_sets, decisions, tests"}});
}

TEST(LoadYaml, DocumentMarkersThatAreAllowed) {
  // A leading '---', a closing '...' followed only by comments and blank lines, and
  // '---' or '...' inside indented text are all one document.
  const std::string cases[] = {
      "---\n" + std::string(kValid),
      "--- # the rule set\n" + std::string(kValid),
      std::string(kValid) + "...\n# trailing comment\n\n   # another\n",
      std::string(kValid) + "...\n",
      "%YAML 1.2\n---\n" + std::string(kValid),
      std::string(kHead) +
          "description: |\n  ---\n  ...\n  text\ndecisions:\n  d:\n    rules:\n"
          "      - {id: r, when: network == S, then: A}\n",
  };
  for (const std::string& yaml : cases) {
    SCOPED_TRACE(yaml);
    load_result r = load_text(yaml);
    EXPECT_TRUE(r.ok()) << describe(r.diagnostics);
  }
}

TEST(LoadYaml, HundredThousandOpenBracketsFailQuicklyAndCleanly) {
  // yaml-cpp reads each unclosed '[' as a flow sequence that may also be an implicit key,
  // so the limit is reached half-way into the brackets; what matters is a clean E-yaml-depth
  // (no stack overflow, no hang, no syntax error from deep inside the parser).
  for (const std::string& yaml : {repeat("[", 100000), "chanrules: " + repeat("[", 100000),
                                  repeat("{a: ", 100000), repeat("[{", 50000)}) {
    SCOPED_TRACE(yaml.substr(0, 20));
    load_result r = load_text(yaml);
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
    const diagnostic& d = r.diagnostics[0];
    EXPECT_EQ(d.code, "E-yaml-depth");
    EXPECT_EQ(d.location.line, 1u);
    EXPECT_GE(d.location.column, 2u);
    EXPECT_LE(d.location.column, 4u * 33);
    EXPECT_EQ(d.message, "the YAML nests deeper than 32 levels");
  }
}

TEST(LoadYaml, NestedBlockSequencesOnSeparateLines) {
  // Level k (1-based) is a '-' on line k, indented 2*(k-1): the 33rd is refused.
  std::string yaml;
  for (int level = 0; level < 40; ++level) yaml += std::string(2 * level, ' ') + "-\n";
  load_result r = load_text(yaml);
  expect_diagnostics(r.diagnostics, {{"E-yaml-depth", 33, 65,
                                      "the YAML nests deeper than 32 levels", kDepthHint}});
}

TEST(LoadYaml, DepthLimitIsExact) {
  // The root mapping is level 1; `x:` holding k nested flow sequences makes 1 + k levels.
  auto nested = [](int k) { return "x: " + repeat("[", k) + "1" + repeat("]", k) + "\n"; };
  load_options options;
  options.max_yaml_depth = 8;
  // 8 levels: the reader accepts it and the loader complains about the shape instead.
  load_result ok = load_text(nested(7), options);
  ASSERT_FALSE(ok.diagnostics.empty());
  EXPECT_EQ(ok.diagnostics[0].code, "E-unknown-key") << describe(ok.diagnostics);
  // 9 levels: refused at the 8th '['.
  load_result deep = load_text(nested(8), options);
  expect_diagnostics(deep.diagnostics,
                     {{"E-yaml-depth", 1, 11, "the YAML nests deeper than 8 levels", kDepthHint}});
}

TEST(LoadYaml, FileSizeLimit) {
  load_options options;
  options.max_yaml_bytes = 100;
  std::string yaml = "chanrules: 1\n# " + repeat("x", 100 - 16) + "\n";
  ASSERT_EQ(yaml.size(), 100u);
  // Exactly at the limit: read (and then refused for its content, not its size).
  load_result at = load_text(yaml, options);
  ASSERT_FALSE(at.diagnostics.empty());
  EXPECT_EQ(at.diagnostics[0].code, "E-missing-key");
  // One byte more: refused before parsing.
  load_result over = load_text(yaml + "\n", options);
  expect_diagnostics(over.diagnostics,
                     {{"E-yaml-size", 1, 1, "the file is 101 bytes; the limit is 100",
                       "raise the limit in the load options if this file is genuine"}});
}

class LoadFromFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("chanrules_load_test_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(LoadFromFile, FileSizeLimitGivesTheSameDiagnosticAsLoadString) {
  load_options options;
  options.max_yaml_bytes = 100;
  std::string path = write("big.yaml", "chanrules: 1\n# " + repeat("x", 5000) + "\n");
  load_result r = rule_set::load(path, options);
  ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].code, "E-yaml-size");
  EXPECT_EQ(r.diagnostics[0].location.file, path);
  EXPECT_EQ(r.diagnostics[0].message, "the file is 5016 bytes; the limit is 100");
}

TEST_F(LoadFromFile, FolderAndFileAreBothAccepted) {
  std::string path = write("ruleset.yaml", kValid);
  load_result by_folder = rule_set::load(dir_.string());
  ASSERT_TRUE(by_folder.ok()) << describe(by_folder.diagnostics);
  load_result by_file = rule_set::load(path);
  ASSERT_TRUE(by_file.ok()) << describe(by_file.diagnostics);
  load_result missing = rule_set::load((dir_ / "nope.yaml").string());
  ASSERT_EQ(missing.diagnostics.size(), 1u);
  EXPECT_EQ(missing.diagnostics[0].code, "E-file");
  EXPECT_EQ(missing.diagnostics[0].message, "cannot read the rule set: No such file or directory");
}

TEST_F(LoadFromFile, TestsFileProblems) {
  write("ruleset.yaml", std::string(kValid) + "tests: ../elsewhere.yaml\n");
  load_result outside = rule_set::load(dir_.string());
  ASSERT_EQ(outside.diagnostics.size(), 1u) << describe(outside.diagnostics);
  EXPECT_EQ(outside.diagnostics[0].code, "E-path");
  EXPECT_EQ(outside.diagnostics[0].location.line, 10u);
  EXPECT_EQ(outside.diagnostics[0].location.column, 8u);
  EXPECT_EQ(outside.diagnostics[0].message,
            "tests file '../elsewhere.yaml' refused: '..' is refused; name a file inside the "
            "rule set's folder");

  write("ruleset.yaml", std::string(kValid) + "tests: none.yaml\n");
  load_result missing = rule_set::load(dir_.string());
  ASSERT_EQ(missing.diagnostics.size(), 1u) << describe(missing.diagnostics);
  EXPECT_EQ(missing.diagnostics[0].code, "E-file");
  EXPECT_EQ(missing.diagnostics[0].location.line, 10u);
  EXPECT_EQ(missing.diagnostics[0].location.column, 8u);
  EXPECT_EQ(
      missing.diagnostics[0].message,
      "cannot read tests file '" + (dir_ / "none.yaml").string() + "': No such file or directory");

  // Problems inside the tests file are reported at the tests file's own lines.
  write("ruleset.yaml", std::string(kValid) + "tests: t.yaml\n");
  std::string tests_path = write("t.yaml", "- name: a\n  record: {network: S}\n  expct: {d: A}\n");
  load_result inside = rule_set::load(dir_.string());
  ASSERT_EQ(inside.diagnostics.size(), 2u) << describe(inside.diagnostics);
  EXPECT_EQ(inside.diagnostics[0].code, "E-missing-key");
  EXPECT_EQ(inside.diagnostics[0].location.file, tests_path);
  EXPECT_EQ(inside.diagnostics[0].location.line, 1u);
  EXPECT_EQ(inside.diagnostics[0].location.column, 3u);
  EXPECT_EQ(inside.diagnostics[0].message, "a test needs a 'expect' key");
  EXPECT_EQ(inside.diagnostics[1].code, "E-unknown-key");
  EXPECT_EQ(inside.diagnostics[1].location.file, tests_path);
  EXPECT_EQ(inside.diagnostics[1].location.line, 3u);
  EXPECT_EQ(inside.diagnostics[1].location.column, 3u);
  EXPECT_EQ(inside.diagnostics[1].message, "unknown key 'expct' in a test");
  EXPECT_EQ(inside.diagnostics[1].hint, "did you mean 'expect'?");

  // And a YAML error in the tests file too.
  write("t.yaml", "- name: a\n  name: b\n");
  load_result yaml_error = rule_set::load(dir_.string());
  ASSERT_EQ(yaml_error.diagnostics.size(), 1u) << describe(yaml_error.diagnostics);
  EXPECT_EQ(yaml_error.diagnostics[0].code, "E-yaml-duplicate-key");
  EXPECT_EQ(yaml_error.diagnostics[0].location.file, tests_path);
  EXPECT_EQ(yaml_error.diagnostics[0].location.line, 2u);
  EXPECT_EQ(yaml_error.diagnostics[0].location.column, 3u);
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

TEST(LoadYaml, ByteOrderMarkIsNotPartOfThePositions) {
  // Editors on Windows often start UTF-8 files with a byte order mark; positions must be the
  // same as without it (yaml-cpp counts its marks after the mark).
  const std::string bom = "\xEF\xBB\xBF";
  const yaml_case cases[] = {
      {"duplicate key",
       bom + "chanrules: 1\nname: t\nname: u\n",
       {{"E-yaml-duplicate-key", 3, 1, "duplicate key 'name' (first at line 2)", kDupHint}}},
      {"syntax error",
       bom + "chanrules: 1\n  name: x\n",
       {{"E-yaml-syntax", 2, 7, "YAML syntax error: illegal map value", kSyntaxHint}}},
      {"unknown key on the first line",
       bom + "chanrulez: 1\n" + std::string(kValid).substr(13),
       {{"E-unknown-key", 1, 1, "unknown key 'chanrulez' in the rule set",
         "did you mean 'chanrules'?"},
        {"E-missing-key", 1, 1, "the rule set needs a 'chanrules' key", ""}}},
      {"condition error",
       bom + replace_all(kValid, "network == S", "network == X"),
       {{"E-not-in-domain", 9, 34, "'X' is not a value of 'network'", "its values are: S, R"}}},
      {"a comment, then ---, is still the first document",
       bom + "# rules\n---\n" + replace_all(kValid, "network == S", "network == X"),
       {{"E-not-in-domain", 11, 34, "'X' is not a value of 'network'", "its values are: S, R"}}},
  };
  for (const yaml_case& c : cases) {
    SCOPED_TRACE(c.name);
    load_result r = load_text(c.yaml);
    expect_diagnostics(r.diagnostics, c.expected);
  }
  load_result first_line = load_text(bom + "chanrulez: 1\n");
  ASSERT_FALSE(first_line.diagnostics.empty());
  EXPECT_EQ(first_line.diagnostics[0].source_line, "chanrulez: 1");
  EXPECT_EQ(first_line.diagnostics[0].caret_length, 9u);
  load_result ok = load_text(bom + kValid);
  EXPECT_TRUE(ok.ok()) << describe(ok.diagnostics);
}

TEST(LoadYaml, WindowsLineEnds) {
  std::string crlf = replace_all(replace_all(kValid, "network == S", "network == X"), "\n", "\r\n");
  load_result r = load_text(crlf);
  expect_diagnostics(r.diagnostics, {{"E-not-in-domain", 9, 34, "'X' is not a value of 'network'",
                                      "its values are: S, R"}});
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].source_line, "      - {id: r, when: network == X, then: A}");
  load_result ok = load_text(replace_all(kValid, "\n", "\r\n") + "...\r\n# end\r\n");
  EXPECT_TRUE(ok.ok()) << describe(ok.diagnostics);
  load_result second = load_text(replace_all(kValid, "\n", "\r\n") + "---\r\nname: u\r\n");
  expect_diagnostics(
      second.diagnostics,
      {{"E-yaml-documents", 10, 1,
        "a second YAML document starts here; a rule-set file holds exactly one", kDocHint}});
}

TEST(LoadYaml, NodeCountLimit) {
  // Not reachable through load_options; the reader's own limit.
  auto file = std::make_shared<const detail::source_file>("n.yaml", "a: [1, 2, 3, 4, 5, 6]\n");
  detail::yaml_limits limits;
  limits.max_nodes = 5;
  std::vector<diagnostic> diags;
  EXPECT_FALSE(detail::parse_yaml(file, limits, diags).has_value());
  expect_diagnostics(diags, {{"E-yaml-size", 1, 11, "the YAML holds more than 5 nodes", ""}});
  limits.max_nodes = 9;  // map, key, sequence, six items
  diags.clear();
  EXPECT_TRUE(detail::parse_yaml(file, limits, diags).has_value()) << describe(diags);
}

TEST(LoadYaml, ScalarsKeepTheirTextAndQuoting) {
  auto file = std::make_shared<const detail::source_file>(
      "s.yaml", "a: 017\nb: \"017\"\nc: yes\nd: 'x'\ne:\nf: |\n  line\n");
  std::vector<diagnostic> diags;
  auto root = detail::parse_yaml(file, {}, diags);
  ASSERT_TRUE(root.has_value()) << describe(diags);
  ASSERT_EQ(root->kind, detail::ynode_kind::map);
  ASSERT_EQ(root->map_size(), 6u);
  struct {
    const char* key;
    detail::ynode_kind kind;
    const char* text;
    bool plain;
  } expected[] = {
      {"a", detail::ynode_kind::scalar, "017", true},
      {"b", detail::ynode_kind::scalar, "017", false},
      {"c", detail::ynode_kind::scalar, "yes", true},
      {"d", detail::ynode_kind::scalar, "x", false},
      {"e", detail::ynode_kind::null, "", true},
      {"f", detail::ynode_kind::scalar, "line\n", false},
  };
  for (size_t i = 0; i < 6; ++i) {
    SCOPED_TRACE(expected[i].key);
    EXPECT_EQ(root->key(i).text, expected[i].key);
    EXPECT_EQ(root->value(i).kind, expected[i].kind);
    EXPECT_EQ(root->value(i).text, expected[i].text);
    if (expected[i].kind == detail::ynode_kind::scalar) {
      EXPECT_EQ(root->value(i).plain, expected[i].plain);
    }
  }
}

// ---- the loader: the document's shape ---------------------------------------------------------

struct shape_case {
  const char* name;
  std::string yaml;
  std::vector<want> expected;
};

const std::string kAllowedTop =
    "allowed keys: chanrules, name, version, effective, description, fields, lists, "
    "named_sets, decisions, tests";

std::vector<shape_case> shape_cases() {
  const std::string decisions =
      "decisions:\n  d:\n    rules:\n      - {id: r, when: network == S, then: A}\n";
  return {
      {"unknown top-level key with a suggestion",
       std::string(kValid) + "decsions: {}\n",
       {{"E-unknown-key", 10, 1, "unknown key 'decsions' in the rule set",
         "did you mean 'decisions'?"}}},
      {"unknown top-level key far from every key",
       std::string(kValid) + "zzz: 1\n",
       {{"E-unknown-key", 10, 1, "unknown key 'zzz' in the rule set", kAllowedTop}}},
      {"unknown key in a field",
       std::string(kHead) + "  a: {type: string, requird: true}\n" + decisions,
       {{"E-unknown-key", 6, 21, "unknown key 'requird' in field 'a'",
         "did you mean 'required'?"}}},
      {"unknown key in a rule",
       std::string(kHead) + "decisions:\n  d:\n    rules:\n"
                            "      - {id: r, when: network == S, then: A, tehn: B}\n",
       {{"E-unknown-key", 9, 46, "unknown key 'tehn' in a rule", "did you mean 'then'?"}}},
      {"missing name",
       "chanrules: 1\nversion: \"1\"\nfields:\n  network: {type: string}\n" + decisions,
       {{"E-missing-key", 1, 1, "the rule set needs a 'name' key", ""}}},
      {"missing every required key",
       "chanrules: 1\n",
       {{"E-missing-key", 1, 1, "the rule set needs a 'name' key", ""},
        {"E-missing-key", 1, 1, "the rule set needs a 'version' key", ""},
        {"E-missing-key", 1, 1, "the rule set needs a 'fields' key", ""},
        {"E-missing-key", 1, 1, "the rule set needs a 'decisions' key", ""}}},
      {"missing type of a field",
       std::string(kHead) + "  a: {required: true}\n" + decisions,
       {{"E-missing-key", 6, 6, "field 'a' needs a 'type' key", ""}}},
      {"missing when of a rule",
       std::string(kHead) + "decisions:\n  d:\n    rules:\n      - {id: r, then: A}\n",
       {{"E-missing-key", 9, 9, "rule 'r' needs a 'when' key", ""}}},
      {"missing rules of a decision",
       std::string(kHead) + "decisions:\n  d:\n    default: A\n",
       {{"E-missing-key", 8, 5, "decision 'd' needs a 'rules' key", ""}}},
      {"missing file of a list",
       std::string(kHead) + "lists:\n  l: {key: network}\n" + decisions,
       {{"E-missing-key", 7, 6, "list 'l' needs a 'file' key", ""}}},
      {"missing aliases of a named-set entry",
       std::string(kHead) +
           "named_sets:\n  s:\n    field: network\n    entries:\n"
           "      - {key: k}\n" +
           decisions,
       {{"E-missing-key", 10, 9, "an entry of named set 's' needs a 'aliases' key", ""}}},
      {"fields is a list",
       "chanrules: 1\nname: t\nversion: \"1\"\nfields: [a]\n" + decisions,
       {{"E-shape", 4, 9, "'fields' must be a mapping, not a list", ""}}},
      {"fields is empty",
       "chanrules: 1\nname: t\nversion: \"1\"\nfields: {}\n" + decisions,
       {{"E-shape", 4, 9, "'fields' declares no field", ""}}},
      {"decisions is empty",
       std::string(kHead) + "decisions: {}\n",
       {{"E-shape", 6, 12, "'decisions' declares no decision", ""}}},
      {"name is a list",
       "chanrules: 1\nname: [t]\nversion: \"1\"\nfields:\n"
       "  network: {type: enum, values: [S, R], required: true}\n" +
           decisions,
       {{"E-shape", 2, 7, "name must be a single value, not a list", ""}}},
      {"the rule set is a list",
       "- chanrules: 1\n",
       {{"E-shape", 1, 1, "the rule set must be a mapping, not a list", ""}}},
      {"the rule set is a scalar",
       "chanrules\n",
       {{"E-shape", 1, 1, "the rule set must be a mapping, not a single value", ""}}},
      {"rules is a mapping",
       std::string(kHead) + "decisions:\n  d:\n    rules: {a: 1}\n",
       {{"E-shape", 8, 12, "'rules' must be a list, not a mapping", ""}}},
      {"a rule is a scalar",
       std::string(kHead) + "decisions:\n  d:\n    rules: [r]\n",
       {{"E-shape", 8, 13, "a rule of decision 'd' must be a mapping, not a single value", ""}}},
      {"then is a list",
       std::string(kHead) + "decisions:\n  d:\n    rules:\n"
                            "      - {id: r, when: network == S, then: [A]}\n",
       {{"E-shape", 9, 43, "'then' must be a class label or {from: NAME}, not a list", ""}}},
      {"then is a mapping without from",
       std::string(kHead) + "decisions:\n  d:\n    rules:\n"
                            "      - {id: r, when: network == S, then: {form: x}}\n",
       {{"E-missing-key", 9, 43, "'then' needs a 'from' key", ""},
        {"E-unknown-key", 9, 44, "unknown key 'form' in 'then'", "did you mean 'from'?"}}},
      {"enum values is a scalar",
       "chanrules: 1\nname: t\nversion: \"1\"\nfields:\n"
       "  network: {type: enum, values: S, required: true}\n" +
           decisions,
       {{"E-shape", 5, 33, "'values' must be a list, not a single value", ""}}},
      {"an enum value is a list",
       "chanrules: 1\nname: t\nversion: \"1\"\nfields:\n"
       "  network: {type: enum, values: [S, [R]], required: true}\n" +
           decisions,
       {{"E-shape", 5, 37, "each entry of 'values' must be a single value", ""}}},
      {"required: yes",
       std::string(kHead) + "  a: {type: string, required: yes}\n" + decisions,
       {{"E-bad-boolean", 6, 31, "'required' must be true or false",
         "write exactly true or false (not yes/no/on/off)"}}},
      {"required: \"true\" (quoted)",
       std::string(kHead) + "  a: {type: string, required: \"true\"}\n" + decisions,
       {{"E-bad-boolean", 6, 31, "'required' must be true or false",
         "write exactly true or false (not yes/no/on/off)"}}},
      {"output: 1",
       std::string(kHead) + "decisions:\n  d:\n    output: 1\n    rules:\n"
                            "      - {id: r, when: network == S, then: A}\n",
       {{"E-bad-boolean", 8, 13, "'output' must be true or false",
         "write exactly true or false (not yes/no/on/off)"}}},
      {"chanrules: 2",
       "chanrules: 2\nname: t\nversion: \"1\"\nfields:\n"
       "  network: {type: enum, values: [S, R], required: true}\n" +
           decisions,
       {{"E-version", 1, 12, "unsupported rule language version",
         "this chanrules reads 'chanrules: 1'"}}},
      {"chanrules: 1.0",
       "chanrules: 1.0\nname: t\nversion: \"1\"\nfields:\n"
       "  network: {type: enum, values: [S, R], required: true}\n" +
           decisions,
       {{"E-version", 1, 12, "unsupported rule language version",
         "this chanrules reads 'chanrules: 1'"}}},
  };
}

TEST(LoadShape, EachShapeErrorIsReportedWithItsPosition) {
  for (const shape_case& c : shape_cases()) {
    SCOPED_TRACE(c.name);
    load_result r = load_text(c.yaml);
    EXPECT_FALSE(r.ok());
    expect_diagnostics(r.diagnostics, c.expected);
  }
}

TEST(LoadShape, ShapeErrorsAreAllCollected) {
  // Loading goes on after a shape error, so one run reports every problem in file order.
  std::string yaml =
      "chanrules: 1\n"
      "name: t\n"
      "version: \"1\"\n"
      "fields:\n"
      "  a: {type: string, requird: true}\n"
      "  b: {type: integer, trim: no}\n"
      "decisions:\n"
      "  d:\n"
      "    rules:\n"
      "      - {id: r, when: a == \"x\", then: A, than: B}\n";
  load_result r = load_text(yaml);
  expect_diagnostics(
      r.diagnostics,
      {{"E-unknown-key", 5, 21, "unknown key 'requird' in field 'a'", "did you mean 'required'?"},
       {"E-bad-boolean", 6, 28, "'trim' must be true or false",
        "write exactly true or false (not yes/no/on/off)"},
       {"E-unknown-key", 10, 42, "unknown key 'than' in a rule", "did you mean 'then'?"}});
}

// ---- map_scalar_offsets ----------------------------------------------------------------------

struct line_col {
  uint32_t line;
  uint32_t column;
  bool operator==(const line_col&) const = default;
};

std::ostream& operator<<(std::ostream& os, const line_col& p) {
  return os << p.line << ":" << p.column;
}

// Parses `yaml` (a mapping whose first key is `when`), maps the scalar's bytes back to the file and
// checks that every non-blank byte of the value maps to the very same byte of the source
// (unless the scalar has escapes, whose bytes are not in the source as such).
// Returns the file position of the first occurrence of `needle` in the value.
line_col position_in_file(const std::string& yaml, std::string_view needle, bool exact = true) {
  auto file = std::make_shared<const detail::source_file>("w.yaml", yaml);
  std::vector<diagnostic> diags;
  auto root = detail::parse_yaml(file, {}, diags);
  if (!root || root->map_size() < 1 || root->key(0).text != "when" ||
      root->value(0).kind != detail::ynode_kind::scalar) {
    ADD_FAILURE() << "no 'when' scalar first: " << describe(diags);
    return {0, 0};
  }
  const detail::ynode& value = root->value(0);
  std::vector<size_t> offsets = detail::map_scalar_offsets(yaml, value.offset, value.text);
  EXPECT_EQ(offsets.size(), value.text.size() + 1);
  for (size_t i = 0; i < value.text.size(); ++i) {
    char c = value.text[i];
    if (!exact || c == ' ' || c == '\n' || c == '\t') continue;
    EXPECT_EQ(yaml[offsets[i]], c) << "byte " << i << " of " << value.text;
  }
  size_t at = value.text.find(needle);
  if (at == std::string::npos) {
    ADD_FAILURE() << "'" << needle << "' not in '" << value.text << "'";
    return {0, 0};
  }
  source_location loc = file->location_of(offsets[at]);
  return {loc.line, loc.column};
}

TEST(MapScalarOffsets, PlainScalarOnOneLine) {
  std::string yaml = "when: a == b\n";
  std::vector<size_t> offsets = detail::map_scalar_offsets(yaml, 6, "a == b");
  EXPECT_EQ(offsets, (std::vector<size_t>{6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(position_in_file(yaml, "b"), (line_col{1, 12}));
}

TEST(MapScalarOffsets, EveryScalarStyle) {
  struct {
    const char* style;
    std::string yaml;
    std::string_view needle;
    line_col expected;
  } cases[] = {
      {"plain, continued on the next line",
       "when: units >= 500 and\n  network == X\n",
       "X",
       {2, 14}},
      {"double-quoted over two lines",
       "when: \"units >= 500 and\n  network == X\"\n",
       "X",
       {2, 14}},
      {"single-quoted with an escaped quote", "when: 'a == ''x'' and\n    b == Y'\n", "Y", {2, 10}},
      {"folded", "when: >\n  units >= 500 and\n  network == X\n", "X", {3, 14}},
      {"folded, more-indented second line",
       "when: >\n  units >= 500 and\n    network == X\n",
       "X",
       {3, 16}},
      {"folded, strip chomping", "when: >-\n  units >= 500\n  and network == X\n", "X", {3, 18}},
      {"literal", "when: |\n  units >= 500 and\n  network == X\n", "X", {3, 14}},
      {"literal with an indentation indicator",
       "when: |2\n   units >= 500\n  and n == X\n",
       "X",
       {3, 12}},
      {"folded after Chinese text",
       "when: >\n  name == \"\xe5\x9b\xbd\xe7\xbe\x8e\" and\n"
       "  \xe5\x9b\xbd == X\n",
       "X",
       {3, 8}},
      {"first byte of a folded value", "when: >\n  units >= 500\n", "units", {2, 3}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.style);
    EXPECT_EQ(position_in_file(c.yaml, c.needle), c.expected);
  }
}

TEST(MapScalarOffsets, BlockScalarHeaderCommentIsNotPartOfTheValue) {
  // The comment after '>' repeats words of the condition; the value starts on the next line.
  std::string yaml = "when: >  # network check\n  network == X\n";
  EXPECT_EQ(position_in_file(yaml, "network"), (line_col{2, 3}));
  EXPECT_EQ(position_in_file(yaml, "X"), (line_col{2, 14}));
}

TEST(MapScalarOffsets, EscapesDoNotThrowTheRestOfTheFileOff) {
  // "\x6e" is an 'n' that does not appear in the source; alignment must stay inside the
  // scalar rather than jump to an 'n' further down the file.
  std::string yaml = "when: \"a == \\x6e and b == Q\"\nother: n\n";
  EXPECT_EQ(position_in_file(yaml, "Q", false), (line_col{1, 27}));
  std::string unicode = "when: \"\\u56fd == A and b == Q\"\nx: \xe5\x9b\xbd\n";
  EXPECT_EQ(position_in_file(unicode, "Q", false), (line_col{1, 29}));
}

// Condition errors reported through the whole pipeline point into the file.
TEST(MapScalarOffsets, ConditionErrorsPointAtTheFile) {
  struct {
    const char* style;
    std::string rule;  // the YAML of one rule, at 6 spaces of indentation
    uint32_t line;     // line within the rule (1 = its first line)
    uint32_t column;
  } cases[] = {
      {"folded, error on the second line",
       "      - id: r\n        when: >\n          network == S and\n          netwrk == R\n"
       "        then: A\n",
       4, 11},
      {"folded, error on the second line, more indented",
       "      - id: r\n        when: >\n          network == S and\n            netwrk == R\n"
       "        then: A\n",
       4, 13},
      {"literal, error on the second line",
       "      - id: r\n        when: |\n          network == S or\n          netwrk == R\n"
       "        then: A\n",
       4, 11},
      {"plain over two lines",
       "      - id: r\n        when: network == S or\n          netwrk == R\n        then: A\n", 3,
       11},
      {"double-quoted over two lines",
       "      - id: r\n        when: \"network == S or\n          netwrk == R\"\n        then: A\n",
       3, 11},
      {"folded with a header comment naming the field",
       "      - id: r\n        when: >  # netwrk\n          netwrk == R\n        then: A\n", 3, 11},
      {"double-quoted with an escape before the error",
       "      - id: r\n        when: \"network == \\x53 or netwrk == R\"\n        then: A\n", 2,
       35},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.style);
    std::string yaml = std::string(kHead) + "  netwok: {type: string}\n" +
                       "decisions:\n  d:\n    rules:\n" + c.rule +
                       "  e:\n    rules:\n      - {id: netwrk, when: netwok == \"S\", then: B}\n";
    load_result r = load_text(yaml);
    ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
    const diagnostic& d = r.diagnostics[0];
    EXPECT_EQ(d.code, "E-unknown-name");
    EXPECT_EQ(d.message, "unknown name 'netwrk'");
    EXPECT_EQ(d.location.line, 9 + c.line);
    EXPECT_EQ(d.location.column, c.column);
    EXPECT_EQ(d.caret_length, 6u);
  }
}

// ---- format() ----------------------------------------------------------------------------------

TEST(Format, GoldenTextOfALoadError) {
  load_result r = load_text(std::string(kValid) + "decsions: {}\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(format(r.diagnostics[0]),
            "rs.yaml:10:1: error: unknown key 'decsions' in the rule set [E-unknown-key]\n"
            "  decsions: {}\n"
            "  ^^^^^^^^\n"
            "  hint: did you mean 'decisions'?\n");
}

TEST(Format, CaretUnderTheRightColumn) {
  struct {
    const char* name;
    std::string line;
    uint32_t column;
    uint32_t length;
    std::string caret;  // the caret line as printed (after the two-space indent)
  } cases[] = {
      {"ASCII", "network == X", 12, 1, "           ^"},
      {"first column", "network == X", 1, 7, "^^^^^^^"},
      {"after two Chinese characters", "\xe5\x9b\xbd\xe7\xbe\x8e == X", 7, 1, "        ^"},
      {"under Chinese characters", "network == \xe8\x8b\x8f\xe5\xae\x81 or x", 12, 2,
       "           ^^^^"},
      {"after full-width letters", "\xef\xbc\xa7\xef\xbc\xaf\xef\xbc\xad\xef\xbc\xa5 x", 6, 1,
       "         ^"},
      {"after the ideographic space",
       "a\xe3\x80\x80"
       "b",
       3, 1, "   ^"},
      {"after a tab", "\tnetwork", 2, 3, "\t^^^"},
      {"after an accented letter (one column)", "caf\xc3\xa9 x", 6, 1, "     ^"},
      {"caret longer than the line is cut", "ab", 2, 5, " ^"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    diagnostic d;
    d.code = "E-x";
    d.location = {"f.yaml", 3, c.column};
    d.message = "m";
    d.source_line = c.line;
    d.caret_length = c.length;
    EXPECT_EQ(format(d), "f.yaml:3:" + std::to_string(c.column) + ": error: m [E-x]\n  " + c.line +
                             "\n  " + c.caret + "\n");
  }
}

TEST(Format, CaretAfterChineseTextInARealDiagnostic) {
  // The unknown name follows a Chinese id and a Chinese value: column 43 in code points,
  // 42 + 5 = 47 terminal columns before the caret.
  std::string yaml = std::string(kHead) +
                     "  name: {type: string}\n"
                     "named_sets:\n"
                     "  account: {field: name, entries: [{key: \xe5\x9b\xbd\xe7\xbe\x8e, aliases: "
                     "[\xe5\x9b\xbd\xe7\xbe\x8e]}]}\n"
                     "decisions:\n"
                     "  d:\n"
                     "    rules:\n"
                     "      - {id: \xe8\xa7\x84\xe5\x88\x99\xe4\xb8\x80, when: account == "
                     "\xe5\x9b\xbd\xe7\xbe\x8e and netwrk == S, then: A}\n";
  load_result r = load_text(yaml);
  ASSERT_EQ(r.diagnostics.size(), 1u) << describe(r.diagnostics);
  const diagnostic& d = r.diagnostics[0];
  EXPECT_EQ(d.location.line, 12u);
  EXPECT_EQ(d.location.column, 43u);
  EXPECT_EQ(format(d),
            "rs.yaml:12:43: error: unknown name 'netwrk' [E-unknown-name]\n"
            "        - {id: \xe8\xa7\x84\xe5\x88\x99\xe4\xb8\x80, when: account == "
            "\xe5\x9b\xbd\xe7\xbe\x8e and netwrk == S, then: A}\n  " +
                std::string(47, ' ') +
                "^^^^^^\n"
                "  hint: did you mean 'network'?\n");
}

TEST(Format, WithoutPositionOrSourceLine) {
  diagnostic d;
  d.level = severity::warning;
  d.code = "W-x";
  d.message = "something";
  EXPECT_EQ(format(d), "warning: something [W-x]\n");
  d.location.file = "f.csv";
  d.hint = "do this";
  EXPECT_EQ(format(d), "f.csv: warning: something [W-x]\n  hint: do this\n");
  d.location.line = 4;
  d.source_line = "text";  // no column: no caret
  EXPECT_EQ(format(d), "f.csv:4: warning: something [W-x]\n  hint: do this\n");
}

TEST(Format, LocationsCountCodePoints) {
  detail::source_file file("f", "a\n\xe5\x9b\xbd\xe7\xbe\x8e x\r\nlast");
  EXPECT_EQ(file.location_of(0).line, 1u);
  EXPECT_EQ(file.location_of(2).line, 2u);
  EXPECT_EQ(file.location_of(2).column, 1u);
  EXPECT_EQ(file.location_of(9).column, 4u);  // 'x' after two 3-byte characters and a space
  EXPECT_EQ(file.line_text(2), "\xe5\x9b\xbd\xe7\xbe\x8e x");  // without the \r
  EXPECT_EQ(file.line_text(3), "last");
  EXPECT_EQ(file.line_text(4), "");
  EXPECT_EQ(file.location_of(1000).line, 3u);  // clamped to the end
  EXPECT_EQ(file.location_of(1000).column, 5u);
}

TEST(Format, JsonOfADiagnostic) {
  load_result r = load_text(std::string(kValid) + "decsions: \"a\\tb\"\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(to_json(r.diagnostics[0]),
            "{\"severity\":\"error\",\"code\":\"E-unknown-key\",\"file\":\"rs.yaml\",\"line\":10,"
            "\"column\":1,\"message\":\"unknown key 'decsions' in the rule set\",\"hint\":\"did "
            "you mean 'decisions'?\"}");
}

}  // namespace
}  // namespace chanrules
