// The compiled program: the one contract between the compiler and the executor (like re2's
// prog.h). Immutable once built; shared by every thread that classifies.
//
// - Predicates are reduced to three kinds of column test (code in a bitset, integer range,
//   decimal range) plus `is missing`; identical predicates exist once.
// - Condition nodes are hash-consed across all rules of all decisions, children before
//   parents, so a sub-condition shared by two rules is evaluated once per vector.
// - Decisions are listed in evaluation (topological) order.
// - Lists keyed by the same field are merged into one hash table (one probe per row gives
//   every list's value); named sets are Aho-Corasick automata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "check/model.h"
#include "compile/name_matcher.h"
#include "compile/string_table.h"

namespace chanrules::detail {

struct compiled_pred {
  pred_kind kind = pred_kind::code_in_set;
  value_ref subject;
  bool negated = false;
  // code_in_set: bit (code + 1) & 0xFFFF is set when the code makes the predicate true;
  // bit 0 stands for "no value" and is never set.
  std::vector<uint64_t> bits;
  int64_t int_lo = 0, int_hi = 0;
  decimal_key dec_lo = 0, dec_hi = 0;
};

enum class node_op : uint8_t { and_, or_, not_, constant, pred };

struct compiled_node {
  node_op op = node_op::constant;
  std::vector<uint32_t> children;  // indices of earlier nodes
  uint32_t pred = 0;
  bool value = false;
  bool can_be_unknown = false;  // some predicate below can be unknown
};

struct compiled_rule {
  uint32_t node = 0;   // root condition node
  uint16_t index = 0;  // the rule's index in its decision (results name rules by it)
  outcome then;        // for a gathering decision, then.code is an item code
  std::vector<uint32_t> missable_fields;  // field indices that can make it unknown
};

struct compiled_decision {
  uint32_t decision = 0;  // index in model::decisions
  // Rules in the order they are tried (decision_info::trial_order): a ranked decision (hit:
  // priority, collect min/max) is a first-hit chain over its rules sorted by rank.
  std::vector<compiled_rule> rules;
  // hit: collect with a list or count: every rule is tried and the value is made of all the
  // outcomes that match (see decision_info).
  bool gathers = false;
  bool counts = false;
  std::optional<outcome> fallback;
};

// All lists keyed by one field: one table, one probe per row.
struct key_index {
  uint32_t key_field = 0;
  string_table table;
  std::vector<uint32_t> lists;  // list indices merged here
  std::vector<uint16_t> codes;  // entry * lists.size() + position -> value code (no_code: absent)
};

struct program {
  model m;
  std::vector<compiled_pred> preds;
  std::vector<compiled_node> nodes;
  std::vector<compiled_decision> plan;  // evaluation order
  std::vector<key_index> key_indexes;
  std::vector<std::pair<uint32_t, uint32_t>> list_slot;  // list -> (key_index, position)
  std::vector<int> key_index_of_field;                   // field -> key_index keyed by it, or -1
  // Decisions evaluated for every row: outputs, and helpers whose value a condition tests
  // (so that a helper's value for a row never depends on the other rows of its vector).
  // Other helpers (used only through `from`) run just for the rows that copy them.
  std::vector<bool> evaluate_always;
  std::vector<name_matcher> matchers;  // per named set
  // Bits per row of the missing-field bitsets (bit = field index): 8, 16, 32 or a multiple of
  // 64, so a row's bits never straddle two words unless they fill whole words.
  size_t missing_row_bits = 8;

  // Readable listing of the program (tests compare against it; `chanrules check --dump`).
  std::string dump() const;
};

// Compile stage: model (checked, with evaluation order) -> program.
program compile(model m);

}  // namespace chanrules::detail
