// Tests of the compile stage (src/compile): the program listing (dump) of a small rule set,
// predicate interning and condition-node sharing across decisions, how literals become
// column tests (integer fields against decimal literals, ordered enums, dates), the
// named-set matcher (name_matcher) and the list hash table (string_table).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chanrules/chanrules.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compile/name_matcher.h"
#include "compile/program.h"
#include "compile/string_table.h"
#include "exec/kernels.h"
#include "test_support.h"

namespace chanrules {
namespace {

using chanrules::testing::describe;

std::shared_ptr<const rule_set> load_ok(const std::string& yaml, const std::string& base = ".") {
  return chanrules::testing::load_ok(yaml, base, "c.yaml");
}

namespace fs = std::filesystem;

class Compiler : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "chanrules_compiler_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "vip.csv") << "id\nC1\nC2\n";
    std::ofstream(dir_ / "cls.csv") << "id,class\nC1,SKA\nC3,RKA\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// A rule set that exercises every kind of predicate, shared conditions, both list kinds and
// a named set.
const std::string kSmall =
    "chanrules: 1\n"
    "name: c\n"
    "version: \"1\"\n"
    "fields:\n"
    "  id: {type: string, required: true}\n"
    "  network: {type: enum, values: [S, W, R, O], required: true}\n"
    "  tier: {type: enum, values: [T1, T2, T3, T4], ordered: true}\n"
    "  units: {type: integer, min: 0}\n"
    "  avg: {type: decimal}\n"
    "  perm: {type: string}\n"
    "  pickup: {type: boolean}\n"
    "  opened: {type: date}\n"
    "lists:\n"
    "  vip: {file: vip.csv, key: id}\n"
    "  cls: {file: cls.csv, key: id, value: class, values: [SKA, RKA]}\n"
    "named_sets:\n"
    "  account: {field: perm, entries: [{key: G, aliases: [gome, \xe5\x9b\xbd\xe7\xbe\x8e]}, "
    "{key: S, aliases: [suning]}]}\n"
    "decisions:\n"
    "  helper:\n"
    "    output: false\n"
    "    rules:\n"
    "      - {id: h1, when: tier <= T2 and units >= 4.5, then: BIG}\n"
    "  main:\n"
    "    rules:\n"
    "      - {id: m1, when: network == S, then: {from: helper}}\n"
    "      - {id: m2, when: cls == SKA or vip, then: K}\n"
    "      - {id: m3, when: not (avg > 5) and perm == \"DRA\" and not pickup, then: D}\n"
    "      - {id: m4, when: account is not missing, then: {from: account}}\n"
    "    default: N\n"
    "  second:\n"
    "    rules:\n"
    "      - {id: s1, when: network == S, then: X}\n"
    "      - {id: s2, when: tier <= T2 and units > 4, then: Y}\n"
    "      - id: s3\n"
    "        when: perm in [\"DRA\", \"X\"] or avg between 1.5 and 2.25\n"
    "        then: Z\n"
    "      - {id: s4, when: opened >= 2009-10-19 and tier is missing, then: Z}\n";

TEST_F(Compiler, DumpOfASmallRuleSet) {
  auto rules = load_ok(kSmall, dir_.string());
  ASSERT_TRUE(rules);
  // Predicates are numbered in the order the checker meets them (declaration order);
  // decisions are listed in evaluation order: dependencies first (helper before main, which
  // uses it), otherwise in declaration order.
  EXPECT_EQ(rules->dump_program(),
            "program c 1\n"
            "predicates:\n"
            "  p0 tier in {T1 T2}\n"
            "  p1 units in [5, 9223372036854775807]\n"
            "  p2 network in {S}\n"
            "  p3 cls in {SKA}\n"
            "  p4 vip in {true}\n"
            "  p5 avg in [5.000000000000000000..., 42535295865117307932.921825928971026432]\n"
            "  p6 perm in {\"DRA\"}\n"
            "  p7 pickup in {true}\n"
            "  p8 account is-present\n"
            "  p9 perm in {\"DRA\" \"X\"}\n"
            "  p10 avg in [1.5, 2.25]\n"
            "  p11 opened in [14536, 9223372036854775807]\n"
            "  p12 tier is-missing\n"
            "nodes:\n"
            "  n0 p0\n"
            "  n1 p1\n"
            "  n2 and n0 n1\n"
            "  n3 p2\n"
            "  n4 p3\n"
            "  n5 p4\n"
            "  n6 or n4 n5\n"
            "  n7 p5\n"
            "  n8 not n7\n"
            "  n9 p6\n"
            "  n10 p7\n"
            "  n11 not n10\n"
            "  n12 and n8 n9 n11\n"
            "  n13 p8\n"
            "  n14 p9\n"
            "  n15 p10\n"
            "  n16 or n14 n15\n"
            "  n17 p11\n"
            "  n18 p12\n"
            "  n19 and n17 n18\n"
            "decisions:\n"
            "  helper (helper)\n"
            "    h1: n2 -> BIG\n"
            "  main\n"
            "    m1: n3 -> from helper\n"
            "    m2: n6 -> K\n"
            "    m3: n12 -> D\n"
            "    m4: n13 -> from account\n"
            "    default -> N\n"
            "  second\n"
            "    s1: n3 -> X\n"
            "    s2: n2 -> Y\n"
            "    s3: n16 -> Z\n"
            "    s4: n19 -> Z\n"
            "list table on id: 3 keys, lists vip cls\n"
            "named set account: 41 states, 34 byte classes\n");
}

TEST_F(Compiler, SharedPredicatesAndNodes) {
  auto rules = load_ok(kSmall, dir_.string());
  ASSERT_TRUE(rules);
  const detail::program& p = *rules->program();
  // `network == S` (main.m1, second.s1) is one predicate; `units >= 4.5` (helper) and
  // `units > 4` (second) are the same integer test, so the two `and`s are one node too.
  size_t network_preds = 0, units_preds = 0;
  for (const auto& pred : p.m.predicates) {
    network_preds += p.m.name_of(pred.subject) == "network";
    units_preds += p.m.name_of(pred.subject) == "units";
  }
  EXPECT_EQ(network_preds, 1u);
  EXPECT_EQ(units_preds, 1u);
  EXPECT_EQ(p.preds.size(), p.m.predicates.size());

  auto rule_node = [&](const std::string& decision, size_t rule) -> uint32_t {
    for (const auto& cd : p.plan)
      if (p.m.decisions[cd.decision].name == decision) return cd.rules.at(rule).node;
    ADD_FAILURE() << "no decision " << decision;
    return 0;
  };
  EXPECT_EQ(rule_node("main", 0), rule_node("second", 0));
  EXPECT_EQ(rule_node("helper", 0), rule_node("second", 1));
  EXPECT_NE(rule_node("second", 0), rule_node("second", 1));
  // Every node's children come before it, and no two nodes are the same.
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    for (uint32_t c : p.nodes[i].children) EXPECT_LT(c, i);
    for (size_t j = 0; j < i; ++j) {
      const auto &a = p.nodes[i], &b = p.nodes[j];
      EXPECT_FALSE(a.op == b.op && a.children == b.children && a.pred == b.pred &&
                   a.value == b.value)
          << "n" << i << " repeats n" << j;
    }
  }
  // Both lists share one table keyed by id; entries keep their own values per list.
  ASSERT_EQ(p.key_indexes.size(), 1u);
  const detail::key_index& k = p.key_indexes[0];
  EXPECT_EQ(k.table.size(), 3u);
  ASSERT_EQ(k.lists.size(), 2u);
  auto code = [&](std::string_view key, size_t pos) {
    uint32_t e = k.table.find(key);
    return e == detail::string_table::not_found ? detail::no_code : k.codes[e * 2 + pos];
  };
  EXPECT_EQ(code("C1", 0), 0);  // vip: listed
  EXPECT_EQ(code("C2", 0), 0);
  EXPECT_EQ(code("C3", 0), detail::no_code);  // not on vip
  EXPECT_EQ(code("C1", 1), 0);                // cls: SKA
  EXPECT_EQ(code("C3", 1), 1);                // cls: RKA
  EXPECT_EQ(code("C2", 1), detail::no_code);
  EXPECT_EQ(code("C9", 0), detail::no_code);
}

TEST(CompilerShare, ConditionNodesAreSharedAcrossDecisions) {
  const std::string yaml =
      "chanrules: 1\nname: c\nversion: \"1\"\n"
      "fields:\n"
      "  a: {type: boolean, required: true}\n"
      "  b: {type: boolean, required: true}\n"
      "  c: {type: boolean, required: true}\n"
      "decisions:\n"
      "  x:\n    rules:\n"
      "      - {id: x1, when: (a and b) or c, then: X}\n"
      "      - {id: x2, when: not (a and b), then: Y}\n"
      "  y:\n    rules:\n"
      "      - {id: y1, when: c or (a and b), then: X}\n"
      "      - {id: y2, when: a and b, then: Y}\n";
  auto rules = load_ok(yaml);
  ASSERT_TRUE(rules);
  // Predicates a, b, c (checked in declaration order); nodes are interned in evaluation
  // order (x first: independent decisions keep declaration order): (a and b) is one node
  // for all four rules, the two `or`s differ in the order of their children, and there is
  // one `not`.
  EXPECT_EQ(rules->dump_program(),
            "program c 1\n"
            "predicates:\n"
            "  p0 a in {true}\n"
            "  p1 b in {true}\n"
            "  p2 c in {true}\n"
            "nodes:\n"
            "  n0 p0\n"
            "  n1 p1\n"
            "  n2 and n0 n1\n"
            "  n3 p2\n"
            "  n4 or n2 n3\n"
            "  n5 not n2\n"
            "  n6 or n3 n2\n"
            "decisions:\n"
            "  x\n"
            "    x1: n4 -> X\n"
            "    x2: n5 -> Y\n"
            "  y\n"
            "    y1: n6 -> X\n"
            "    y2: n2 -> Y\n");
}

// ---- literals --------------------------------------------------------------------------------

struct pred_case {
  const char* condition;
  const char* expected;  // the predicate line of the dump, without "p0 "
};

// Compiles `condition` alone over fixed fields and returns the dump line of its predicate.
std::string predicate_line(const std::string& condition) {
  std::string yaml =
      "chanrules: 1\nname: c\nversion: \"1\"\n"
      "fields:\n"
      "  x: {type: integer, required: true}\n"
      "  tier: {type: enum, values: [T1, T2, T3, T4, T5, T6], ordered: true, required: true}\n"
      "  d: {type: decimal, required: true}\n"
      "  day: {type: date, required: true}\n"
      "decisions:\n  k:\n    rules:\n      - id: r\n        when: " +
      condition + "\n        then: A\n";
  auto rules = load_ok(yaml);
  if (!rules) return "(not loaded)";
  std::string dump = rules->dump_program();
  size_t b = dump.find("  p0 ");
  if (b == std::string::npos || dump.find("  p1 ") != std::string::npos)
    return "(not one predicate)";
  b += 5;
  return dump.substr(b, dump.find('\n', b) - b);
}

TEST(CompilerLiterals, IntegerFieldAgainstDecimalLiterals) {
  const pred_case cases[] = {
      {"x < 4.5", "x in [-9223372036854775808, 4]"},
      {"x <= 4.5", "x in [-9223372036854775808, 4]"},
      {"x >= 4.5", "x in [5, 9223372036854775807]"},
      {"x > 4.5", "x in [5, 9223372036854775807]"},
      {"x < 4", "x in [-9223372036854775808, 3]"},
      {"x > 4", "x in [5, 9223372036854775807]"},
      {"x <= 4.0", "x in [-9223372036854775808, 4]"},
      {"x == 4.5", "x in [5, 4]"},       // never
      {"x != 4.5", "x outside [5, 4]"},  // always
      {"x == 4.000", "x in [4, 4]"},
      {"x between 1.5 and 3.5", "x in [2, 3]"},
      {"x not between 1.5 and 3.5", "x outside [2, 3]"},
      {"x < -4.5", "x in [-9223372036854775808, -5]"},
      {"x >= -4.5", "x in [-4, 9223372036854775807]"},
      {"x > -0.5", "x in [0, 9223372036854775807]"},
      {"x < 0.000000000000000001", "x in [-9223372036854775808, 0]"},
      {"x in [3, 4, 5]", "x in [3, 5]"},
      {"x not in [5, 4]", "x outside [4, 5]"},
  };
  for (const pred_case& c : cases)
    EXPECT_EQ(predicate_line(c.condition), c.expected) << c.condition;
}

TEST(CompilerLiterals, OrderedEnumsDatesAndDecimals) {
  const pred_case cases[] = {
      {"tier <= T3", "tier in {T1 T2 T3}"},
      {"tier < T3", "tier in {T1 T2}"},
      {"tier > T4", "tier in {T5 T6}"},
      {"tier >= T6", "tier in {T6}"},
      {"tier < T1", "tier in {}"},
      {"tier between T2 and T4", "tier in {T2 T3 T4}"},
      // Negations are folded into the set of codes that make the predicate true.
      {"tier not between T2 and T4", "tier in {T1 T5 T6}"},
      {"tier != T2", "tier in {T1 T3 T4 T5 T6}"},
      {"tier not in [T1, T2, T3, T4, T5, T6]", "tier in {}"},
      {"tier in [T6, T1, T6]", "tier in {T1 T6}"},
      {"day >= 2009-10-19", "day in [14536, 9223372036854775807]"},
      {"day < 1970-01-01", "day in [-9223372036854775808, -1]"},
      {"day between 2008-02-28 and 2008-03-01", "day in [13937, 13939]"},
      {"d between 4.99 and 5", "d in [4.99, 5]"},
      {"d == 0.1", "d in [0.1, 0.1]"},
      {"d <= 4.999999999999999999",
       "d in [-42535295865117307932.921825928971026432, "
       "4.999999999999999999]"},
  };
  for (const pred_case& c : cases)
    EXPECT_EQ(predicate_line(c.condition), c.expected) << c.condition;
}

// Beyond 18 fractional digits a literal could not be compared exactly, so it is refused.
TEST(CompilerLiterals, LiteralsBeyondEighteenDigitsAreRefused) {
  const char* yaml = R"(chanrules: 1
name: c
version: "1"
fields:
  d: {type: decimal}
decisions:
  out:
    rules:
      - {id: r, when: "d <= 4.9999999999999999999", then: A}
)";
  load_result r = rule_set::load_string(yaml, "c.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "E-bad-number");
  EXPECT_EQ(r.diagnostics[0].message, "'4.9999999999999999999' is not a number chanrules can hold");
  EXPECT_EQ(r.diagnostics[0].location.line, 9u);
}

// ---- name_matcher
// ---------------------------------------------------------------------------------

// Aliases of the tests below; entry indices are the positions.
const std::vector<std::vector<std::string>> kAliases = {
    {"\xe5\x9b\xbd\xe7\xbe\x8e", "GOME"},    // 0: guomei (GOME)
    {"\xe8\x8b\x8f\xe5\xae\x81", "Suning"},  // 1: suning
    {"five star"},                           // 2
    {"abcd"},                                // 3
    {"bc"},                                  // 4
    {"he"},                                  // 5
    {"she", "hers"},                         // 6
    {"\xef\xbc\xb8\xef\xbc\xb9"},            // 7: XY written full-width
    {"end!"},                                // 8
};

TEST(NameMatcher, Matches) {
  detail::name_matcher m(kAliases);
  const uint16_t none = detail::name_matcher::no_match;
  struct {
    const char* name;
    std::string text;
    uint16_t expected;
  } cases[] = {
      {"exact alias", "GOME", 0},
      {"lower case", "gome store", 0},
      {"mixed case inside a name", "Tianjin GoMe Ltd", 0},
      {"full-width upper case", "\xef\xbc\xa7\xef\xbc\xaf\xef\xbc\xad\xef\xbc\xa5 store", 0},
      {"full-width lower case", "\xef\xbd\x87\xef\xbd\x8f\xef\xbd\x8d\xef\xbd\x85", 0},
      {"full-width and ASCII mixed", "GO\xef\xbc\xad\xef\xbd\x85", 0},
      {"Chinese alias", "\xe5\x9b\xbd\xe7\xbe\x8e\xe7\x94\xb5\xe5\x99\xa8", 0},
      {"ideographic space matches a space", "FIVE\xe3\x80\x80STAR shop", 2},
      {"two spaces are not one", "five  star", none},
      {"tie: both accounts in one name, the first entry wins",
       "\xe8\x8b\x8f\xe5\xae\x81 and \xe5\x9b\xbd\xe7\xbe\x8e", 0},
      {"tie the other way round", "gome suning", 0},
      {"overlapping aliases: the longer alias of an earlier entry", "xabcdx", 3},
      {"overlapping aliases: only the shorter one", "xbcdx", 4},
      {"overlapping aliases found through failure links", "ushers", 5},
      {"suffix alias of an earlier entry", "sheq", 5},
      {"alias at the very end", "a-end!", 8},
      {"alias at the very end, cut short", "a-end", none},
      {"full-width alias matched by ASCII text", "xy", 7},
      {"full-width alias at the very end", "zz \xef\xbc\xb8\xef\xbc\xb9", 7},
      {"empty text", "", none},
      {"no alias", "Shanghai Mobile Co.", none},
      {"a prefix of an alias is not a match", "gom", none},
      {"an alias split by another character is not a match", "go-me", none},
      {"a truncated full-width form is left alone", "GOM\xef\xbc", none},
  };
  for (const auto& c : cases) EXPECT_EQ(m.match(c.text), c.expected) << c.name;
}

TEST(NameMatcher, AgreesWithANaiveSearch) {
  // Random texts over a small alphabet (with full-width and upper-case forms): the automaton
  // must give the smallest entry index among the aliases that occur in the normalized text.
  // Pieces include the starts of the three-byte forms that fold (EF, EF BC, E3 80) on their
  // own, so the automaton's pending-prefix states are exercised too.
  const std::vector<std::vector<std::string>> aliases = {
      {"ab", "ba"},     {"aab"},          {"b"}, {"abc", "cab"}, {"ccc"},
      {"c c"},          {"\xef\xbc\x80"},  // U+FF00: not a foldable form, matched byte for byte
      {"\xe3\x81\x82z"}};                  // a kana, then z
  detail::name_matcher m(aliases);
  const std::vector<std::string> pieces = {"a",
                                           "b",
                                           "c",
                                           "A",
                                           "B",
                                           "C",
                                           "\xef\xbd\x81",
                                           "\xef\xbc\xa2",
                                           "x",
                                           "z",
                                           " ",
                                           "\xe3\x80\x80",
                                           "\xef",
                                           "\xef\xbc",
                                           "\xef\xbd",
                                           "\xe3",
                                           "\x80",
                                           "\xbc",
                                           "\xe3\x80",
                                           "\xe3\x81\x82",
                                           "\xef\xbc\x80"};
  std::mt19937 rng(2009);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int len = static_cast<int>(rng() % 12);
    for (int j = 0; j < len; ++j) text += pieces[rng() % pieces.size()];
    std::string norm = detail::name_matcher::normalize(text);
    uint16_t expected = detail::name_matcher::no_match;
    for (size_t e = 0; e < aliases.size() && expected == detail::name_matcher::no_match; ++e)
      for (const std::string& a : aliases[e])
        if (norm.find(detail::name_matcher::normalize(a)) != std::string::npos) expected = e;
    ASSERT_EQ(m.match(text), expected) << text;
  }
}

