// chanrules::rule_set: a loaded, checked and compiled rule set.
//
//   auto loaded = chanrules::rule_set::load("rules/channel-2009");
//   if (!loaded.ok()) { for (auto& d : loaded.diagnostics) std::cerr << format(d); return 1; }
//   const chanrules::rule_set& rules = *loaded.rules;
//   chanrules::batch b(rules);
//   ... fill b ...
//   chanrules::classification result = rules.classify(b);
//
// Loading runs the whole pipeline: load (YAML) -> parse (conditions) -> check (names and
// types) -> graph (evaluation order, cycles, lint) -> compile (the flat program).
//
// Thread safety: a rule_set is immutable after loading; classify() and explain() may be
// called from any number of threads at once. It is shared through std::shared_ptr, and
// batches and results keep the compiled program alive on their own.
#pragma once

#include <chanrules/batch.h>
#include <chanrules/diagnostics.h>
#include <chanrules/result.h>
#include <chanrules/schema.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules {

namespace detail {
struct program;
struct model;
struct rule_set_access;
}  // namespace detail

struct load_options {
  // Allow list and test files outside the rule set's folder (refused by default).
  bool allow_outside_paths = false;
  // Limits on hostile input (see docs/reliability.md).
  size_t max_yaml_bytes = 16u << 20;
  uint32_t max_yaml_depth = 32;
  uint32_t max_condition_length = 64 * 1024;
  uint32_t max_condition_depth = 64;
  size_t max_rules = 100'000;
  size_t max_list_entries = 10'000'000;
  // Loading proves the contracts `hit: unique` and `complete: true` and refuses a rule set
  // that breaks one (E-overlap, E-gap). Off: load it anyway, e.g. to study its findings
  // with analyze().
  bool prove_contracts = true;
  // Search steps per question for that proof (see analysis_options).
  uint64_t max_analysis_steps = 10'000;
};

class rule_set;

struct load_result {
  std::shared_ptr<const rule_set> rules;  // null when there were errors
  std::vector<diagnostic> diagnostics;    // errors and warnings, in file order
  bool ok() const { return rules != nullptr; }
};

// What explain() returns for one record.
struct explanation {
  struct condition_trace {
    std::string text;    // the predicate as written, e.g. "market_tier <= T3"
    std::string value;   // the value it saw, e.g. "T4", or "(missing)" / "(none)"
    std::string result;  // "true", "false" or "unknown"
  };
  struct rule_trace {
    std::string id;
    std::string condition;  // the whole condition as written
    std::string result;     // "true", "false" or "unknown"
    std::vector<condition_trace> conditions;
    bool fired = false;
  };
  struct decision_trace {
    std::string name;
    std::string outcome;  // "" when none
    std::string rule_id;  // rule that fired, "default", or ""
    std::vector<std::string> missing_fields;
    // The rules tried, in order, up to the one that fired. Under `hit: priority` (and
    // collect min/max) they are tried by the rank of their outcome; under `hit: collect`
    // every rule is tried, and every rule that holds is marked as fired.
    std::vector<rule_trace> rules;
    // "priority", "collect", "collect count", "collect min" or "collect max"; "" for first
    // and unique (rules tried as written, up to the first that holds).
    std::string hit;
  };
  std::vector<std::string> problems;  // values that could not be read
  // In evaluation order; helper decisions (output: false) appear only when a rule needed
  // their value, just before the decision that needed it.
  std::vector<decision_trace> decisions;

  std::string to_text() const;
  std::string to_json() const;
};

// Options of rule_set::analyze().
struct analysis_options {
  // Partial records the search may try per question before it answers "cannot decide"
  // (reported as W-undecided). The shipped 2009 standard needs a few dozen at most.
  uint64_t max_steps = 2'000;
  // Steps for all questions together: a huge rule set's check ends in bounded time, and the
  // questions left when they are spent are reported as W-undecided.
  uint64_t max_total_steps = 300'000;
  // Before any search, random complete records (drawn uniformly, then per rule not yet won
  // drawn to make its condition true) are evaluated: a rule one of them reaches needs no
  // search. They only ever prove a rule reachable (or a default used), never the opposite,
  // so the answers stay exact; the seed is fixed, so they are repeatable. 0 turns them off.
  uint64_t samples = 4'096;
  uint64_t aimed_samples = 4'096;
};

