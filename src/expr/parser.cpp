// Condition parser: turns the text of a `when:` condition (docs/rule-language.md, section 6)
// into the flat condition_ast of ast.h, and renders that AST back as text (`dump`).
//
// This is the only translation unit that includes Boost.Spirit X3, so the grammar's compile
// cost is paid once. The grammar's semantic actions append nodes to the flat arena directly
// (every rule's attribute is a node index), so no recursive intermediate tree is built or
// destroyed. Before X3 runs, a cheap non-recursive pre-scan enforces the length and nesting
// limits, which bounds X3's recursion for any input.
#include <boost/spirit/home/x3.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "expr/ast.h"

namespace chanrules::expr {
namespace {

namespace x3 = boost::spirit::x3;
namespace fusion = boost::fusion;

using iter = const char*;
using range = boost::iterator_range<iter>;

// ---------------------------------------------------------------------------------------------
// Character classes. Bytes are tested as unsigned char: X3's own classes pass a (signed) char
// to <cctype>, which is undefined for the UTF-8 bytes that names are allowed to contain.

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool is_name_char(unsigned char c) { return is_name_start(c) || is_digit(c); }
// What may not directly follow a number or a date: otherwise `3T` would lex as `3` then `T`.
bool is_number_glue(unsigned char c) { return is_name_char(c) || c == '.' || c == '-'; }
bool is_escapable(unsigned char c) { return c == '"' || c == '\'' || c == '\\'; }
bool is_dq_plain(unsigned char c) { return c != '"' && c != '\\'; }
bool is_sq_plain(unsigned char c) { return c != '\'' && c != '\\'; }
bool is_operator_char(char c) {
  return c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|';
}

// Called for every name, so written to be cheap even unoptimized.
bool is_keyword(std::string_view word) {
  static constexpr std::string_view keywords[] = {"and", "or",      "not",  "in",    "between",
                                                  "is",  "missing", "true", "false", "contains"};
  for (const std::string_view& k : keywords) {
    if (k.size() == word.size() &&
        std::char_traits<char>::compare(k.data(), word.data(), k.size()) == 0) {
      return true;
    }
  }
  return false;
}

// Token scanners: each returns the end of the token starting at `p`, or nullptr. Tokens are
// lexed by hand rather than composed from X3 character parsers: the lexical rules read plainly
// here, and every X3 parser in the hot path costs many calls in unoptimized (Debug) builds.

iter scan_name(iter p, iter end) {
  if (p == end || !is_name_start(static_cast<unsigned char>(*p))) return nullptr;
  iter e = p + 1;
  while (e != end && is_name_char(static_cast<unsigned char>(*e))) ++e;
  // Keywords are whole words: `android` and `notes` are names, `and` is not.
  return is_keyword(std::string_view(p, static_cast<std::size_t>(e - p))) ? nullptr : e;
}

iter scan_digits(iter p, iter end) {
  iter e = p;
  while (e != end && is_digit(static_cast<unsigned char>(*e))) ++e;
  return e == p ? nullptr : e;
}

// A number or date must not run into more text: otherwise `3T` would lex as `3` then `T`.
iter unglued(iter e, iter end) {
  return e != nullptr && (e == end || !is_number_glue(static_cast<unsigned char>(*e))) ? e
                                                                                       : nullptr;
}

// dddd-dd-dd
iter scan_date(iter p, iter end) {
  if (end - p < 10) return nullptr;
  for (int i = 0; i < 10; ++i) {
    const bool ok = i == 4 || i == 7 ? p[i] == '-' : is_digit(static_cast<unsigned char>(p[i]));
    if (!ok) return nullptr;
  }
  return unglued(p + 10, end);
}

// -?digits(.digits)?
iter scan_number(iter p, iter end) {
  iter e = p;
  if (e != end && *e == '-') ++e;
  e = scan_digits(e, end);
  if (e != nullptr && e != end && *e == '.') e = scan_digits(e + 1, end);
  return unglued(e, end);
}

// An X3 primitive parser for one token, with the token's text as its attribute.
template <iter (*Scan)(iter, iter)>
struct token_parser : x3::parser<token_parser<Scan>> {
  using attribute_type = range;
  static bool const has_attribute = true;