// match_many() over random texts must agree with match() text by text. The arena is a heap
// block of exactly its size, so a read past its end (the SIMD prefilter reads ahead) is
// caught by AddressSanitizer.
void expect_match_many_agrees(const detail::name_matcher& m, const std::vector<std::string>& pieces,
                              uint32_t seed) {
  std::mt19937 rng(seed);
  // More texts than one chunk of match_many, of every length up to well past its buckets.
  const size_t n = 2500;
  std::string text_arena;
  std::vector<uint32_t> offsets(n), lengths(n);
  std::unique_ptr<bool[]> present(new bool[n]);
  for (size_t i = 0; i < n; ++i) {
    std::string text;
    size_t len = rng() % 5 == 0 ? rng() % 40 : rng() % 4;
    for (size_t j = 0; j < len; ++j) text += pieces[rng() % pieces.size()];
    offsets[i] = static_cast<uint32_t>(text_arena.size());
    lengths[i] = static_cast<uint32_t>(text.size());
    present[i] = rng() % 7 != 0;
    text_arena += text;
  }
  present[n - 1] = true;  // the last text ends the arena
  std::unique_ptr<char[]> arena(new char[text_arena.size()]);
  std::memcpy(arena.get(), text_arena.data(), text_arena.size());
  std::vector<uint16_t> out(n, 12345);
  m.match_many(arena.get(), text_arena.size(), offsets.data(), lengths.data(), present.get(), n,
               out.data());
  for (size_t i = 0; i < n; ++i) {
    std::string_view text(text_arena.data() + offsets[i], lengths[i]);
    ASSERT_EQ(out[i], present[i] ? m.match(text) : detail::name_matcher::no_match)
        << i << ": " << text;
  }
}

