// The checked rule set: names resolved, types known, literals converted to the values they
// compare against, lists and named sets loaded. Output of the check stage, input of the graph
// and compile stages, and what the public API reports about a rule set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/source.h"
#include "common/values.h"
#include "expr/ast.h"

namespace chanrules::detail {

enum class value_type : uint8_t { string, integer, decimal, boolean, date, enumeration };
const char* to_string(value_type t);

inline constexpr uint16_t no_code = 0xFFFF;  // "no value" in every code column

// Hash and equality that accept string_view, so looking a label up never builds a string.
struct text_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct text_equal {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

// An ordered list of labels; a label's code is its index.
struct domain {
  std::vector<std::string> labels;
  bool ordered = false;
  std::unordered_map<std::string, uint16_t, text_hash, text_equal> codes;

  std::optional<uint16_t> find(std::string_view label) const {
    // Most domains are small (networks, tiers, roles): a scan beats hashing the text.
    if (labels.size() <= 16) {
      for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i].size() == label.size() && labels[i] == label) return static_cast<uint16_t>(i);
      return std::nullopt;
    }
    auto it = codes.find(label);
    if (it == codes.end()) return std::nullopt;
    return it->second;
  }
  uint16_t add(const std::string& label) {
    auto [it, inserted] = codes.emplace(label, static_cast<uint16_t>(labels.size()));
    if (inserted) labels.push_back(label);
    return it->second;
  }
  size_t size() const { return labels.size(); }
};

struct field_info {
  std::string name;
  value_type type = value_type::string;
  bool required = false;
  bool unique = false;
  bool trim = true;
  domain values;                        // enumeration
  std::optional<decimal_key> min, max;  // integer/date as plain integers cast; decimal as keys
  std::string description;
  source_pos pos;
  // String fields compared with literals get a code column at batch-build time: the literal's
  // index in this dictionary, or no_code for any other text.
  domain string_literals;
  // Index among the fields that can be missing (not required), or -1.
  int missable_index = -1;
};

struct list_info {
  std::string name;
  uint32_t key_field = 0;
  bool membership = false;                            // no value column: a boolean "is listed"
  domain values;                                      // value labels in priority order
  std::unordered_map<std::string, uint16_t> entries;  // key -> value code (membership: 0)
  std::string path;
  source_pos pos;
  std::string description;
};

struct named_set_info {
  std::string name;
  uint32_t field = 0;
  domain keys;                                    // entry keys in tie order
  std::vector<std::vector<std::string>> aliases;  // per entry, as written
  source_pos pos;
  std::string description;
};

enum class source_kind : uint8_t { field, list, named_set, decision };

struct value_ref {
  source_kind kind = source_kind::field;
  uint32_t index = 0;
  bool operator==(const value_ref&) const = default;
};

enum class pred_kind : uint8_t {
  code_in_set,  // enum-like value (enum, boolean, list, named set, decision, string literal code)
  int_range,    // integer or date in [lo, hi] (negated: outside)
  dec_range,    // decimal key in [lo, hi] (negated: outside)
  is_missing,   // the value is absent (negated: present); never unknown
};

// One predicate over one value, already reduced to a test the executor runs directly.
struct predicate {
  pred_kind kind = pred_kind::code_in_set;
  value_ref subject;
  bool negated = false;         // ranges and is_missing
  std::vector<uint16_t> codes;  // code_in_set: the codes that make it true (sorted)
  decimal_key lo = 0, hi = 0;   // ranges (integers and dates are stored widened)
  std::string text;             // as written, for explanations
  // The input field whose missing value makes this predicate unknown, or -1.
  int missing_field = -1;

  bool same_test(const predicate& o) const {
    return kind == o.kind && subject == o.subject && negated == o.negated && codes == o.codes &&
           lo == o.lo && hi == o.hi;
  }
};

enum class cond_kind : uint8_t { and_, or_, not_, constant, pred };

struct cond_node {
  cond_kind kind = cond_kind::constant;
  std::vector<uint32_t> children;
  uint32_t pred = 0;   // index into model::predicates
  bool value = false;  // constant
};

// A condition: nodes in post-order (children before parents); the last node is the root.
struct condition {
  std::vector<cond_node> nodes;
};