// One finding of the analysis (docs/analysis.md).
struct analysis_finding {
  // "unreachable" (a rule that can never fire), "unused-default", "overlap" (two rules of a
  // `hit: unique` decision match one record), "gap" (a record of a `complete` decision meets
  // no rule), "undecided" (the step limit was reached).
  std::string kind;
  std::string decision;
  std::string rule_id;                      // the rule concerned ("" for the decision itself)
  std::vector<std::string> other_rule_ids;  // rules that shadow it / the rule it overlaps
  // Overlaps and gaps: a record that shows the defect (field -> cell text; fields not
  // listed are empty), and whether classifying it was seen to show the defect.
  std::map<std::string, std::string> example;
  bool example_verified = false;
  diagnostic diag;  // the same finding as a diagnostic (W-unreachable, E-overlap, E-gap, ...)
};

// One self-test of the rule set and how it went.
struct test_outcome {
  std::string name;
  source_location location;
  bool passed = false;
  std::vector<std::string> failures;  // one line per mismatch
  std::string trace;                  // explanation text when failed
};

class rule_set {
 public:
  // Loads `path`: a folder holding ruleset.yaml, or a YAML file.
  static load_result load(const std::string& path, const load_options& options = {});
  // Loads from text; `base_dir` is where list files are looked up; `name` is used in messages.
  static load_result load_string(std::string_view yaml, const std::string& name = "<string>",
                                 const std::string& base_dir = ".",
                                 const load_options& options = {});

  ~rule_set();
  rule_set(const rule_set&) = delete;
  rule_set& operator=(const rule_set&) = delete;

  const std::string& name() const;
  const std::string& version() const;
  const std::string& effective() const;

  // Fields (input columns), in declaration order.
  size_t field_count() const;
  const std::string& field_name(size_t i) const;
  bool field_required(size_t i) const;
  bool field_unique(size_t i) const;
  // Decisions in declaration order; outputs are the ones that become result columns.
  size_t decision_count() const;
  const std::string& decision_name(size_t i) const;
  bool decision_is_output(size_t i) const;
  std::vector<size_t> output_decisions() const;
  std::vector<size_t> evaluation_order() const;
  const std::vector<std::string>& outcome_labels(size_t decision) const;

  // What the rule set declares about its input (field types, bounds, enum values, the values
  // conditions compare fields with, lists, named sets): see chanrules/schema.h.
  rule_set_schema schema() const;
  // The keys of list `list` (an index into schema().lists) with each key's value label ("" in
  // a membership list), sorted by key.
  std::vector<std::pair<std::string, std::string>> list_entries(size_t list) const;

  // Classifies every row of the batch. The batch must have been made for this rule set.
  classification classify(const batch& rows) const;
  // The same, reusing `out`'s memory (no allocation when it already has room): the way to
  // classify a stream of batches.
  void classify(const batch& rows, classification& out) const;
  // Explains one row of a batch.
  explanation explain(const batch& rows, size_t row) const;
  // Explains one record given as field -> text pairs.
  explanation explain(const std::map<std::string, std::string>& record) const;

  // Proves properties of the rule set's decisions (docs/analysis.md): rules that can never
  // fire, unused defaults, and the contracts `hit: unique` and `complete: true` (which
  // loading already enforces). Counter-examples are checked by classifying them.
  std::vector<analysis_finding> analyze(const analysis_options& options = {}) const;

  // Runs the rule set's own tests.
  std::vector<test_outcome> run_tests() const;

  // Readable dumps of the pipeline stages (for `chanrules check --dump` and tests).
  std::string dump_program() const;
  std::string graph_dot() const;

  // Internal: the compiled program (for the executor and the bindings).
  const std::shared_ptr<const detail::program>& program() const { return program_; }

 private:
  friend struct detail::rule_set_access;
  rule_set() = default;
  std::shared_ptr<const detail::program> program_;
};

}  // namespace chanrules
