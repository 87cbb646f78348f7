// chanrules::coverage: what the records did in a rule set, counted rule by rule, and summed
// over any number of batches, threads, runs or machines.
//
// For every decision: the rows it was decided for, the rows its default decided, the rows
// left without an outcome, the rows decided with missing data; for every rule: the rows its
// condition was true for ("matched", whether or not an earlier rule won them), false for, or
// unknown for (a value it needs was missing), the rows it won (it gave the outcome), and the
// same true/false/unknown counts for every single condition of the rule. A rule that never
// won is a dead rule for these records.
//
//   chanrules::coverage cov(*rules);
//   for (each batch b) { auto result = rules->classify(b); cov.add(b, result); }
//   std::string json = cov.to_json();            // e.g. one file per Dask partition ...
//   auto back = chanrules::coverage::from_json(json, &why);
//   total += *back;                              // ... summed later, in any order
//
// Counts are exact and additive: adding two batches one after the other, or covering each in
// its own coverage and summing, gives the same numbers. Coverage of one rule set can only be
// summed with coverage of the same rule set: same name, same version and the same structure
// (decisions, rules, conditions and outcomes, summed up in a fingerprint); anything else is
// refused with a message that says which differs. List contents are not part of the
// structure (a new manufacturer list does not change which rules exist).
//
// Helper decisions (output: false) that no condition tests are decided only for the rows that
// copy their value (see chanrules/result.h); their counts cover just those rows.
//
// Thread safety: a coverage is a plain value. Fill one per thread and sum them; do not add
// to one coverage from two threads at once.
#pragma once

#include <chanrules/batch.h>
#include <chanrules/result.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules {

class rule_set;

namespace detail {
struct program;
struct coverage_state;
struct coverage_access;
}  // namespace detail

// One condition (a comparison, membership or `is missing` test) of a rule's `when`.
struct condition_coverage {
  std::string text;  // as written, e.g. "market_tier <= T3"
  uint64_t true_rows = 0;
  uint64_t false_rows = 0;
  uint64_t unknown_rows = 0;  // a value it needs was missing
};

struct rule_coverage {
  std::string id;
  std::string when;  // the whole condition as written, on one line
  std::string then;  // the outcome: a label, or "from NAME" for a copied value
  // Rows of the decision for which the whole condition was true, whether or not an earlier
  // rule had already decided them; matched + false_rows + unknown_rows = the decision's rows.
  uint64_t matched = 0;
  uint64_t false_rows = 0;
  uint64_t unknown_rows = 0;
  // Rows this rule decided (at most `matched`: an earlier rule may have won a row first, and
  // a rule that copies a value does not fire for a row where that value is absent).
  uint64_t won = 0;
  std::vector<condition_coverage> conditions;  // in the order explain() lists them
};

struct decision_coverage {
  std::string name;
  bool output = true;  // false: a helper decision
  // Rows the decision was decided for: every row, except for helpers used only by copying
  // their value (then the rows that copied it).
  uint64_t rows = 0;
  bool has_default = false;
  // hit: collect (with a list or a count): every rule that holds adds its outcome, so a rule
  // "wins" every row it matches (won == matched) and the wins may sum past `rows`.
  bool collects = false;
  std::string default_then;          // the default's outcome, as `then` above ("" without default)
  uint64_t by_default = 0;           // rows the default decided
  uint64_t no_outcome = 0;           // rows no rule and no default decided
  uint64_t with_missing = 0;         // rows decided with missing data (see classification::missing)
  std::vector<rule_coverage> rules;  // sum of won + by_default + no_outcome = rows
};

// Summing coverage of two different rule sets (operator+=).
class coverage_mismatch : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class coverage {
 public:
  // Empty, for no rule set yet: it takes the shape of the first coverage added to it, so
  // `coverage total; total += part;` sums parts without naming the rule set.
  coverage();
  // Zero counts for every decision and rule of `rules`.
  explicit coverage(const rule_set& rules);
  ~coverage();
  coverage(const coverage&);
  coverage& operator=(const coverage&);
  coverage(coverage&&) noexcept;
  coverage& operator=(coverage&&) noexcept;

  // Adds what the rows of `rows` did: `result` must be rules.classify(rows) for a batch of
  // this coverage's rule set. Throws coverage_mismatch for a batch of another rule set and
  // std::invalid_argument when `result` is not the batch's classification (row count or
  // rule set differ).
  void add(const batch& rows, const classification& result);

  // Sums `other` into this coverage. Returns false, with the reason in *why (if given), when
  // they are coverage of different rule sets; this coverage is then unchanged.
  bool merge(const coverage& other, std::string* why = nullptr);
  // The same; throws coverage_mismatch instead of returning false.
  coverage& operator+=(const coverage& other);

  // True for a coverage made with coverage() that nothing was added to yet.
  bool empty() const;
  const std::string& rule_set_name() const;
  const std::string& rule_set_version() const;
  // 16 hex digits: a hash of the decisions, rules, conditions and outcomes (not the lists).
  const std::string& fingerprint() const;
  // Rows added in total.
  uint64_t records() const;
  // Per decision, in the rule set's declaration order.
  const std::vector<decision_coverage>& decisions() const;
  // True when this coverage describes `rules` (name, version and fingerprint agree); else
  // false with the difference in *why.
  bool matches(const rule_set& rules, std::string* why = nullptr) const;

  // As JSON (format "chanrules-coverage", version 1): the rule set's name, version and
  // fingerprint, the records, and every decision, rule and condition with its counts and
  // its text, so that a file can be summed or shown without the rule set.
  std::string to_json() const;
  // Reads what to_json() wrote. Checks the syntax (line:column of an error), the shape, that
  // the counts add up (e.g. matched + false + unknown = rows) and that the fingerprint is the
  // one of the structure written; returns nullopt with the reason in *why otherwise.
  static std::optional<coverage> from_json(std::string_view json, std::string* why = nullptr);

  // The same through files. save() writes atomically (a temporary file renamed into place;
  // "-" is standard output); both return false with the reason in *why.
  bool save(const std::string& path, std::string* why = nullptr) const;
  static std::optional<coverage> load(const std::string& path, std::string* why = nullptr);

 private:
  friend struct detail::coverage_access;
  std::unique_ptr<detail::coverage_state> s_;  // null: empty
};

// Coverage of the rule set's own test records (its `tests:`), each classified as
// rule_set::run_tests() does (a value that cannot be read is left missing).
coverage cover_tests(const rule_set& rules);

}  // namespace chanrules