struct outcome {
  bool from = false;
  uint16_t code = no_code;      // constant: code in the decision's domain
  value_ref source;             // from: the value copied
  std::vector<uint16_t> remap;  // from: source code -> decision code
};

struct rule_info {
  std::string id;
  condition cond;
  outcome then;
  std::string when_text;
  source_pos pos;
  std::vector<uint32_t> missable_fields;  // input fields (indices) that can make it unknown
};

enum class hit_policy : uint8_t {
  first,     // the first rule that matches wins (rules may overlap)
  unique,    // at most one rule can match any record: proven by the analysis at load
  priority,  // of the rules that match, the one whose outcome is listed first in `outcomes`
  collect,   // every rule that matches contributes its outcome (see collect_aggregate)
};

// What `hit: collect` makes of the outcomes of the rules that match.
enum class collect_aggregate : uint8_t {
  list,   // the set of them: the value is a set of items (code = bit set over item codes)
  count,  // how many distinct ones: the value is "0".."n" (code = the count)
  min,    // the one listed first in `outcomes` (the same as hit: priority)
  max,    // the one listed last in `outcomes`
};

// `hit: collect` lists at most this many distinct outcomes, so that a set of them is a
// 16-bit code like every other value (4,096 sets).
inline constexpr size_t max_collected_items = 12;

struct decision_info {
  std::string name;
  std::string description;
  bool output = true;
  hit_policy hit = hit_policy::first;
  // Every record must be decided by a rule (never the default or nothing): proven by the
  // analysis at load.
  bool complete = false;
  collect_aggregate aggregate = collect_aggregate::list;  // hit: collect only
  // The decision's values. For `hit: collect` with a list or a count, the values are sets or
  // counts of the outcomes its rules give, which are then `items` (a rule's then.code is an
  // item code): a set's code is its bit set (bit i: item i) and its label the items' labels
  // joined by ';' in item order; a count's code is the count and its label the number.
  domain outcomes;
  domain items;
  std::vector<rule_info> rules;
  std::optional<outcome> fallback;
  source_pos pos;

  // Every rule is tried, and the outcomes of all that match make the value (collect with a
  // list or a count).
  bool gathers() const {
    return hit == hit_policy::collect &&
           (aggregate == collect_aggregate::list || aggregate == collect_aggregate::count);
  }
  bool collects_set() const {
    return hit == hit_policy::collect && aggregate == collect_aggregate::list;
  }
  // Priority, collect min and collect max: the best-ranked matching outcome wins. Their rules
  // give constants, so this is a first-hit over the rules sorted by the rank of their outcome
  // (see trial_order).
  bool ranked() const {
    return hit == hit_policy::priority ||
           (hit == hit_policy::collect &&
            (aggregate == collect_aggregate::min || aggregate == collect_aggregate::max));
  }
  // Rule indices in the order a first-hit chain tries them: as written, or for a ranked
  // decision by rank of outcome (ties: as written).
  std::vector<uint32_t> trial_order() const;
};

struct test_case {
  std::string name;
  source_pos pos;
  std::vector<std::pair<std::string, std::string>> record;  // field name -> cell text
  std::vector<std::pair<uint32_t, uint16_t>> expect;        // decision -> code (no_code: none)
  std::vector<std::pair<uint32_t, uint16_t>> expect_rule;   // decision -> rule index
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> expect_missing;  // decision -> fields
};

struct model {
  std::string name, version, effective, description;
  source_ptr file;
  std::string base_dir;
  std::vector<field_info> fields;
  std::vector<list_info> lists;
  std::vector<named_set_info> named_sets;
  std::vector<decision_info> decisions;
  std::vector<predicate> predicates;
  std::vector<test_case> tests;
  std::vector<uint32_t> missable_fields;   // field indices of fields that can be missing
  std::vector<uint32_t> evaluation_order;  // decisions in dependency order (graph stage)

  std::optional<value_ref> lookup(std::string_view name) const;
  const domain* domain_of(value_ref ref) const;  // enum-like values; nullptr otherwise
  value_type type_of(value_ref ref) const;
  const std::string& name_of(value_ref ref) const;
  // An outcome as written: its label, or "from NAME". `of_rule`: a rule's `then` (which, in a
  // gathering decision, gives an item), else the default.
  std::string outcome_text(const decision_info& d, const outcome& o, bool of_rule) const;
};

}  // namespace chanrules::detail
