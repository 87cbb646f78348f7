// A small strict JSON reader (RFC 8259) into a tree, for the files chanrules reads back:
// coverage files (api/coverage.cpp). The library has no JSON dependency, and these files
// are small, so a tree is fine.
//
// Strict: one value and nothing but white space after it, no trailing commas, no comments,
// no duplicate member names, strings valid UTF-8 with valid escapes (\u surrogate pairs
// joined), nesting at most max_depth deep (hostile input cannot exhaust the stack). An
// error says where: "line L, column C: what". Numbers are kept as written; as_uint64()
// reads the whole numbers the callers need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chanrules::io {

struct json_value {
  enum class kind : uint8_t { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool boolean = false;
  std::string text;               // string: the decoded text; number: as written
  std::vector<json_value> items;  // array
  std::vector<std::pair<std::string, json_value>> members;  // object, in input order
  uint32_t line = 0, column = 0;                            // where the value starts (1-based)

  // Declared here, defined (defaulted) in json_reader.cpp: with implicit ones, clang 14 with
  // libstdc++ 12 rejects the recursive std::pair<std::string, json_value> (checking the
  // pair's default constructor needs json_value's, which needs the pair's destructor).
  json_value();
  json_value(const json_value&);
  json_value(json_value&&) noexcept;
  json_value& operator=(const json_value&);
  json_value& operator=(json_value&&) noexcept;
  ~json_value();

  // The member named `name` of an object, or null.
  const json_value* find(std::string_view name) const;
  // A number written as a whole number in [0, 2^64): digits only, no sign, fraction or
  // exponent.
  std::optional<uint64_t> as_uint64() const;
  // "string", "number", ... for messages.
  const char* kind_name() const;
};

struct json_parse_result {
  std::optional<json_value> value;
  std::string error;  // "line L, column C: ..." when value is empty
};

json_parse_result parse_json(std::string_view text, size_t max_depth = 64);

}  // namespace chanrules::io
