// The rule-set document as written: the output of the load stage, input of the checker.
//
// Nothing here is interpreted beyond the shape of the document: scalars are kept as the text
// written with their position, so the checker can read each by the type it turns out to need
// and point at it when it is wrong.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/source.h"

namespace chanrules::detail {

struct located {
  std::string text;
  source_pos pos;
  bool plain = true;  // written without quotes (bare names may be enum values or keywords)
};

struct field_decl {
  located name;
  located type;
  bool required = false;
  bool unique = false;
  bool ordered = false;
  bool trim = true;
  std::vector<located> values;
  std::optional<located> min;
  std::optional<located> max;
  std::string description;
};

struct list_decl {
  located name;
  located file;
  located key;
  std::optional<located> value;
  std::vector<located> values;
  std::string description;
};

struct named_set_entry {
  located key;
  std::vector<located> aliases;
};

struct named_set_decl {
  located name;
  located field;
  located match;
  std::vector<named_set_entry> entries;
  std::string description;
};

// `then:` / `default:`: a constant label or `{from: NAME}`.
struct outcome_decl {
  bool from = false;
  located text;
};

struct rule_decl {
  located id;
  located when;  // the condition text
  // Source position of every byte of `when.text` (and one past the end), so a position
  // inside the condition maps back to the file even in folded multi-line scalars.
  std::vector<size_t> when_offsets;
  outcome_decl then;
};

struct decision_decl {
  located name;
  std::string description;
  bool output = true;
  std::optional<located> hit;        // hit policy: first (default), unique, priority, collect
  std::optional<located> aggregate;  // collect only: count, min or max
  std::optional<located> complete;   // `complete: true`: every record must meet a rule
  std::vector<located> outcomes;     // declared domain (may be empty: inferred)
  std::vector<rule_decl> rules;
  std::optional<outcome_decl> fallback;  // `default:`
};

struct test_decl {
  located name;
  source_pos pos;
  std::vector<std::pair<located, located>> record;
  std::vector<std::pair<located, located>> expect;
  std::vector<std::pair<located, located>> expect_rule;
  std::vector<std::pair<located, std::vector<located>>> expect_missing;
};

struct ruleset_ast {
  source_ptr file;
  std::string base_dir;  // folder that list and test files are resolved in
  located name;
  located version;
  std::optional<located> effective;
  std::string description;
  std::vector<field_decl> fields;
  std::vector<list_decl> lists;
  std::vector<named_set_decl> named_sets;
  std::vector<decision_decl> decisions;
  std::vector<test_decl> tests;
};

}  // namespace chanrules::detail