TEST(NameMatcher, MatchManyAgreesWithMatch) {
  const std::vector<std::string> pieces = {"gome",
                                           "GO",
                                           "me",
                                           "x",
                                           "\xe5\x9b\xbd",
                                           "\xe7\xbe\x8e",
                                           "suning",
                                           "\xef\xbc\xa7",
                                           "he",
                                           "rs",
                                           "end!",
                                           " ",
                                           "\xe3\x80\x80",
                                           "star",
                                           "Su",
                                           "NING",
                                           "\xe7",
                                           "\xef\xbd",
                                           "ab",
                                           "ba",
                                           "\xef\xbd\x81",
                                           "c",
                                           "\xe4\xb9\x90\xe8\xaf\xad"};
  // The aliases of these tests (one-letter and overlapping aliases: no prefilter).
  detail::name_matcher all(kAliases);
  expect_match_many_agrees(all, pieces, 4);
  // The named accounts of the 2009 rule set, and a few two-letter aliases: the prefilter
  // (when the CPU has AVX2) decides which texts the automaton reads at all.
  detail::name_matcher accounts({{"\xe5\x9b\xbd\xe7\xbe\x8e", "GOME"},
                                 {"\xe8\x8b\x8f\xe5\xae\x81", "Suning"},
                                 {"\xe4\xba\x94\xe6\x98\x9f\xe7\x94\xb5\xe5\x99\xa8"},
                                 {"\xe4\xb9\x90\xe8\xaf\xad"}});
  detail::name_matcher pairs({{"ab", "ba"}, {"ca"}});
  if (detail::kernels_use_avx2()) {
    EXPECT_TRUE(accounts.has_prefilter());
    EXPECT_TRUE(pairs.has_prefilter());
  }
  EXPECT_FALSE(all.has_prefilter() && !detail::kernels_use_avx2());
  expect_match_many_agrees(accounts, pieces, 5);
  expect_match_many_agrees(pairs, pieces, 6);
}

