// chanrules::rule_set_schema: what a rule set declares about its input, for tools.
//
// rule_set::schema() describes the fields (types, bounds, enum values), the lists and named
// sets a rule set looks values up in, and the values its conditions compare each field with.
// That is enough to generate, validate or document data for any rule set without reading its
// YAML: `chanrules bench --generate N` synthesises records from it.
//
//   rule_set_schema s = rules.schema();
//   for (const field_schema& f : s.fields)
//     std::cout << f.name << ": " << to_string(f.type) << "\n";
//
// The schema is a copy: it stays valid after the rule set is dropped. List keys can be many
// (millions), so they are not part of it: rule_set::list_entries(i) returns them on request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace chanrules {

enum class field_type : uint8_t { string, integer, decimal, boolean, date, enumeration };

// "string", "integer", "decimal", "boolean", "date" or "enum" (the names of the YAML `type`).
const char* to_string(field_type t);

struct field_schema {
  std::string name;
  field_type type = field_type::string;
  bool required = false;
  bool unique = false;
  bool trim = true;
  // enum: the allowed values in declaration order (a value's code is its index), and whether
  // they are ordered (the first is the smallest).
  std::vector<std::string> values;
  bool ordered = false;
  // integer, decimal, date: the declared inclusive bounds as the field's text (e.g. "0",
  // "4.5", "2009-10-19"); "" when there is none.
  std::string min, max;
  // The values the rule set's conditions compare this field with, as the field's text:
  //  - integer, decimal, date: the inclusive ends of every range a condition tests, in
  //    increasing order (`units >= 500` and `units < 20` give "19", "500": the last value
  //    inside each range). Records near these values exercise both sides of each test.
  //  - string: the texts compared with ==, !=, in (e.g. "DRA"), in first-use order.
  //  - empty for enum and boolean fields (their values are all known) and for fields that
  //    no condition compares.
  std::vector<std::string> compared;
  std::string description;
};

struct list_schema {
  std::string name;
  size_t key_field = 0;             // index of the (string) field looked up
  bool membership = false;          // no value column: the list's value is a boolean "is listed"
  std::vector<std::string> values;  // value labels in priority order (empty for membership)
  size_t size = 0;                  // number of keys listed
  std::string description;
};

struct named_set_schema {
  struct entry {
    std::string key;                   // the set's value when one of the aliases matches
    std::vector<std::string> aliases;  // as written in the rule set
  };
  std::string name;
  size_t field = 0;            // index of the (string) field searched
  std::vector<entry> entries;  // in tie order: the first matching entry wins
  std::string description;
};

struct rule_set_schema {
  std::vector<field_schema> fields;  // in declaration order: field i of batch and rule_set
  std::vector<list_schema> lists;
  std::vector<named_set_schema> named_sets;
};

}  // namespace chanrules
