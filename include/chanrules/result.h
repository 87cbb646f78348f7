// chanrules::classification: what classify() returns for a batch.
//
// For every row and every decision (in declaration order): the outcome label, the id of the
// rule that fired (or "default"), and whether a missing value made a condition unknown on the
// way, with the fields concerned. Output decisions, and helpers that a condition tests, are
// decided for every row; a helper used only through `{from: H}` is decided just for the rows
// that copied it, and shows no outcome elsewhere. Columns are exposed as arrays of small
// integer codes for callers who convert them in bulk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules {

namespace detail {
struct program;
struct result_access;
}  // namespace detail

class classification {
 public:
  static constexpr uint16_t no_outcome = 0xFFFF;  // outcome code: no class
  static constexpr uint16_t by_default = 0xFFFE;  // rule index: the default applied
  static constexpr uint16_t no_rule = 0xFFFF;     // rule index: nothing fired, no default

  size_t rows() const { return rows_; }
  size_t decision_count() const;

  // Outcome label of a decision for a row; "" when the decision gave no outcome.
  std::string_view outcome(size_t decision, size_t row) const;
  // Id of the rule that fired; "default" when the default applied, "" when nothing did.
  std::string_view rule_id(size_t decision, size_t row) const;
  // True when a missing value made a condition unknown before the outcome was reached.
  bool missing(size_t decision, size_t row) const;
  // Names of the fields whose missing values did that (empty when none).
  std::vector<std::string_view> missing_fields(size_t decision, size_t row) const;

  // Bulk access: outcome codes (index into outcome_labels(decision)) and rule indices.
  const uint16_t* outcome_codes(size_t decision) const { return outcomes_[decision].data(); }
  const uint16_t* rule_indices(size_t decision) const { return rules_[decision].data(); }
  const std::vector<std::string>& outcome_labels(size_t decision) const;

  // Rows decided with missing data, per decision and in total (rows with any decision so).
  size_t rows_with_missing(size_t decision) const;

 private:
  friend struct detail::result_access;
  std::shared_ptr<const detail::program> program_;
  size_t rows_ = 0;
  size_t missing_row_bits_ = 8;  // bits per row of the missing-field bitsets
  std::vector<std::vector<uint16_t>> outcomes_;
  std::vector<std::vector<uint16_t>> rules_;
  // Per decision: rows * missing_row_bits_ bits, row after row (bit = field index).
  std::vector<std::vector<uint64_t>> missing_;
};

}  // namespace chanrules