  template <typename Ctx, typename RCtx, typename Attr>
  bool parse(iter& first, iter const& last, Ctx const& ctx, RCtx&, Attr& attr) const {
    x3::skip_over(first, last, ctx);
    const iter e = Scan(first, last);
    if (e == nullptr) return false;
    if constexpr (std::is_same_v<Attr, range>) attr = range(first, e);
    first = e;
    return true;
  }
};

// An X3 primitive parser for a keyword, as a whole word.
struct keyword_parser : x3::parser<keyword_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  std::string_view word;

  constexpr explicit keyword_parser(std::string_view w) : word(w) {}

  template <typename Ctx, typename RCtx, typename Attr>
  bool parse(iter& first, iter const& last, Ctx const& ctx, RCtx&, Attr&) const {
    x3::skip_over(first, last, ctx);
    const std::size_t n = word.size();
    if (static_cast<std::size_t>(last - first) < n ||
        std::char_traits<char>::compare(first, word.data(), n) != 0) {
      return false;
    }
    const iter e = first + n;
    if (e != last && is_name_char(static_cast<unsigned char>(*e))) return false;
    first = e;
    return true;
  }
};

// A one-byte X3 primitive parser (the skipper and the insides of strings).
template <bool (*Pred)(unsigned char)>
struct byte_parser : x3::parser<byte_parser<Pred>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename Ctx, typename RCtx, typename Attr>
  bool parse(iter& first, iter const& last, Ctx const& ctx, RCtx&, Attr&) const {
    x3::skip_over(first, last, ctx);
    if (first != last && Pred(static_cast<unsigned char>(*first))) {
      ++first;
      return true;
    }
    return false;
  }
};

// The skipper: one call consumes a whole run of whitespace.
struct space_parser : x3::parser<space_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename Ctx, typename RCtx, typename Attr>
  bool parse(iter& first, iter const& last, Ctx const&, RCtx&, Attr&) const {
    if (first == last || !is_space(static_cast<unsigned char>(*first))) return false;
    do {
      ++first;
    } while (first != last && is_space(static_cast<unsigned char>(*first)));
    return true;
  }
};

const space_parser space_skipper{};
const byte_parser<is_escapable> escapable{};
const byte_parser<is_dq_plain> dq_plain{};
const byte_parser<is_sq_plain> sq_plain{};
const token_parser<scan_name> name_token{};
const token_parser<scan_date> date_token{};
const token_parser<scan_number> number_token{};
const keyword_parser kw_and{"and"}, kw_or{"or"}, kw_not{"not"}, kw_in{"in"}, kw_between{"between"},
    kw_is{"is"}, kw_missing{"missing"}, kw_true{"true"}, kw_false{"false"}, kw_contains{"contains"};

// ---------------------------------------------------------------------------------------------
// Parse state: the arena under construction, reached from semantic actions through x3::with.

struct state_tag;

// Thrown from a semantic action for a lexical problem X3 cannot express (an impossible date).
struct lexical_error {
  uint32_t offset;
  uint32_t length;
  std::string message;
  std::string hint;
};

struct lit_ast {
  literal_kind kind = literal_kind::name;
  iter first = nullptr;
  iter last = nullptr;
};

// What follows the name of a predicate; `last` is where the predicate's text ends (null for
// a bare name, whose text ends with the name).
struct tail_ast {
  node_kind kind = node_kind::truthy;
  bool negated = false;
  cmp_op op = cmp_op::eq;
  std::vector<lit_ast> values;
  iter last = nullptr;
};

struct builder {
  iter base = nullptr;
  condition_ast ast;

  uint32_t offset(iter p) const { return static_cast<uint32_t>(p - base); }
  source_span span(iter first, iter last) const { return {offset(first), offset(last)}; }

  uint32_t add(node&& n) {
    ast.nodes.push_back(std::move(n));
    return static_cast<uint32_t>(ast.nodes.size() - 1);
  }

  literal make_literal(const lit_ast& l) const {
    literal out;
    out.kind = l.kind;
    out.span = span(l.first, l.last);
    if (l.kind == literal_kind::string) {
      // The grammar has validated the escapes; drop the quotes and the escaping backslashes.
      for (iter p = l.first + 1; p < l.last - 1; ++p) {
        if (*p == '\\') ++p;
        out.text.push_back(*p);
      }
    } else {
      out.text.assign(l.first, l.last);
    }
    return out;
  }

  uint32_t add_nary(node_kind kind, std::vector<uint32_t>&& children) {
    node n;
    n.kind = kind;
    n.span = {ast.nodes[children.front()].span.begin, ast.nodes[children.back()].span.end};
    n.children = std::move(children);
    return add(std::move(n));
  }
};