TEST(NameMatcher, Normalize) {
  EXPECT_EQ(detail::name_matcher::normalize("GoMe"), "gome");
  EXPECT_EQ(detail::name_matcher::normalize("\xef\xbc\xa7\xef\xbd\x8f\xe3\x80\x80!"), "go !");
  EXPECT_EQ(detail::name_matcher::normalize("\xef\xbc\x81\xef\xbd\x9e"), "!~");  // U+FF01, U+FF5E
  // Outside the full-width block: U+FF5F and U+FF00 are kept as they are.
  EXPECT_EQ(detail::name_matcher::normalize("\xef\xbd\x9f\xef\xbc\x80"),
            "\xef\xbd\x9f\xef\xbc\x80");
  EXPECT_EQ(detail::name_matcher::normalize("\xe5\x9b\xbd"), "\xe5\x9b\xbd");
  EXPECT_EQ(detail::name_matcher::normalize(""), "");
}

TEST(NameMatcher, EmptyAliasesAndNoEntries) {
  detail::name_matcher none(std::vector<std::vector<std::string>>{});
  EXPECT_EQ(none.match("anything"), detail::name_matcher::no_match);
  detail::name_matcher empty_alias({{""}, {"x"}});
  EXPECT_EQ(empty_alias.match("abc"), detail::name_matcher::no_match);
  EXPECT_EQ(empty_alias.match("axc"), 1);
}

