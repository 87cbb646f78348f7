// Analysis stage: proves properties of a compiled rule set before it ships.
//
// For each decision it answers, exactly, questions of the form "is there a record such
// that ...": can this rule ever fire (or do earlier rules take every record it matches)?
// can two rules of a `hit: unique` decision match one record? can a record of a
// `complete` decision reach its default? A "yes" comes with a counter-example record.
//
// How: every input field's values are split into finitely many *atoms*, classes of values
// that no predicate of the rule set can tell apart (the integer ranges between the
// bounds the rules compare against, each enum value, each distinct combination of list
// values a key can have, each named-set entry a text can select, "missing"). A record is
// then a choice of one atom per field, and a depth-first search over those choices, with
// three-valued evaluation of the conditions on partial choices (a condition that is
// already false prunes the whole subtree), decides each question. Decisions that refer to
// other decisions are evaluated through them, so their correlation is exact.
//
// What is exact and what is not is documented in docs/analysis.md: fields with several
// named sets are the one approximation (the combinations of matches a text can have are
// sampled), and a search that exceeds its step budget answers "cannot decide".
#pragma once

#include <chanrules/diagnostics.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compile/program.h"

namespace chanrules::detail {

struct analysis_settings {
  // Search steps (partial records tried) per question before answering "cannot decide".
  uint64_t max_steps = 2'000;
  // Steps for all questions together, so that a huge rule set's check ends in bounded time;
  // the questions left when it is spent are answered "cannot decide".
  uint64_t max_total_steps = 300'000;
  // Only the contracts the decisions declare (`hit: unique`, `complete: true`): what loading
  // checks. Otherwise also unreachable rules and unused defaults (what `check` reports).
  bool contracts_only = false;
  // Random complete records tried before any search, and per rule still open records drawn
  // to make its condition true (see analyzer::sample_winners and analysis_options).
  uint64_t samples = 4'096;
  uint64_t aimed_samples = 4'096;
};

enum class finding_kind : uint8_t {
  unreachable_rule,  // the rule can never fire
  unused_default,    // the rules decide every record: the default is never used
  overlap,           // two rules of a `hit: unique` decision can match one record
  gap,               // a record of a `complete` decision reaches the default (or no rule)
  undecided,         // the search budget ran out
};

// A record as field name -> cell text, in field order; an empty text is a missing value.
using record = std::vector<std::pair<std::string, std::string>>;

struct finding {
  finding_kind kind = finding_kind::undecided;
  uint32_t decision = 0;
  int32_t rule = -1;             // the rule concerned; -1: the decision or its default
  std::vector<uint32_t> others;  // shadowing rules (unreachable), the other rule (overlap)
  // A record showing the defect (overlap, gap). Fields left out are missing.
  record example;
  diagnostic diag;
};

std::vector<finding> analyze(const program& p, const analysis_settings& settings);

// For each decision (by index) and each of its rules, a record for which that rule fires,
// or nothing when none exists (or the search gave up). Tests check each against the
// executor; it is also a way to generate one test record per rule.
std::vector<std::vector<std::optional<record>>> rule_witnesses(const program& p,
                                                               const analysis_settings& settings);

}  // namespace chanrules::detail
