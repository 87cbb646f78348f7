// libFuzzer target: the condition parser (src/expr, Boost.Spirit X3), then the same condition
// checked, compiled and run inside a small fixed rule set.
//
// Input: the condition text. Steps and invariants:
//   1. expr::parse_condition() never crashes, never recurses past its depth limit; an error
//      points inside the text (offset <= size) and says something; a success dumps.
//   2. A condition that parses is put, as a double-quoted YAML scalar, into the rule set
//      below (fields of every type, a list, a named set, a helper decision) and loaded
//      through the public API; when it loads, fixed records are classified by the batch
//      executor and by explain(), which must agree on every decision.
#include <chanrules/rule_set.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "expr/ast.h"
#include "fuzz_support.h"

using namespace chanrules;

namespace {

// The condition goes where $WHEN$ is. Fields cover every type; `helper` and `account` and
// `samsung_list` let a condition test a decision, a named set and a list.
const char* kRuleSet = R"(chanrules: 1
name: fuzz-expr
version: "1"
fields:
  customer_id: {type: string, required: true, unique: true}
  customer_name: {type: string, trim: false}
  network: {type: enum, values: [S, W, R, O]}
  market_tier: {type: enum, values: [T1, T2, T3, T4, T5, T6], ordered: true}
  local_rank: {type: integer, min: 1}
  units: {type: decimal, min: 0}
  pickup: {type: boolean}
  opened: {type: date}
  note: {type: string}
lists:
  samsung_list: {file: lists/samsung.csv, key: customer_id, value: class, values: [SKA, RKA]}
named_sets:
  account:
    field: customer_name
    entries:
      - {key: GOME, aliases: [GOME, "\u56fd\u7f8e"]}
      - {key: Suning, aliases: [Suning]}
decisions:
  helper:
    output: false
    rules:
      - id: h-big
        when: local_rank <= 3
        then: BIG
    default: SMALL
  d:
    rules:
      - id: fuzzed
        when: "$WHEN$"
        then: HIT
      - id: copy
        when: network == S
        then: {from: helper}
    default: MISS
  e:
    rules:
      - id: on-d
        when: d == HIT and not (account is missing)
        then: {from: account}
    default: NONE
)";

// Records in field order: customer_id, customer_name, network, market_tier, local_rank,
// units, pickup, opened, note. Empty cells are missing values.
const std::vector<std::vector<std::string_view>> kRecords = {
    {"C1", "GOME store", "R", "T1", "1", "0", "true", "2009-10-19", "x"},
    {"C000197", "\xe5\x9b\xbd\xe7\xbe\x8e", "S", "T6", "99", "12.50", "false", "1999-01-01", ""},
    {"C3", "", "", "", "", "", "", "", ""},
    {"C4", "\xef\xbc\xa7\xef\xbc\xaf\xef\xbc\xad\xef\xbc\xa5", "W", "T3", "3", "4.99", "1",
     "2038-01-19", "DRA"},
    {"C5", "Suning", "O", "T4", "2147483648", "1000", "0", "2000-02-29", "T3"},
    {"C000257", "suning GOME", "R", "T2", "4", "500", "Y", "1970-01-01", "true"},
};

// A double-quoted YAML scalar holding `text` exactly (valid UTF-8 passes through).
std::string yaml_quoted(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = expr::parse_condition(text);
  if (auto* error = std::get_if<expr::parse_error>(&parsed)) {
    fuzz::fuzz_require(error->offset <= text.size(), "error offset past the end of the text");
    fuzz::fuzz_require(error->length >= 1, "error caret of length 0");
    fuzz::fuzz_require(!error->message.empty(), "error without a message");
    return 0;
  }
  const auto& ast = std::get<expr::condition_ast>(parsed);
  fuzz::fuzz_require(ast.root < ast.nodes.size(), "root outside the node arena");
  (void)expr::dump(ast);

  std::string yaml = kRuleSet;
  yaml.replace(yaml.find("$WHEN$"), 6, yaml_quoted(text));
  static const std::string base = std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009";
  load_result loaded = rule_set::load_string(yaml, "<fuzz-expr>", base);
  if (!loaded.ok()) {
    fuzz::fuzz_require(has_errors(loaded.diagnostics), "rule set refused without an error");
    for (const diagnostic& d : loaded.diagnostics) (void)format(d);
    return 0;
  }
  batch rows(*loaded.rules);
  for (const auto& record : kRecords)
    fuzz::fuzz_require(rows.add_record(record), "a fixed record was refused");
  fuzz::require_classify_matches_explain(*loaded.rules, rows);
  return 0;
}