// The limits: 4094 entries; 65536 states before minimisation, counted from the aliases
// alone (6 per trie node); the minimised table's cells, known once built. Each is refused
// with a limit_error carrying the aliases' fingerprint.
TEST(NameMatcher, Limits) {
  using limit_error = detail::name_matcher::limit_error;
  // States from the aliases alone: the root and the distinct non-empty beginnings of the
  // normalized aliases (case and full-width forms folded; empty aliases and repeats add
  // nothing).
  EXPECT_EQ(detail::name_matcher::automaton_states({}), 6u);
  EXPECT_EQ(detail::name_matcher::automaton_states({{"ab", "AC", ""}, {"ab", "\xef\xbc\xa1"}}),
            6u * 4);  // root, a, ab, ac
  EXPECT_EQ(detail::name_matcher::automaton_states({{"she", "hers"}, {"he"}}), 6u * 8);

  std::vector<std::vector<std::string>> entries;
  // Aliases d0000 ... d4093: the same length, so none holds another.
  auto alias = [](int i) {
    std::string digits = std::to_string(i);
    return "d" + std::string(4 - digits.size(), '0') + digits;
  };
  for (int i = 0; i < 4094; ++i) entries.push_back({alias(i)});
  detail::name_matcher at_limit(entries);  // 4094 entries: built
  EXPECT_EQ(at_limit.match("x d4093 y"), 4093);
  EXPECT_EQ(at_limit.match("d4093d0040"), 40);  // the first entry wins
  entries.push_back({alias(4094)});
  try {
    detail::name_matcher over(entries);
    ADD_FAILURE() << "4095 entries were accepted";
  } catch (const limit_error& e) {
    EXPECT_EQ(e.which, limit_error::limit::entries);
    EXPECT_EQ(e.value, 4095u);
    EXPECT_EQ(e.fingerprint, detail::name_matcher::fingerprint(entries));
    EXPECT_STREQ(e.what(), "a named set holds at most 4094 entries; this one has 4095");
  }

  // 10,922 trie nodes (65,532 states) is the most; one more node is refused before the trie
  // is built. One alias of n bytes has n beginnings: n + 1 nodes. (Built at the limit in
  // NameMatcher.BuildsAtTheLimits.)
  EXPECT_EQ(detail::name_matcher::automaton_states({{std::string(10921, 'x')}}), 65532u);
  try {
    detail::name_matcher over({{std::string(10922, 'x')}});
    ADD_FAILURE() << "65538 states were accepted";
  } catch (const limit_error& e) {
    EXPECT_EQ(e.which, limit_error::limit::states);
    EXPECT_EQ(e.value, 65538u);
    EXPECT_STREQ(e.what(),
                 "the automaton needs 65538 states before minimisation; the limit is 65536");
  }

  // Many short random aliases over many bytes: within the states, but the minimised table
  // (about 8,700 states x 135 byte classes) is over 2^20 - 1 cells.
  std::mt19937 rng(7);
  std::vector<std::vector<std::string>> random_aliases;
  for (int i = 0; i < 3500; ++i) {
    std::string a;
    for (int k = 0; k < 3; ++k) a += static_cast<char>('!' + rng() % 94);
    random_aliases.push_back({a});
  }
  ASSERT_LE(detail::name_matcher::automaton_states(random_aliases),
            detail::name_matcher::max_states);
  try {
    detail::name_matcher over(random_aliases);
    ADD_FAILURE() << "a table of " << over.states() * over.byte_classes() << " cells was built";
  } catch (const limit_error& e) {
    EXPECT_EQ(e.which, limit_error::limit::cells);
    EXPECT_GT(e.value, detail::name_matcher::max_cells);
    EXPECT_EQ(e.fingerprint, detail::name_matcher::fingerprint(random_aliases));
    EXPECT_NE(std::string(e.what()).find("table cells; the limit is 1048575"), std::string::npos)
        << e.what();
  }
  // automaton_states agrees with counting the distinct beginnings one by one.
  for (int round = 0; round < 20; ++round) {
    std::vector<std::vector<std::string>> aliases(1 + rng() % 5);
    std::set<std::string> beginnings;
    for (auto& entry : aliases)
      for (int k = rng() % 6; k > 0; --k) {
        std::string a;
        for (int n = rng() % 6; n > 0; --n) a += "aAbB\xef\xbc\xa1"[rng() % 7];
        entry.push_back(a);
        std::string norm = detail::name_matcher::normalize(a);
        for (size_t len = 1; len <= norm.size(); ++len) beginnings.insert(norm.substr(0, len));
      }
    EXPECT_EQ(detail::name_matcher::automaton_states(aliases), 6 * (1 + beginnings.size()));
  }
  // The fingerprint tells sets apart by any byte and by how aliases group into entries.
  EXPECT_NE(detail::name_matcher::fingerprint({{"ab"}}),
            detail::name_matcher::fingerprint({{"ac"}}));
  EXPECT_NE(detail::name_matcher::fingerprint({{"a", "b"}}),
            detail::name_matcher::fingerprint({{"a"}, {"b"}}));
  EXPECT_NE(detail::name_matcher::fingerprint({{"ab"}}),
            detail::name_matcher::fingerprint({{"a", "b"}}));
}

