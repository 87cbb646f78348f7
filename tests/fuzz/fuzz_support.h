// Shared helpers of the libFuzzer targets in tests/fuzz/ (and of their corpus replayers,
// which link the same targets to replay_main.cpp). Test-only code.
//
// A target reports a broken invariant with fuzz_require(), which prints what broke and
// aborts: libFuzzer (and the replay tests) then keep the input that did it.
#pragma once

#include <chanrules/rule_set.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules::fuzz {

[[noreturn]] inline void fuzz_fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void fuzz_require(bool ok, const std::string& what) {
  if (!ok) fuzz_fail(what);
}

// The batch executor (classify) and the row-at-a-time interpreter (explain) must agree on
// every decision of every row: outcome, rule and missing fields. A helper decision that no
// rule needed is absent from the explanation and has no outcome in the classification.
inline void require_classify_matches_explain(const rule_set& rules, const batch& rows) {
  classification result = rules.classify(rows);
  fuzz_require(result.rows() == rows.size(), "classification has the wrong number of rows");
  for (size_t row = 0; row < rows.size(); ++row) {
    explanation e = rules.explain(rows, row);
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
        fuzz_require(!rules.decision_is_output(d), "output decision " + name + " not explained");
      }
      std::string where = "row " + std::to_string(row) + " decision " + name + "\n" + e.to_text();
      fuzz_require(result.outcome(d, row) == outcome, "classify says '" +
                                                          std::string(result.outcome(d, row)) +
                                                          "', explain '" + outcome + "': " + where);
      fuzz_require(result.rule_id(d, row) == rule_id,
                   "classify's rule '" + std::string(result.rule_id(d, row)) + "', explain's '" +
                       rule_id + "': " + where);
      std::vector<std::string> got;
      for (auto f : result.missing_fields(d, row)) got.emplace_back(f);
      fuzz_require(got == missing, "missing fields differ: " + where);
      fuzz_require(result.missing(d, row) == !missing.empty(), "missing flag differs: " + where);
    }
  }
}

// Splits the input at the first occurrence of `separator` (e.g. a line of its own in a
// corpus file): the parts feed different inputs of one target.
inline std::pair<std::string_view, std::string_view> split_input(std::string_view data,
                                                                 std::string_view separator) {
  size_t at = data.find(separator);
  if (at == std::string_view::npos) return {data, {}};
  return {data.substr(0, at), data.substr(at + separator.size())};
}

}  // namespace chanrules::fuzz