template <typename Ctx>
builder& state(const Ctx& ctx) {
  return x3::get<state_tag>(ctx);
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// `first` points at a syntactically valid dddd-dd-dd.
bool is_valid_date(iter first) {
  auto num = [first](int pos, int len) {
    int v = 0;
    for (int i = 0; i < len; ++i) v = v * 10 + (first[pos + i] - '0');
    return v;
  };
  const int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= days[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Semantic actions.

auto make_lit(literal_kind kind) {
  return [kind](auto& ctx) {
    const range& r = x3::_attr(ctx);
    x3::_val(ctx) = lit_ast{kind, r.begin(), r.end()};
  };
}

const auto make_date = [](auto& ctx) {
  const range& r = x3::_attr(ctx);
  if (!is_valid_date(r.begin())) {
    const builder& st = state(ctx);
    std::string text(r.begin(), r.end());
    throw lexical_error{st.offset(r.begin()), static_cast<uint32_t>(r.size()),
                        "invalid date '" + text + "'",
                        "dates are YYYY-MM-DD with a month from 01 to 12 and a day that exists "
                        "in that month"};
  }
  x3::_val(ctx) = lit_ast{literal_kind::date, r.begin(), r.end()};
};

const auto make_compare = [](auto& ctx) {
  auto& a = x3::_attr(ctx);
  tail_ast& t = x3::_val(ctx);
  t.kind = node_kind::compare;
  t.op = fusion::at_c<0>(a);
  t.values.push_back(fusion::at_c<1>(a));
  t.last = t.values.back().last;
};

const auto make_in = [](auto& ctx) {
  auto& a = x3::_attr(ctx);
  tail_ast& t = x3::_val(ctx);
  t.kind = node_kind::in_set;
  t.values = std::move(fusion::at_c<0>(a));
  t.last = fusion::at_c<1>(a).end();
};

const auto make_between = [](auto& ctx) {
  auto& a = x3::_attr(ctx);
  tail_ast& t = x3::_val(ctx);
  t.kind = node_kind::between;
  t.values.push_back(fusion::at_c<0>(a));
  t.values.push_back(fusion::at_c<1>(a));
  t.last = t.values.back().last;
};

const auto make_contains = [](auto& ctx) {
  tail_ast& t = x3::_val(ctx);
  t.kind = node_kind::contains;
  t.values.push_back(x3::_attr(ctx));
  t.last = t.values.back().last;
};

const auto make_missing = [](auto& ctx) {
  auto& a = x3::_attr(ctx);
  tail_ast& t = x3::_val(ctx);
  t.kind = node_kind::is_missing;
  t.negated = fusion::at_c<0>(a);
  t.last = fusion::at_c<1>(a).end();
};

const auto make_negated = [](auto& ctx) {
  x3::_val(ctx) = std::move(x3::_attr(ctx));
  x3::_val(ctx).negated = true;
};

const auto make_predicate = [](auto& ctx) {
  builder& st = state(ctx);
  auto& a = x3::_attr(ctx);
  const range& name = fusion::at_c<0>(a);
  tail_ast& t = fusion::at_c<1>(a);
  node n;
  n.kind = t.kind;
  n.negated = t.negated;
  n.op = t.op;
  n.operand.assign(name.begin(), name.end());
  n.operand_span = st.span(name.begin(), name.end());
  n.span = st.span(name.begin(), t.last ? t.last : name.end());
  n.literals.reserve(t.values.size());
  for (const lit_ast& v : t.values) n.literals.push_back(st.make_literal(v));
  x3::_val(ctx) = st.add(std::move(n));
};

const auto make_not = [](auto& ctx) {
  builder& st = state(ctx);
  auto& a = x3::_attr(ctx);
  const uint32_t operand = fusion::at_c<1>(a);
  node n;
  n.kind = node_kind::not_;
  n.span = {st.offset(fusion::at_c<0>(a).begin()), st.ast.nodes[operand].span.end};
  n.children.push_back(operand);
  x3::_val(ctx) = st.add(std::move(n));
};

// A parenthesized condition is its inner node, whose span grows to cover the parentheses so
// that spans stay balanced: `not (a or b)` covers the closing ')'.
const auto make_group = [](auto& ctx) {
  builder& st = state(ctx);
  auto& a = x3::_attr(ctx);
  const uint32_t inner = fusion::at_c<1>(a);
  st.ast.nodes[inner].span = st.span(fusion::at_c<0>(a).begin(), fusion::at_c<2>(a).end());
  x3::_val(ctx) = inner;
};

const auto make_constant = [](auto& ctx) {
  builder& st = state(ctx);
  const range& r = x3::_attr(ctx);
  node n;
  n.kind = node_kind::constant;
  n.constant_value = *r.begin() == 't';
  n.span = st.span(r.begin(), r.end());
  x3::_val(ctx) = st.add(std::move(n));
};

// A chain of one operand is that operand: no and/or node.
auto make_nary(node_kind kind) {
  return [kind](auto& ctx) {
    std::vector<uint32_t>& terms = x3::_attr(ctx);
    x3::_val(ctx) = terms.size() == 1 ? terms.front() : state(ctx).add_nary(kind, std::move(terms));
  };
}

// ---------------------------------------------------------------------------------------------
// The grammar. Rule names double as the "what was expected" tags of expectation failures,
// which describe_failure() turns into messages.

struct cmp_symbols : x3::symbols<cmp_op> {
  cmp_symbols() {
    add("==", cmp_op::eq)("!=", cmp_op::ne)("<", cmp_op::lt)("<=", cmp_op::le)(">", cmp_op::gt)(
        ">=", cmp_op::ge);
  }
};
const cmp_symbols cmp_sym;

const x3::rule<class value_id, lit_ast> value = "value";
const x3::rule<class value_list_id, std::vector<lit_ast>> value_list = "value";
const x3::rule<class escape_id> escape_char = "escape";
const x3::rule<class open_bracket_id> open_bracket = "'['";
const x3::rule<class close_bracket_id, range> close_bracket = "list-close";
const x3::rule<class between_and_id> between_and = "between-and";
const x3::rule<class missing_word_id, range> missing_word = "missing";
const x3::rule<class in_or_between_id, tail_ast> in_or_between = "in-or-between";
const x3::rule<class tail_id, tail_ast> tail = "tail";
const x3::rule<class not_word_id, range> not_word = "not";
const x3::rule<class open_paren_id, range> open_paren = "(";
const x3::rule<class close_paren_id, range> close_paren = "close-paren";
const x3::rule<class unary_id, uint32_t> unary = "condition";
const x3::rule<class and_list_id, std::vector<uint32_t>> and_list = "condition";
const x3::rule<class and_expr_id, uint32_t> and_expr = "condition";
const x3::rule<class or_list_id, std::vector<uint32_t>> or_list = "condition";
const x3::rule<class condition_id, uint32_t> condition = "condition";
const x3::rule<class end_id> end_of_condition = "end";
const x3::rule<class top_id, uint32_t> top = "condition";

// Few rules and many inline alternatives whose actions set the rule's value: every rule
// level costs several calls per token in an unoptimized build.

const auto escape_char_def = escapable;
const auto string_token = x3::raw[x3::lexeme[('"' >> *(('\\' > escape_char) | dq_plain) >> '"') |
                                             ('\'' >> *(('\\' > escape_char) | sq_plain) >> '\'')]];
// Dates are tried before numbers: `2009-10-19` must not lex as the number 2009.
const auto value_def = date_token[make_date] | number_token[make_lit(literal_kind::number)] |
                       string_token[make_lit(literal_kind::string)] |
                       x3::raw[kw_true | kw_false][make_lit(literal_kind::boolean)] |
                       name_token[make_lit(literal_kind::name)];
const auto value_list_def = value > *(',' > value);

const auto open_bracket_def = x3::lit('[');
const auto close_bracket_def = x3::raw[x3::lit(']')];
const auto between_and_def = kw_and;
const auto missing_word_def = x3::raw[kw_missing];

const auto in_part = (kw_in > open_bracket > value_list > close_bracket)[make_in];
const auto between_part = (kw_between > value > between_and > value)[make_between];
const auto contains_part = (kw_contains > value)[make_contains];
const auto in_or_between_def = in_part | between_part | contains_part;
// A name followed by none of these is a boolean that must be true (tail_ast's default).
const auto tail_def = (cmp_sym > value)[make_compare] | (kw_not > in_or_between)[make_negated] |
                      in_part | between_part | contains_part |
                      (kw_is >> x3::matches[kw_not] > missing_word)[make_missing] | x3::eps;

const auto not_word_def = x3::raw[kw_not];
const auto open_paren_def = x3::raw[x3::lit('(')];
const auto close_paren_def = x3::raw[x3::lit(')')];
const auto unary_def =
    (not_word > unary)[make_not] | (open_paren > condition > close_paren)[make_group] |
    x3::raw[kw_true | kw_false][make_constant] | (name_token >> tail)[make_predicate];
const auto and_list_def = unary >> *(kw_and > unary);
const auto and_expr_def = and_list[make_nary(node_kind::and_)];
const auto or_list_def = and_expr >> *(kw_or > and_expr);
const auto condition_def = or_list[make_nary(node_kind::or_)];
const auto end_of_condition_def = x3::eoi;
const auto top_def = x3::eps > condition > end_of_condition;

BOOST_SPIRIT_DEFINE(value, value_list, escape_char, open_bracket, close_bracket, between_and,
                    missing_word, in_or_between, tail, not_word, open_paren, close_paren, unary,
                    and_list, and_expr, or_list, condition, end_of_condition, top)

// ---------------------------------------------------------------------------------------------
// Error reporting.

parse_error make_error(std::size_t offset, std::size_t length, std::string message,
                       std::string hint = {}) {
  parse_error e;
  e.offset = static_cast<uint32_t>(offset);
  e.length = static_cast<uint32_t>(length == 0 ? 1 : length);
  e.message = std::move(message);
  e.hint = std::move(hint);
  return e;
}

// The end of the quoted string opening at `open`, one past its closing quote, or npos.
std::size_t skip_string(std::string_view text, std::size_t open) {
  const char quote = text[open];
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

std::size_t skip_spaces(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_space(static_cast<unsigned char>(text[pos]))) ++pos;
  return pos;
}

enum class token_kind { end, word, number, string, op, other };

struct token {
  token_kind kind = token_kind::end;
  std::size_t begin = 0;
  std::string_view text;
};

// The token at `pos` (after whitespace), lexed loosely enough to describe what was found.
token token_at(std::string_view text, std::size_t pos) {
  token t;
  t.begin = skip_spaces(text, pos);
  const std::size_t b = t.begin;
  if (b >= text.size()) return t;
  const auto c = static_cast<unsigned char>(text[b]);
  std::size_t e = b + 1;
  if (is_name_start(c)) {
    t.kind = token_kind::word;
    while (e < text.size() && is_name_char(static_cast<unsigned char>(text[e]))) ++e;
  } else if (is_digit(c) || (c == '-' && b + 1 < text.size() &&
                             is_digit(static_cast<unsigned char>(text[b + 1])))) {
    t.kind = token_kind::number;
    while (e < text.size() && is_number_glue(static_cast<unsigned char>(text[e]))) ++e;
  } else if (c == '"' || c == '\'') {
    t.kind = token_kind::string;
    const std::size_t s = skip_string(text, b);
    e = s == std::string_view::npos ? text.size() : s;
  } else if (is_operator_char(static_cast<char>(c))) {
    t.kind = token_kind::op;
    while (e < text.size() && is_operator_char(text[e])) ++e;
  } else {
    t.kind = token_kind::other;
  }
  t.text = text.substr(b, e - b);
  return t;
}

// How a found token is named in a message: 'word', "string", end of condition.
std::string describe(const token& t) {
  if (t.kind == token_kind::end) return "end of condition";
  if (t.kind == token_kind::other) {
    const auto c = static_cast<unsigned char>(t.text[0]);
    if (c < 0x20 || c == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      return std::string("character 0x") + hex[c >> 4] + hex[c & 15];
    }
  }
  constexpr std::size_t max_shown = 24;
  std::string shown(t.text);
  if (t.text.size() > max_shown) {
    // Cut before a character's first byte, never inside a UTF-8 sequence.
    std::size_t cut = max_shown;
    while (cut > 0 && (static_cast<unsigned char>(t.text[cut]) & 0xc0) == 0x80) --cut;
    shown = std::string(t.text.substr(0, cut)) + "...";
  }
  if (t.kind == token_kind::string) return shown;
  return "'" + shown + "'";
}

// The token just before `pos`, skipping whitespace backwards ("" at the start of the text).
std::string_view token_before(std::string_view text, std::size_t pos) {
  std::size_t e = pos;
  while (e > 0 && is_space(static_cast<unsigned char>(text[e - 1]))) --e;
  if (e == 0) return {};
  std::size_t b = e - 1;
  if (is_name_char(static_cast<unsigned char>(text[b]))) {
    while (b > 0 && is_name_char(static_cast<unsigned char>(text[b - 1]))) --b;
  } else if (is_operator_char(text[b])) {
    while (b > 0 && is_operator_char(text[b - 1])) --b;
  }
  return text.substr(b, e - b);
}

// The offset of the innermost '(' (or '[') still open at `pos`, skipping quoted strings.
std::size_t unclosed_opener(std::string_view text, std::size_t pos, char open, char close) {
  std::vector<std::size_t> stack;
  for (std::size_t i = 0; i < pos && i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      const std::size_t s = skip_string(text, i);
      if (s == std::string_view::npos) break;
      i = s - 1;
    } else if (c == open) {
      stack.push_back(i);
    } else if (c == close && !stack.empty()) {
      stack.pop_back();
    }
  }
  return stack.empty() ? 0 : stack.back();
}

// Operators from other languages get a message of their own and a hint with the right one.
bool describe_bad_operator(const token& t, parse_error& out) {
  if (t.kind != token_kind::op && !(t.kind == token_kind::other && t.text == "!")) {
    return false;
  }
  struct fix {
    std::string_view found;
    const char* hint;
  };
  static constexpr fix fixes[] = {
      {"=", "use == to compare"},        {"&&", "use 'and' instead of '&&'"},
      {"&", "use 'and' instead of '&'"}, {"||", "use 'or' instead of '||'"},
      {"|", "use 'or' instead of '|'"},  {"!", "use 'not' to negate a condition, or != to compare"},
      {"=>", "use >= to compare"},       {"=<", "use <= to compare"},
      {"<>", "use != to compare"},
  };
  for (const fix& f : fixes) {
    if (t.text == f.found) {
      out = make_error(t.begin, t.text.size(), "unexpected '" + std::string(t.text) + "'", f.hint);
      return true;
    }
  }
  return false;
}

// A hint for a value that did not lex as one.
std::string value_hint(const token& t) {
  if (t.kind == token_kind::word && is_keyword(t.text)) {
    return "keywords used as values must be quoted: \"" + std::string(t.text) + "\"";
  }
  if (t.kind == token_kind::number) {
    return "numbers are written 500, 4.99 or -3 and dates 2009-10-19; quote any other value";
  }
  if (t.kind == token_kind::other || t.kind == token_kind::op) {
    const char c = t.text[0];
    if (c != '[' && c != ']' && c != '(' && c != ')' && c != ',') {
      return "quote values that are not plain names, e.g. \"a-b\"";
    }
  }
  return {};
}

parse_error describe_failure(std::string_view text, const std::string& which, std::size_t where) {
  if (which == "escape") {
    // `where` is just past the backslash.
    return make_error(where - 1, 2, "unknown escape in string",
                      "only \\\", \\' and \\\\ are escapes; write \\\\ for a backslash");
  }
  const token found = token_at(text, where);
  const std::string found_text = describe(found);
  const std::string_view before = token_before(text, found.begin);
  const std::size_t at = found.begin;
  const std::size_t len = found.text.size();
  parse_error e;

  if (which == "close-paren" && found.kind == token_kind::end) {
    return make_error(unclosed_opener(text, at, '(', ')'), 1, "unclosed '('",
                      "add the missing ')'");
  }
  if (which == "list-close" && found.kind == token_kind::end) {
    return make_error(unclosed_opener(text, at, '[', ']'), 1, "unclosed '['",
                      "add the missing ']'");
  }
  if (which == "end" && found.text == ")") return make_error(at, 1, "unmatched ')'");
  if (describe_bad_operator(found, e)) return e;
  if (found.kind == token_kind::op && at > 0 && is_operator_char(text[at - 1])) {
    // In `a <> 1` the grammar took `<` as the operator and failed on `>`: report `<>`.
    token whole = found;
    while (whole.begin > 0 && is_operator_char(text[whole.begin - 1])) --whole.begin;
    whole.text = text.substr(whole.begin, at + len - whole.begin);
    if (describe_bad_operator(whole, e)) return e;
  }

  if (which == "value") {
    return make_error(at, len,
                      "expected a value after '" + std::string(before) + "', found " + found_text,
                      value_hint(found));
  }
  if (which == "condition") {
    std::string message = "expected a condition";
    if (before == "and" || before == "or" || before == "not" || before == "(") {
      message += " after '" + std::string(before) + "'";
    }
    return make_error(at, len, message + ", found " + found_text);
  }
  if (which == "'['") {
    return make_error(at, len, "expected '[' after 'in', found " + found_text,
                      "write the values as a list: in [a, b]");
  }
  if (which == "list-close") {
    return make_error(at, len, "expected ',' or ']' in the list, found " + found_text,
                      found.kind == token_kind::word || found.kind == token_kind::number ||
                              found.kind == token_kind::string
                          ? "separate the values with ','"
                          : "");
  }
  if (which == "between-and") {
    return make_error(at, len, "expected 'and' in 'between A and B', found " + found_text);
  }
  if (which == "missing") {
    if (before == "not") {
      return make_error(at, len, "expected 'missing' after 'is not', found " + found_text);
    }
    return make_error(at, len,
                      "expected 'missing' or 'not missing' after 'is', found " + found_text);
  }
  if (which == "in-or-between") {
    return make_error(at, len,
                      "expected 'in', 'between' or 'contains' after 'not', found " + found_text,
                      "to negate a condition write 'not' before it: not a == 1");
  }
  if (which == "close-paren") {
    return make_error(at, len, "expected 'and', 'or' or ')', found " + found_text);
  }
  if (which == "end") {
    return make_error(at, len, "unexpected text after the condition",
                      found.kind == token_kind::word || found.text == "("
                          ? "join conditions with 'and' or 'or'"
                          : "");
  }
  return make_error(at, len, "cannot parse the condition here (expected " + which + ")");
}

// The pre-scan: refuses conditions that nest deeper than the limit (so X3, which recurses once
// per '(' and 'not', stays within a bounded stack) and strings without a closing quote. It is
// a loop with a stack no deeper than the limit. A `not` counts only where it starts a
// condition (at the start, after '(', 'and', 'or' or another 'not'); `a not in` and
// `is not missing` do not nest.
std::variant<std::monostate, parse_error> prescan(std::string_view text, uint32_t max_depth) {
  enum class prev_kind { start, open, connective, negation, other };
  std::vector<uint32_t> enclosing;  // the depth outside each open '('
  uint32_t base = 0;                // depth of the innermost open '('
  uint32_t pending_nots = 0;        // 'not's in a row, applying to what comes next
  prev_kind prev = prev_kind::start;
  const auto too_deep = [max_depth](std::size_t at, std::size_t len) {
    return make_error(at, len,
                      "conditions nest deeper than " + std::to_string(max_depth) + " levels",
                      "split the condition with helper decisions");
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_space(c)) {
      ++i;
    } else if (c == '"' || c == '\'') {
      const std::size_t end = skip_string(text, i);
      if (end == std::string_view::npos) {
        return make_error(i, 1, "unterminated string",
                          std::string("close the string with ") + static_cast<char>(c));
      }
      i = end;
      prev = prev_kind::other;
      pending_nots = 0;
    } else if (c == '(') {
      const uint32_t depth = base + pending_nots + 1;
      if (depth > max_depth) return too_deep(i, 1);
      enclosing.push_back(base);
      base = depth;
      pending_nots = 0;
      prev = prev_kind::open;
      ++i;
    } else if (c == ')') {
      if (!enclosing.empty()) {
        base = enclosing.back();
        enclosing.pop_back();
      }
      pending_nots = 0;
      prev = prev_kind::other;
      ++i;
    } else if (is_name_start(c)) {
      std::size_t e = i + 1;
      while (e < text.size() && is_name_char(static_cast<unsigned char>(text[e]))) ++e;
      const std::string_view word = text.substr(i, e - i);
      if (word == "not" && prev != prev_kind::other) {
        ++pending_nots;
        if (base + pending_nots > max_depth) return too_deep(i, 3);
        prev = prev_kind::negation;
      } else if (word == "and" || word == "or") {
        pending_nots = 0;
        prev = prev_kind::connective;
      } else {
        pending_nots = 0;
        prev = prev_kind::other;
      }
      i = e;
    } else {
      pending_nots = 0;
      prev = prev_kind::other;
      ++i;
    }
  }
  return std::monostate{};
}

void append_literal(std::string& out, const literal& l) {
  if (l.kind != literal_kind::string) {
    out += l.text;
    return;
  }
  out += '"';
  for (char c : l.text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

// A node without children, e.g. (== network S).
void append_leaf(std::string& out, const node& n) {
  switch (n.kind) {
    case node_kind::constant:
      out += n.constant_value ? "true" : "false";
      return;
    case node_kind::truthy:
      out += "(truthy " + n.operand + ")";
      return;
    case node_kind::is_missing:
      out += (n.negated ? "(not-missing " : "(missing ") + n.operand + ")";
      return;
    case node_kind::compare:
      out += "(";
      out += to_string(n.op);
      break;
    case node_kind::in_set:
      out += n.negated ? "(not-in" : "(in";
      break;
    case node_kind::between:
      out += n.negated ? "(not-between" : "(between";
      break;
    case node_kind::contains:
      out += n.negated ? "(not-contains" : "(contains";
      break;
    default:
      out += "(?)";
      return;
  }
  out += ' ';
  out += n.operand;
  if (n.kind == node_kind::in_set) {
    out += " [";
    for (std::size_t i = 0; i < n.literals.size(); ++i) {
      if (i > 0) out += ' ';
      append_literal(out, n.literals[i]);
    }
    out += ']';
  } else {
    for (const literal& l : n.literals) {
      out += ' ';
      append_literal(out, l);
    }
  }
  out += ')';
}

}  // namespace

const char* to_string(cmp_op op) {
  switch (op) {
    case cmp_op::eq:
      return "==";
    case cmp_op::ne:
      return "!=";
    case cmp_op::lt:
      return "<";
    case cmp_op::le:
      return "<=";
    case cmp_op::gt:
      return ">";
    case cmp_op::ge:
      return ">=";
  }
  return "?";
}

std::variant<condition_ast, parse_error> parse_condition(std::string_view text,
                                                         const parse_limits& limits) {
  try {
    if (text.size() > limits.max_length) {
      return make_error(0, 1,
                        "condition is longer than " + std::to_string(limits.max_length) + " bytes",
                        "split the condition with helper decisions");
    }
    if (auto scanned = prescan(text, limits.max_depth);
        std::holds_alternative<parse_error>(scanned)) {
      return std::get<parse_error>(std::move(scanned));
    }
    builder st;
    st.base = text.data();
    iter first = text.data();
    const iter last = text.data() + text.size();
    uint32_t root = 0;
    try {
      if (!x3::phrase_parse(first, last, x3::with<state_tag>(st)[top], space_skipper, root)) {
        // Unreachable: `top` only fails by throwing an expectation_failure.
        return make_error(0, 1, "expected a condition");
      }
    } catch (const x3::expectation_failure<iter>& e) {
      return describe_failure(text, e.which(), static_cast<std::size_t>(e.where() - text.data()));
    }
    st.ast.root = root;
    return std::move(st.ast);
  } catch (const lexical_error& e) {
    return make_error(e.offset, e.length, e.message, e.hint);
  } catch (const std::bad_alloc&) {
    return make_error(0, 1, "out of memory while parsing the condition");
  } catch (const std::exception& e) {
    return make_error(0, 1, std::string("internal error while parsing the condition: ") + e.what());
  } catch (...) {
    return make_error(0, 1, "internal error while parsing the condition");
  }
}

// Iterative, so that dumping an AST built by other code cannot overflow the stack either.
std::string dump(const condition_ast& ast) {
  std::string out;
  if (ast.root >= ast.nodes.size()) return "(?)";
  struct frame {
    uint32_t index;
    std::size_t next_child;
  };
  std::vector<frame> stack{{ast.root, 0}};
  while (!stack.empty()) {
    frame& f = stack.back();
    const node& n = ast.nodes[f.index];
    const bool has_children =
        n.kind == node_kind::and_ || n.kind == node_kind::or_ || n.kind == node_kind::not_;
    if (!has_children) {
      append_leaf(out, n);
      stack.pop_back();
      continue;
    }
    if (f.next_child == 0) {
      out += n.kind == node_kind::and_ ? "(and" : n.kind == node_kind::or_ ? "(or" : "(not";
    }
    if (f.next_child == n.children.size()) {
      out += ')';
      stack.pop_back();
      continue;
    }
    const uint32_t child = n.children[f.next_child++];
    out += ' ';
    if (child >= ast.nodes.size()) {
      out += "(?)";
      continue;
    }
    stack.push_back({child, 0});
  }
  return out;
}

}  // namespace chanrules::expr