// Sets at the limits are built and match: the longest alias the states allow (10,920
// bytes and a one-byte alias, one chain; the minimisation once needed a round per byte of it), a
// Chinese one as long, and 4094 entries that use up the states too. Correctness only: how long they
// take is measured by bench_stages (BM_NameMatcherBuild).
TEST(NameMatcher, BuildsAtTheLimits) {
  // 10,920 x's and "y": 10,922 trie nodes, 65,532 states.
  const std::string xs(10920, 'x');
  ASSERT_EQ(detail::name_matcher::automaton_states({{"y"}, {xs}}), 65532u);
  detail::name_matcher chain({{"y"}, {xs}});
  EXPECT_EQ(chain.match("a" + xs + "b"), 1);
  EXPECT_EQ(chain.match(std::string(10919, 'x')), detail::name_matcher::no_match);
  EXPECT_EQ(chain.match(xs.substr(0, 5000) + "X" + xs.substr(5001)), 1);             // case folded
  EXPECT_EQ(chain.match(xs.substr(0, 5000) + "\xef\xbd\x98" + xs.substr(5001)), 1);  // full width
  EXPECT_EQ(chain.match(xs.substr(0, 5000) + "-" + xs.substr(5001)),
            detail::name_matcher::no_match);
  EXPECT_EQ(chain.match(xs + "y"), 0);  // the first entry wins

  // 3,639 Chinese characters (10,917 bytes, 65,508 states).
  std::mt19937 rng(11);
  std::string cjk;
  while (cjk.size() < 10917) {
    const unsigned cp = 0x4E00 + rng() % 0x5000;
    cjk += static_cast<char>(0xE0 | (cp >> 12));
    cjk += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    cjk += static_cast<char>(0x80 | (cp & 0x3F));
  }
  ASSERT_LE(detail::name_matcher::automaton_states({{cjk}}), detail::name_matcher::max_states);
  detail::name_matcher chinese({{cjk}});
  EXPECT_EQ(chinese.match("\xe5\x9b\xbd" + cjk), 0);
  EXPECT_EQ(chinese.match(cjk.substr(0, cjk.size() - 3)), detail::name_matcher::no_match);
  EXPECT_EQ(chinese.match(cjk.substr(3)), detail::name_matcher::no_match);

  // 4094 entries of two aliases each, 53,370 states.
  std::vector<std::vector<std::string>> entries;
  for (int i = 0; i < 4094; ++i) {
    std::string a = "\xe5\x9b\xbd";
    a += static_cast<char>('a' + i % 26);
    a += static_cast<char>('a' + i / 26 % 26);
    a += static_cast<char>('0' + i / 676);
    entries.push_back({a, "X" + std::to_string(i)});
  }
  ASSERT_LE(detail::name_matcher::automaton_states(entries), detail::name_matcher::max_states);
  detail::name_matcher many(entries);
  EXPECT_EQ(many.match("shop \xe5\x9b\xbd"
                       "ba0"),
            1);
  EXPECT_EQ(many.match("shop \xe5\x9b\xbd"
                       "BA0 x4093"),
            1);
  // "x4", "x40", "x409" and "x4093" all occur: the first of their entries wins.
  EXPECT_EQ(many.match("shop X4093"), 4);
  EXPECT_EQ(many.match("shop \xef\xbd\x98"
                       "4093"),
            4);
  EXPECT_EQ(many.match("shop x5093"), 5);
  EXPECT_EQ(many.match("shop x"), detail::name_matcher::no_match);
}

