// The inside of chanrules::batch: one typed column per field, validity as bitmaps.
//
// Shared by the batch API (filling), the executor (reading) and explain (reading one row).
#pragma once

#include <chanrules/batch.h>
#include <chanrules/result.h>

#include <memory>
#include <string>
#include <vector>

#include "compile/program.h"

namespace chanrules::detail {

struct column {
  value_type type = value_type::string;
  std::vector<uint16_t> codes;    // enum, boolean, string (literal code / "other")
  std::vector<int64_t> ints;      // integer, date
  std::vector<decimal_key> decs;  // decimal
  std::vector<uint32_t> str_off;  // string: offset into arena
  std::vector<uint32_t> str_len;  // string: length
  std::string arena;              // string bytes
  // String fields that key lists: the key's entry in the program's list table, looked up
  // once when the cell is stored (string_table::not_found when not listed).
  std::vector<uint32_t> key_entry;
  std::vector<uint64_t> valid;  // bit per row

  bool is_valid(size_t row) const { return (valid[row >> 6] >> (row & 63)) & 1; }
  std::string_view text(size_t row) const {
    return std::string_view(arena).substr(str_off[row], str_len[row]);
  }
};

struct batch_impl {
  std::shared_ptr<const program> prog;
  size_t rows = 0;
  std::vector<column> columns;
};

struct batch_access {
  static const batch_impl& of(const batch& b) { return *b.impl_; }
  static batch_impl& of(batch& b) { return *b.impl_; }
};

struct result_access {
  static void prepare(classification& c, std::shared_ptr<const program> prog, size_t rows);
  static std::vector<std::vector<uint16_t>>& outcomes(classification& c) { return c.outcomes_; }
  static std::vector<std::vector<uint16_t>>& rules(classification& c) { return c.rules_; }
  static std::vector<std::vector<uint64_t>>& missing(classification& c) { return c.missing_; }
  static size_t missing_row_bits(const classification& c) { return c.missing_row_bits_; }
  static const program& prog(const classification& c) { return *c.program_; }
  static const std::shared_ptr<const program>& prog_ptr(const classification& c) {
    return c.program_;
  }
  static const uint16_t* rule_indices(const classification& c, size_t decision) {
    return c.rules_[decision].data();
  }
  static const uint64_t* missing_bits(const classification& c, size_t decision) {
    return c.missing_[decision].data();
  }
};

// Reads a cell of `field` into row `row` of `col`. Returns "" on success, else the reason.
std::string store_text(const program& p, uint32_t field, column& col, size_t row,
                       std::string_view text);

// Executes the program over a batch (exec/executor.cpp).
void execute(const program& p, const batch_impl& b, classification& out);

// What the coverage pass counts, per decision (model order) and rule (declaration order).
// A decision counts the rows it was decided for: every row for outputs and for helpers that
// a condition tests, only the rows that copied its value for the other helpers.
struct coverage_counts {
  struct rule {
    uint64_t t = 0, u = 0;  // rows for which its condition was true, unknown (else false)
    uint64_t won = 0;       // rows it decided
    // Per predicate of its condition, in the order of the condition's nodes (as explain()
    // lists them): rows for which it was true, unknown.
    std::vector<uint64_t> pred_t, pred_u;
  };
  struct decision {
    uint64_t rows = 0;
    uint64_t by_default = 0;    // rows the default decided
    uint64_t no_outcome = 0;    // rows no rule and no default decided (a count of 0)
    uint64_t with_missing = 0;  // rows decided with missing data
    std::vector<rule> rules;    // rows no rule and no default decided: rows - won - by_default
  };
  uint64_t records = 0;
  std::vector<decision> decisions;
};

// Zero counts shaped for the program.
coverage_counts make_coverage_counts(const program& p);

// The coverage pass (exec/executor.cpp): adds to `out` what the batch's rows did in the
// program: every rule's condition for every row its decision was decided for (T/U masks,
// counted with popcounts, one vector at a time), the winners and defaults read from `c`,
// which must be the classification of `b` by `p`.
void cover(const program& p, const batch_impl& b, const classification& c, coverage_counts& out);

}  // namespace chanrules::detail
