// libFuzzer target: rule-set loading, YAML text -> checked and compiled rule set, through the
// public API (rule_set::load_string: load, parse, check, graph, compile).
//
// Input: the YAML text, optionally followed by a line "#rows" and records, one per line,
// cells separated by ',' (each line filled into a batch in field order; short lines padded
// with missing cells). When the rule set loads, its dumps are made and every record is
// classified twice, by the batch executor and by the row-at-a-time interpreter (explain),
// which must agree. List files resolve in rules/channel-2009, so seeds may use its lists.
//
// Invariants: never crash, hang or leak; a refused rule set has at least one error; a
// loaded one has none; classify == explain.
#include <chanrules/rule_set.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"

using namespace chanrules;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto [yaml, rows_text] = fuzz::split_input(input, "\n#rows\n");
  static const std::string base = std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009";
  load_result loaded = rule_set::load_string(yaml, "<fuzz>", base);
  bool errors = has_errors(loaded.diagnostics);
  if (!loaded.ok()) {
    fuzz::fuzz_require(errors, "rule set refused without an error");
    for (const diagnostic& d : loaded.diagnostics) (void)format(d);
    return 0;
  }
  fuzz::fuzz_require(!errors, "rule set loaded despite errors");
  const rule_set& rules = *loaded.rules;
  (void)rules.dump_program();
  (void)rules.graph_dot();

  batch rows(rules);
  std::vector<std::string_view> cells;
  while (!rows_text.empty() && rows.size() < 64) {
    size_t eol = rows_text.find('\n');
    std::string_view line = rows_text.substr(0, eol);
    rows_text = eol == std::string_view::npos ? std::string_view() : rows_text.substr(eol + 1);
    cells.assign(rules.field_count(), std::string_view());
    for (size_t f = 0; f < cells.size() && !line.empty(); ++f) {
      size_t comma = line.find(',');
      cells[f] = line.substr(0, comma);
      line = comma == std::string_view::npos ? std::string_view() : line.substr(comma + 1);
    }
    (void)rows.add_record(cells);  // a bad cell is a result: the row is simply not added
  }
  if (rows.size() > 0) fuzz::require_classify_matches_explain(rules, rows);
  return 0;
}