// The automaton against the definition, on random sets: the first entry (in declaration
// order) one of whose normalized aliases occurs in the normalized text. Aliases are short or
// long (up to a few thousand bytes, so that the minimisation has deep chains to split), and
// texts either random or holding an alias (or most of one) spelled with random case and
// full-width forms, between stray bytes that start a fold (EF, E3 80).
TEST(NameMatcher, AgreesWithANaiveSearchOnRandomSets) {
  const std::vector<std::string> pieces = {"a",
                                           "b",
                                           "c",
                                           "x",
                                           "A",
                                           "B",
                                           " ",
                                           "!",
                                           "~",
                                           "\xe3\x80\x80",
                                           "\xef\xbd\x81",
                                           "\xef\xbc\xa2",
                                           "\xef",
                                           "\xbc",
                                           "\xef\xbc",
                                           "\xef\xbd",
                                           "\xe3",
                                           "\xe3\x80",
                                           "\x80",
                                           "\xe5\x9b\xbd",
                                           "\xe7\xbe\x8e",
                                           "\xef\xbc\x80",
                                           "\xef\xbd\x9f"};
  // Aliases are valid UTF-8, as the loader gives them: the automaton decides a pending
  // EF / EF BC / EF BD / E3 / E3 80 only when the next byte comes, so an alias that ends
  // in one (not a whole character) would go unmatched at the very end of a text.
  std::vector<std::string> whole;
  for (const std::string& p : pieces)
    if (p.size() == 3 || static_cast<unsigned char>(p[0]) < 0x80) whole.push_back(p);
  // One random spelling of a normalized text (ASCII letters in either case, printable ASCII
  // possibly full width, a space possibly ideographic).
  auto respell = [](const std::string& norm, std::mt19937& rng) {
    std::string out;
    for (char ch : norm) {
      unsigned c = static_cast<unsigned char>(ch);
      if (c >= 'a' && c <= 'z' && rng() % 2) c -= 'a' - 'A';
      if (c == ' ' && rng() % 2) {
        out += "\xe3\x80\x80";
      } else if (c >= 0x21 && c <= 0x7E && rng() % 3 == 0) {
        const unsigned cp = 0xFF01 + (c - 0x21);
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  };
  std::mt19937 rng(2024);
  for (int round = 0; round < 60; ++round) {
    std::vector<std::vector<std::string>> aliases(1 + rng() % 6);
    for (auto& entry : aliases)
      for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) {
        // Mostly short; some long, some long over two letters (deep chains that share
        // beginnings and suffixes).
        const int kind = static_cast<int>(rng() % 6);
        const size_t len = kind == 0   ? 200 + rng() % 3000
                           : kind == 1 ? 50 + rng() % 500
                                       : 1 + rng() % 6;
        std::string a;
        for (size_t j = 0; j < len; ++j)
          a += kind == 1 ? whole[rng() % 2] : whole[rng() % whole.size()];
        entry.push_back(a);
      }
    if (detail::name_matcher::automaton_states(aliases) > detail::name_matcher::max_states)
      continue;
    std::vector<std::string> norms;  // normalized aliases, entry by entry
    std::vector<size_t> entry_of;
    for (size_t e = 0; e < aliases.size(); ++e)
      for (const std::string& a : aliases[e]) {
        norms.push_back(detail::name_matcher::normalize(a));
        entry_of.push_back(e);
      }
    std::unique_ptr<detail::name_matcher> m;
    try {
      m = std::make_unique<detail::name_matcher>(aliases);
    } catch (const detail::name_matcher::limit_error& e) {
      ASSERT_EQ(e.which, detail::name_matcher::limit_error::limit::cells) << e.what();
      continue;  // a table too large: refused, as it should be
    }
    for (int t = 0; t < 300; ++t) {
      std::string text;
      for (int j = static_cast<int>(rng() % 8); j > 0; --j) text += pieces[rng() % pieces.size()];
      if (rng() % 2) {
        const size_t i = rng() % norms.size();
        std::string part = norms[i];
        if (rng() % 3 == 0 && !part.empty()) part.resize(rng() % part.size());  // most of it
        text += respell(part, rng);
        for (int j = static_cast<int>(rng() % 4); j > 0; --j) text += pieces[rng() % pieces.size()];
      }
      const std::string norm = detail::name_matcher::normalize(text);
      uint16_t expected = detail::name_matcher::no_match;
      for (size_t i = 0; i < norms.size() && expected == detail::name_matcher::no_match; ++i)
        if (!norms[i].empty() && norm.find(norms[i]) != std::string::npos)
          expected = static_cast<uint16_t>(entry_of[i]);
      ASSERT_EQ(m->match(text), expected)
          << "round " << round << ", text of " << text.size() << " bytes";
    }
  }
}

// ---- string_table
// ---------------------------------------------------------------------------------

TEST(StringTable, InsertAndFind) {
  detail::string_table t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find("C1"), detail::string_table::not_found);
  EXPECT_EQ(t.insert("C1"), 0u);
  EXPECT_EQ(t.insert("C2"), 1u);
  EXPECT_EQ(t.insert("C1"), 0u);  // already there
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.find("C1"), 0u);
  EXPECT_EQ(t.find("C2"), 1u);
  EXPECT_EQ(t.find("C3"), detail::string_table::not_found);
  EXPECT_EQ(t.find("C"), detail::string_table::not_found);
  EXPECT_EQ(t.find("C12"), detail::string_table::not_found);
  EXPECT_EQ(t.key(1), "C2");
}

