// Condition AST: what the X3 grammar (parser.cpp) produces and the checker consumes.
//
// The tree is stored flat in an arena (`condition_ast::nodes`), children referenced by
// index. `and`/`or` are n-ary (a chain `a or b or c` is one node with three children), so a
// long chain is shallow and destroying the AST never recurses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chanrules::expr {

// Byte offsets [begin, end) into the condition text that was parsed.
struct source_span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

enum class cmp_op : uint8_t { eq, ne, lt, le, gt, ge };

enum class literal_kind : uint8_t {
  number,   // 500, 4.99, -3 (text kept exactly as written)
  date,     // 2009-10-19
  string,   // "DRA" or 'DRA' (text holds the unescaped contents)
  name,     // a bare name: an enum value such as T3 or 国美
  boolean,  // true / false (text is "true" or "false")
};

struct literal {
  literal_kind kind = literal_kind::name;
  std::string text;
  source_span span;
};

enum class node_kind : uint8_t {
  and_,        // children: >= 2
  or_,         // children: >= 2
  not_,        // children: 1
  constant,    // `true` / `false` on its own: constant_value
  compare,     // operand op literals[0]
  in_set,      // operand [not] in [literals...]      (negated = "not in")
  between,     // operand [not] between literals[0] and literals[1]
  is_missing,  // operand is [not] missing            (negated = "is not missing")
  truthy,      // operand alone: a boolean value that must be true
  contains,    // operand [not] contains literals[0]  (a collected set holds the label)
};

struct node {
  node_kind kind = node_kind::constant;
  source_span span;                // the whole node
  std::vector<uint32_t> children;  // and_/or_/not_ only
  bool negated = false;            // in_set, between, is_missing, contains
  bool constant_value = false;     // constant only
  std::string operand;             // predicates: the name on the left
  source_span operand_span;
  cmp_op op = cmp_op::eq;         // compare only
  std::vector<literal> literals;  // compare, contains: 1, in_set: >= 1, between: 2
};

struct condition_ast {
  std::vector<node> nodes;
  uint32_t root = 0;
};

struct parse_error {
  uint32_t offset = 0;  // byte offset into the text where the problem is
  uint32_t length = 1;  // how many bytes the caret should cover (>= 1)
  std::string message;  // e.g. "expected a value after '=='"
  std::string hint;     // e.g. "quote values that are keywords: \"in\""
};

struct parse_limits {
  uint32_t max_length = 64 * 1024;  // bytes of condition text
  uint32_t max_depth = 64;          // nesting of parentheses and `not`
};

// Parses one condition. Never throws, never recurses deeper than limits.max_depth.
std::variant<condition_ast, parse_error> parse_condition(std::string_view text,
                                                         const parse_limits& limits = {});

// Canonical one-line rendering used by tests and `dump`, e.g.
//   (and (== network S) (or (<= market_tier T3) (in segment [a b])) (missing x) (not (truthy y)))
// Literals print as written; strings are double-quoted; negated forms print as
// (not-in ...), (not-between ...), (not-missing ...).
std::string dump(const condition_ast& ast);

const char* to_string(cmp_op op);

}  // namespace chanrules::expr
