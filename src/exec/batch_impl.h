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
};

// Reads a cell of `field` into row `row` of `col`. Returns "" on success, else the reason.
std::string store_text(const program& p, uint32_t field, column& col, size_t row,
                       std::string_view text);

// Executes the program over a batch (exec/executor.cpp).
void execute(const program& p, const batch_impl& b, classification& out);

}  // namespace chanrules::detail