TEST(StringTable, EmptyKeyAndBinaryKeys) {
  detail::string_table t;
  EXPECT_EQ(t.find(std::string_view()), detail::string_table::not_found);
  EXPECT_EQ(t.insert(""), 0u);
  EXPECT_EQ(t.find(std::string_view()), 0u);
  EXPECT_EQ(t.find(""), 0u);
  std::string with_nul("a\0b", 3);
  EXPECT_EQ(t.insert(with_nul), 1u);
  EXPECT_EQ(t.find(std::string_view("a", 1)), detail::string_table::not_found);
  EXPECT_EQ(t.find(with_nul), 1u);
  EXPECT_EQ(t.insert("\xe5\x9b\xbd\xe7\xbe\x8e"), 2u);
  EXPECT_EQ(t.find("\xe5\x9b\xbd\xe7\xbe\x8e"), 2u);
}

TEST(StringTable, ManyKeysThroughGrowth) {
  // Keys of every length around the 8-byte words of the hash, inserted across many growths.
  detail::string_table t;
  std::vector<std::string> keys;
  for (int i = 0; i < 50000; ++i) {
    std::string k = std::to_string(i);
    k.insert(k.begin(), 'C');  // (not "C" + ...: GCC 12 warns falsely on that, -Wrestrict)
    k += std::string(static_cast<size_t>(i % 19), static_cast<char>('a' + i % 26));
    keys.push_back(k);
  }
  size_t memory_before = t.memory_bytes();
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(t.insert(keys[i]), i) << keys[i];
    if (i % 997 == 0) {
      // Everything inserted so far is still found after each growth.
      for (size_t j = 0; j <= i; j += 101) ASSERT_EQ(t.find(keys[j]), j) << keys[j];
    }
  }
  EXPECT_GT(t.memory_bytes(), memory_before);
  EXPECT_EQ(t.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(t.find(keys[i]), i);
    ASSERT_EQ(t.key(static_cast<uint32_t>(i)), keys[i]);
  }
  // Missing keys: near misses of present keys.
  for (int i = 0; i < 50000; i += 7) {
    std::string d = std::to_string(i);
    d.insert(d.begin(), 'D');
    ASSERT_EQ(t.find(d), detail::string_table::not_found);
    ASSERT_EQ(t.find(keys[static_cast<size_t>(i)] + "!"), detail::string_table::not_found);
    ASSERT_EQ(t.find(std::string_view(keys[static_cast<size_t>(i)]).substr(1)),
              detail::string_table::not_found);
  }
}

TEST(StringTable, AgreesWithAHashMap) {
  std::mt19937 rng(7);
  detail::string_table t;
  std::unordered_map<std::string, uint32_t> ref;
  for (int i = 0; i < 20000; ++i) {
    std::string k(static_cast<size_t>(rng() % 12), 'x');
    for (char& c : k) c = static_cast<char>('0' + rng() % 4);
    if (rng() % 2) {
      uint32_t e = t.insert(k);
      auto [it, inserted] = ref.emplace(k, static_cast<uint32_t>(ref.size()));
      ASSERT_EQ(e, it->second) << k;
      (void)inserted;
    } else {
      auto it = ref.find(k);
      ASSERT_EQ(t.find(k), it == ref.end() ? detail::string_table::not_found : it->second) << k;
    }
  }
  EXPECT_EQ(t.size(), ref.size());
}

}  // namespace
}  // namespace chanrules
