// Tests for the condition parser (src/expr/parser.cpp): every construct of the condition
// grammar rendered through dump(), every error message with its offset, and the limits that
// keep hostile input (deep nesting, huge chains) from overflowing the stack.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <variant>

#include "expr/ast.h"

namespace chanrules::expr {
namespace {

// The dump of a condition that must parse, or the error message when it does not.
std::string dump_or_error(std::string_view text, const parse_limits& limits = {}) {
  auto result = parse_condition(text, limits);
  if (auto* error = std::get_if<parse_error>(&result)) {
    return "error at " + std::to_string(error->offset) + ": " + error->message;
  }
  return dump(std::get<condition_ast>(result));
}

parse_error error_of(std::string_view text, const parse_limits& limits = {}) {
  auto result = parse_condition(text, limits);
  if (auto* error = std::get_if<parse_error>(&result)) return *error;
  ADD_FAILURE() << "parsed: " << dump(std::get<condition_ast>(result));
  return {};
}

condition_ast ast_of(std::string_view text, const parse_limits& limits = {}) {
  auto result = parse_condition(text, limits);
  if (auto* error = std::get_if<parse_error>(&result)) {
    ADD_FAILURE() << "error at " << error->offset << ": " << error->message;
    return {};
  }
  return std::get<condition_ast>(std::move(result));
}

struct good_case {
  const char* text;
  const char* dump;
};

// UTF-8 spelled with escapes: the sources are ASCII.
#define GUOMEI "\xe5\x9b\xbd\xe7\xbe\x8e"  // guomei (U+56FD U+7F8E)
#define SUNING "\xe8\x8b\x8f\xe5\xae\x81"  // suning (U+82CF U+5B81)
#define KEHU "\xe5\xae\xa2\xe6\x88\xb7"    // kehu, "customer" (U+5BA2 U+6237)
#define SHI "\xe6\x98\xaf"                 // shi, "yes" (U+662F)

const good_case good_cases[] = {
    // Comparisons.
    {"network == S", "(== network S)"},
    {"a != 1", "(!= a 1)"},
    {"a < 1", "(< a 1)"},
    {"a <= T3", "(<= a T3)"},
    {"a > 1", "(> a 1)"},
    {"a >= 500", "(>= a 500)"},
    {"a==1", "(== a 1)"},
    {"a>=-3", "(>= a -3)"},
    {"a<-3", "(< a -3)"},
    // Literals.
    {"a == 4.99", "(== a 4.99)"},
    {"a == -0.5", "(== a -0.5)"},
    {"a == 007", "(== a 007)"},
    {"d >= 2009-10-19", "(>= d 2009-10-19)"},
    {"d == 2008-02-29", "(== d 2008-02-29)"},
    {"s == \"DRA\"", "(== s \"DRA\")"},
    {"s == 'DRA'", "(== s \"DRA\")"},
    {"s == \"\"", "(== s \"\")"},
    {"s == \"in\"", "(== s \"in\")"},
    {"s == \"a\\\"b\\\\c\"", "(== s \"a\\\"b\\\\c\")"},
    {"s == 'it\\'s'", "(== s \"it's\")"},
    {"s == 'say \"hi\"'", "(== s \"say \\\"hi\\\"\")"},
    {"s == \"a b, c [d] (e)\"", "(== s \"a b, c [d] (e)\")"},
    {"b == true", "(== b true)"},
    {"b != false", "(!= b false)"},
    {"a == T3_x", "(== a T3_x)"},
    // Sets, ranges, missing values, bare names.
    {"a in [x, y]", "(in a [x y])"},
    {"a in [x]", "(in a [x])"},
    {"a in[x,y,\"z\",1,2009-01-01,true]", "(in a [x y \"z\" 1 2009-01-01 true])"},
    {"a not in [x]", "(not-in a [x])"},
    {"a between 1 and 5", "(between a 1 5)"},
    {"a not between -1.5 and 2009-12-31", "(not-between a -1.5 2009-12-31)"},
    {"a between T1 and T3 and b", "(and (between a T1 T3) (truthy b))"},
    {"a is missing", "(missing a)"},
    {"a is not missing", "(not-missing a)"},
    {"b", "(truthy b)"},
    {"true", "true"},
    {"false", "false"},
    {"true and x", "(and true (truthy x))"},
    // not, and, or: precedence, grouping and flattening.
    {"not a == 1", "(not (== a 1))"},
    {"not not a", "(not (not (truthy a)))"},
    {"not (a or b)", "(not (or (truthy a) (truthy b)))"},
    {"not a and b", "(and (not (truthy a)) (truthy b))"},
    {"a == 1 or b == 2 or c == 3", "(or (== a 1) (== b 2) (== c 3))"},
    {"a and b and c and d", "(and (truthy a) (truthy b) (truthy c) (truthy d))"},
    {"a or b and c", "(or (truthy a) (and (truthy b) (truthy c)))"},
    {"a and b or c and d", "(or (and (truthy a) (truthy b)) (and (truthy c) (truthy d)))"},
    {"(a or b) and c", "(and (or (truthy a) (truthy b)) (truthy c))"},
    {"(a or b) or c", "(or (or (truthy a) (truthy b)) (truthy c))"},
    {"((a))", "(truthy a)"},
    {"(a)and(b)", "(and (truthy a) (truthy b))"},
    {"a is missing or a is not missing and not a in [x]",
     "(or (missing a) (and (not-missing a) (not (in a [x]))))"},
    // Keywords are whole words: these are all names.
    {"android", "(truthy android)"},
    {"notes == 1", "(== notes 1)"},
    {"not notes", "(not (truthy notes))"},
    {"order or orange", "(or (truthy order) (truthy orange))"},
    {"island in [inner, isle]", "(in island [inner isle])"},
    {"between_x between x and y", "(between between_x x y)"},
    {"missing_count > 0", "(> missing_count 0)"},
    {"is_x is missing", "(missing is_x)"},
    {"true_value and falsey", "(and (truthy true_value) (truthy falsey))"},
    {"a == android", "(== a android)"},
    {"a == and1", "(== a and1)"},
    {"x1 == notx", "(== x1 notx)"},
    // UTF-8 names (Chinese field names and enum values).
    {"account == " GUOMEI, "(== account " GUOMEI ")"},
    {"IT" KEHU " == " SHI, "(== IT" KEHU " " SHI ")"},
    {KEHU " in [" GUOMEI ", " SUNING "]", "(in " KEHU " [" GUOMEI " " SUNING "])"},
    {KEHU "2 is missing", "(missing " KEHU "2)"},
    {"s == \"" GUOMEI "\"", "(== s \"" GUOMEI "\")"},
    // Whitespace, including the newlines of YAML block scalars.
    {"  \t a\n==\r\n1  \n", "(== a 1)"},
    {"gsm_monthly_units >= 500 and (\n"
     "     (market_tier <= T3 and local_rank <= 3)\n"
     "  or (market_tier == T4 and local_rank <= 2)\n"
     "  or (market_tier in [T5, T6] and local_rank == 1))\n",
     "(and (>= gsm_monthly_units 500) (or (and (<= market_tier T3) (<= local_rank 3)) "
     "(and (== market_tier T4) (<= local_rank 2)) (and (in market_tier [T5 T6]) (== local_rank "
     "1))))"},
    {"a in [\n  x,\n  y\n]", "(in a [x y])"},
};

TEST(ExprParser, DumpsEveryConstruct) {
  for (const good_case& c : good_cases) {
    EXPECT_EQ(dump_or_error(c.text), c.dump) << "input: " << c.text;
  }
}

struct bad_case {
  const char* text;
  uint32_t offset;
  uint32_t length;
  const char* message;
  const char* hint;  // nullptr: not checked
};

// One case per distinct message.
const bad_case bad_cases[] = {
    {"", 0, 1, "expected a condition, found end of condition", ""},
    {"   \n ", 5, 1, "expected a condition, found end of condition", nullptr},
    {"== 1", 0, 2, "expected a condition, found '=='", nullptr},
    {"in == 3", 0, 2, "expected a condition, found 'in'", nullptr},
    {"a and", 5, 1, "expected a condition after 'and', found end of condition", nullptr},
    {"a or 3", 5, 1, "expected a condition after 'or', found '3'", nullptr},
    {"not", 3, 1, "expected a condition after 'not', found end of condition", nullptr},
    {"( )", 2, 1, "expected a condition after '(', found ')'", nullptr},
    {"a ==", 4, 1, "expected a value after '==', found end of condition", ""},
    {"a >= and b", 5, 3, "expected a value after '>=', found 'and'",
     "keywords used as values must be quoted: \"and\""},
    {"a == 3T", 5, 2, "expected a value after '==', found '3T'",
     "numbers are written 500, 4.99 or -3 and dates 2009-10-19; quote any other value"},
    {"a == 1.", 5, 2, "expected a value after '==', found '1.'", nullptr},
    {"a == 2009-1-19", 5, 9, "expected a value after '==', found '2009-1-19'", nullptr},
    {"a == @x", 5, 1, "expected a value after '==', found '@'",
     "quote values that are not plain names, e.g. \"a-b\""},
    {"a in [x,]", 8, 1, "expected a value after ',', found ']'", ""},
    {"a in []", 6, 1, "expected a value after '[', found ']'", nullptr},
    {"a between and 5", 10, 3, "expected a value after 'between', found 'and'", nullptr},
    {"a between 1 and", 15, 1, "expected a value after 'and', found end of condition", nullptr},
    {"a in x", 5, 1, "expected '[' after 'in', found 'x'", "write the values as a list: in [a, b]"},
    {"a in [x y]", 8, 1, "expected ',' or ']' in the list, found 'y'",
     "separate the values with ','"},
    {"a in [x) and b", 7, 1, "expected ',' or ']' in the list, found ')'", ""},
    {"a in [x, y", 5, 1, "unclosed '['", "add the missing ']'"},
    {"a between 1 or 5", 12, 2, "expected 'and' in 'between A and B', found 'or'", nullptr},
    {"a is present", 5, 7, "expected 'missing' or 'not missing' after 'is', found 'present'",
     nullptr},
    {"a is not there", 9, 5, "expected 'missing' after 'is not', found 'there'", nullptr},
    {"a not x", 6, 1, "expected 'in', 'between' or 'contains' after 'not', found 'x'", nullptr},
    {"(a == 1", 0, 1, "unclosed '('", "add the missing ')'"},
    {"(a) and ((b == \")\")", 8, 1, "unclosed '('", nullptr},
    {"(a == 1 b)", 8, 1, "expected 'and', 'or' or ')', found 'b'", nullptr},
    {"a == 1)", 6, 1, "unmatched ')'", ""},
    {"a == 1 b == 2", 7, 1, "unexpected text after the condition",
     "join conditions with 'and' or 'or'"},
    {"a == 1 ]", 7, 1, "unexpected text after the condition", ""},
    {"a = 1", 2, 1, "unexpected '='", "use == to compare"},
    {"a && b", 2, 2, "unexpected '&&'", "use 'and' instead of '&&'"},
    {"a || b", 2, 2, "unexpected '||'", "use 'or' instead of '||'"},
    {"!a", 0, 1, "unexpected '!'", "use 'not' to negate a condition, or != to compare"},
    {"a <> 1", 2, 2, "unexpected '<>'", "use != to compare"},
    {"(a => 1)", 3, 2, "unexpected '=>'", "use >= to compare"},
    {"s == \"abc", 5, 1, "unterminated string", "close the string with \""},
    {"s == 'it\\'s", 5, 1, "unterminated string", "close the string with '"},
    {"s == \"a\\nb\"", 7, 2, "unknown escape in string",
     "only \\\", \\' and \\\\ are escapes; write \\\\ for a backslash"},
    {"d == 2009-02-29", 5, 10, "invalid date '2009-02-29'", nullptr},
    {"d in [2009-13-01]", 6, 10, "invalid date '2009-13-01'", nullptr},
    {"a == \x01", 5, 1, "expected a value after '==', found character 0x01", nullptr},
};

TEST(ExprParser, ReportsEachErrorWithItsOffset) {
  for (const bad_case& c : bad_cases) {
    const parse_error e = error_of(c.text);
    EXPECT_EQ(e.message, c.message) << "input: " << c.text;
    EXPECT_EQ(e.offset, c.offset) << "input: " << c.text;
    EXPECT_EQ(e.length, c.length) << "input: " << c.text;
    if (c.hint != nullptr) {
      EXPECT_EQ(e.hint, c.hint) << "input: " << c.text;
    }
  }
}

TEST(ExprParser, LongTokensAreShortenedInMessages) {
  // 30 bytes of name: the message shows 24 and an ellipsis.
  const parse_error e = error_of("a == 1 bbbbbbbbbbcccccccccc" GUOMEI " == 2");
  EXPECT_EQ(e.message, "unexpected text after the condition");
  EXPECT_EQ(e.length, 26u);
  const parse_error f = error_of("a in [x yyyyyyyyyyzzzzzzzzzzqqq" GUOMEI "]");
  // 24 bytes would cut the UTF-8 sequence of the first character in half.
  EXPECT_EQ(f.message, "expected ',' or ']' in the list, found 'yyyyyyyyyyzzzzzzzzzzqqq...'");
}

TEST(ExprParser, RecordsSpans) {
  const std::string text = "  x == \"a\\\"b\" and not y in [1, T2] or z is missing";
  const condition_ast ast = ast_of(text);
  ASSERT_FALSE(ast.nodes.empty());
  auto span_text = [&](source_span s) { return text.substr(s.begin, s.end - s.begin); };
  const node& root = ast.nodes[ast.root];
  ASSERT_EQ(root.kind, node_kind::or_);
  EXPECT_EQ(span_text(root.span), text.substr(2));
  ASSERT_EQ(root.children.size(), 2u);
  const node& conj = ast.nodes[root.children[0]];
  ASSERT_EQ(conj.kind, node_kind::and_);
  EXPECT_EQ(span_text(conj.span), "x == \"a\\\"b\" and not y in [1, T2]");
  const node& cmp = ast.nodes[conj.children[0]];
  ASSERT_EQ(cmp.kind, node_kind::compare);
  EXPECT_EQ(span_text(cmp.span), "x == \"a\\\"b\"");
  EXPECT_EQ(cmp.operand, "x");
  EXPECT_EQ(span_text(cmp.operand_span), "x");
  ASSERT_EQ(cmp.literals.size(), 1u);
  EXPECT_EQ(cmp.literals[0].kind, literal_kind::string);
  EXPECT_EQ(cmp.literals[0].text, "a\"b");
  EXPECT_EQ(span_text(cmp.literals[0].span), "\"a\\\"b\"");
  const node& neg = ast.nodes[conj.children[1]];
  ASSERT_EQ(neg.kind, node_kind::not_);
  EXPECT_EQ(span_text(neg.span), "not y in [1, T2]");
  const node& set = ast.nodes[neg.children[0]];
  ASSERT_EQ(set.kind, node_kind::in_set);
  EXPECT_FALSE(set.negated);
  EXPECT_EQ(span_text(set.span), "y in [1, T2]");
  ASSERT_EQ(set.literals.size(), 2u);
  EXPECT_EQ(set.literals[0].kind, literal_kind::number);
  EXPECT_EQ(set.literals[1].kind, literal_kind::name);
  EXPECT_EQ(span_text(set.literals[1].span), "T2");
  const node& missing = ast.nodes[root.children[1]];
  ASSERT_EQ(missing.kind, node_kind::is_missing);
  EXPECT_EQ(span_text(missing.span), "z is missing");
  EXPECT_EQ(span_text(missing.operand_span), "z");
}

TEST(ExprParser, SpansOfParenthesizedConditionsIncludeTheParentheses) {
  const std::string text = "not (a or (b)) and ( c )";
  const condition_ast ast = ast_of(text);
  ASSERT_FALSE(ast.nodes.empty());
  auto span_text = [&](source_span s) { return text.substr(s.begin, s.end - s.begin); };
  const node& root = ast.nodes[ast.root];
  ASSERT_EQ(root.kind, node_kind::and_);
  EXPECT_EQ(span_text(root.span), text);
  const node& neg = ast.nodes[root.children[0]];
  EXPECT_EQ(span_text(neg.span), "not (a or (b))");
  const node& disj = ast.nodes[neg.children[0]];
  EXPECT_EQ(span_text(disj.span), "(a or (b))");
  EXPECT_EQ(span_text(ast.nodes[disj.children[1]].span), "(b)");
  EXPECT_EQ(span_text(ast.nodes[disj.children[1]].operand_span), "b");
  EXPECT_EQ(span_text(ast.nodes[root.children[1]].span), "( c )");
}

TEST(ExprParser, RecordsKindsAndValues) {
  const condition_ast ast = ast_of("d between 2009-01-01 and 2009-12-31 and b == true and c");
  const node& root = ast.nodes[ast.root];
  ASSERT_EQ(root.children.size(), 3u);
  const node& range = ast.nodes[root.children[0]];
  EXPECT_EQ(range.kind, node_kind::between);
  EXPECT_EQ(range.literals[0].kind, literal_kind::date);
  EXPECT_EQ(range.literals[1].text, "2009-12-31");
  const node& flag = ast.nodes[root.children[1]];
  EXPECT_EQ(flag.op, cmp_op::eq);
  EXPECT_EQ(flag.literals[0].kind, literal_kind::boolean);
  EXPECT_EQ(flag.literals[0].text, "true");
  const node& bare = ast.nodes[root.children[2]];
  EXPECT_EQ(bare.kind, node_kind::truthy);
  EXPECT_EQ(bare.operand, "c");

  const condition_ast f = ast_of(" false ");
  ASSERT_EQ(f.nodes.size(), 1u);
  EXPECT_EQ(f.nodes[f.root].kind, node_kind::constant);
  EXPECT_FALSE(f.nodes[f.root].constant_value);
  EXPECT_EQ(f.nodes[f.root].span.begin, 1u);
  EXPECT_EQ(f.nodes[f.root].span.end, 6u);
}

TEST(ExprParser, CmpOpNames) {
  EXPECT_STREQ(to_string(cmp_op::eq), "==");
  EXPECT_STREQ(to_string(cmp_op::ne), "!=");
  EXPECT_STREQ(to_string(cmp_op::lt), "<");
  EXPECT_STREQ(to_string(cmp_op::le), "<=");
  EXPECT_STREQ(to_string(cmp_op::gt), ">");
  EXPECT_STREQ(to_string(cmp_op::ge), ">=");
}

std::string repeat(std::string_view piece, std::size_t n) {
  std::string out;
  out.reserve(piece.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += piece;
  return out;
}

TEST(ExprParser, NestingUpToTheLimitParses) {
  EXPECT_EQ(dump_or_error(repeat("(", 64) + "a" + repeat(")", 64)), "(truthy a)");
  EXPECT_EQ(dump_or_error(repeat("not ", 63) + "not a").substr(0, 10), "(not (not ");
  // Parentheses and `not` add up: 32 of each is 64.
  EXPECT_EQ(dump_or_error(repeat("not (", 32) + "a" + repeat(")", 32)).substr(0, 5), "(not ");
  // Nesting that closes again does not accumulate.
  EXPECT_EQ(dump_or_error(repeat("(" + repeat("(", 63) + "a" + repeat(")", 63) + ") and ", 3) + "b")
                .substr(0, 5),
            "(and ");
  // `not` inside a predicate does not nest.
  EXPECT_EQ(dump_or_error(repeat("(", 64) + "a not in [x] and b is not missing" + repeat(")", 64)),
            "(and (not-in a [x]) (not-missing b))");
}

TEST(ExprParser, NestingBeyondTheLimitIsRefused) {
  const parse_error parens = error_of(repeat("(", 65) + "a" + repeat(")", 65));
  EXPECT_EQ(parens.message, "conditions nest deeper than 64 levels");
  EXPECT_EQ(parens.offset, 64u);
  const parse_error nots = error_of(repeat("not ", 65) + "a");
  EXPECT_EQ(nots.message, "conditions nest deeper than 64 levels");
  EXPECT_EQ(nots.offset, 64u * 4);
  EXPECT_EQ(nots.length, 3u);
  const parse_error mixed = error_of(repeat("not (", 32) + "not a" + repeat(")", 32));
  EXPECT_EQ(mixed.offset, 32u * 5);
  parse_limits small;
  small.max_depth = 2;
  EXPECT_EQ(error_of("(((a)))", small).offset, 2u);
  EXPECT_EQ(error_of("(((a)))", small).message, "conditions nest deeper than 2 levels");
  EXPECT_EQ(dump_or_error("(a) and (not b)", small), "(and (truthy a) (not (truthy b)))");
}

TEST(ExprParser, HugeNestingFailsCleanlyAndFast) {
  const auto start = std::chrono::steady_clock::now();
  const std::string parens = repeat("(", 100000) + "a" + repeat(")", 100000);
  const std::string nots = repeat("not ", 100000) + "a";
  // With the default limits the length limit refuses them first.
  EXPECT_EQ(error_of(parens).message, "condition is longer than 65536 bytes");
  EXPECT_EQ(error_of(nots).message, "condition is longer than 65536 bytes");
  // With the length limit lifted, the nesting limit refuses them before X3 recurses.
  parse_limits unlimited;
  unlimited.max_length = UINT32_MAX;
  const parse_error deep_parens = error_of(parens, unlimited);
  EXPECT_EQ(deep_parens.message, "conditions nest deeper than 64 levels");
  EXPECT_EQ(deep_parens.offset, 64u);
  EXPECT_EQ(error_of(repeat("(", 100000), unlimited).offset, 64u);
  const parse_error deep_nots = error_of(nots, unlimited);
  EXPECT_EQ(deep_nots.message, "conditions nest deeper than 64 levels");
  EXPECT_EQ(deep_nots.offset, 256u);
  EXPECT_EQ(error_of(repeat("(not ", 100000) + "a", unlimited).offset, 64u / 2 * 5);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(ExprParser, LengthLimit) {
  parse_limits limits;
  limits.max_length = 10;
  EXPECT_EQ(dump_or_error("a == 12345", limits), "(== a 12345)");
  const parse_error e = error_of("a == 123456", limits);
  EXPECT_EQ(e.message, "condition is longer than 10 bytes");
  EXPECT_EQ(e.offset, 0u);
  EXPECT_EQ(error_of(repeat("x", 64 * 1024 + 1)).message, "condition is longer than 65536 bytes");
  EXPECT_EQ(dump_or_error(repeat("x", 64 * 1024)).substr(0, 9), "(truthy x");
}

TEST(ExprParser, MillionTermChain) {
  const std::size_t terms = 1000000;
  const std::string text = repeat("a == 1 or ", terms - 1) + "a == 1";
  // Refused by the default length limit, cleanly.
  EXPECT_EQ(error_of(text).message, "condition is longer than 65536 bytes");
  parse_limits limits;
  limits.max_length = UINT32_MAX;
  {
    auto result = parse_condition(text, limits);
    ASSERT_TRUE(std::holds_alternative<condition_ast>(result));
    const condition_ast& ast = std::get<condition_ast>(result);
    const node& root = ast.nodes[ast.root];
    EXPECT_EQ(root.kind, node_kind::or_);
    EXPECT_EQ(root.children.size(), terms);
    EXPECT_EQ(root.span.end, text.size());
    EXPECT_EQ(dump(ast).size(), std::string_view("(or)").size() + terms * 9);
  }  // destroyed here: must not recurse
  // `and` chains are flat too (a tenth of the size: unoptimized builds parse ~150k terms/s).
  const std::string ands = repeat("a and ", terms / 10 - 1) + "a";
  auto result = parse_condition(ands, limits);
  ASSERT_TRUE(std::holds_alternative<condition_ast>(result));
  const condition_ast& ast = std::get<condition_ast>(result);
  EXPECT_EQ(ast.nodes.size(), terms / 10 + 1);
  EXPECT_EQ(ast.nodes[ast.root].children.size(), terms / 10);
}

// Random token soup: the parser must never crash or throw, errors must point inside the text,
// and every AST must satisfy the shape ast.h promises.
TEST(ExprParser, RandomInputsKeepTheContract) {
  static constexpr const char* pieces[] = {
      "a",       "b2",   GUOMEI,    "and",    "or", "not", "in",   "between",    "is",
      "missing", "true", "false",   "(",      ")",  "[",   "]",    ",",          "==",
      "!=",      "<=",   ">",       "=",      "&&", "1",   "-2.5", "2009-10-19", "2009-02-30",
      "\"x\"",   "'y'",  "\"\\q\"", "\"open", "!",  "@",   " ",    "\n"};
  uint64_t seed = 42;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(seed >> 33);
  };
  int parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const uint32_t count = 1 + next() % 12;
    for (uint32_t i = 0; i < count; ++i) {
      text += pieces[next() % std::size(pieces)];
      if (next() % 3 != 0) text += ' ';
    }
    auto result = parse_condition(text);
    if (auto* error = std::get_if<parse_error>(&result)) {
      EXPECT_LE(error->offset, text.size()) << text;
      EXPECT_GE(error->length, 1u) << text;
      EXPECT_LE(error->offset + error->length, text.size() + 1) << text;
      EXPECT_FALSE(error->message.empty()) << text;
      continue;
    }
    ++parsed;
    const condition_ast& ast = std::get<condition_ast>(result);
    ASSERT_LT(ast.root, ast.nodes.size()) << text;
    EXPECT_EQ(ast.root, ast.nodes.size() - 1) << text;
    for (uint32_t i = 0; i < ast.nodes.size(); ++i) {
      const node& n = ast.nodes[i];
      EXPECT_LE(n.span.begin, n.span.end) << text;
      EXPECT_LE(n.span.end, text.size()) << text;
      for (uint32_t child : n.children) EXPECT_LT(child, i) << text;
      switch (n.kind) {
        case node_kind::and_:
        case node_kind::or_:
          EXPECT_GE(n.children.size(), 2u) << text;
          break;
        case node_kind::not_:
          EXPECT_EQ(n.children.size(), 1u) << text;
          break;
        case node_kind::compare:
          EXPECT_EQ(n.literals.size(), 1u) << text;
          break;
        case node_kind::between:
          EXPECT_EQ(n.literals.size(), 2u) << text;
          break;
        case node_kind::in_set:
          EXPECT_GE(n.literals.size(), 1u) << text;
          break;
        default:
          EXPECT_TRUE(n.literals.empty()) << text;
      }
      if (n.kind != node_kind::and_ && n.kind != node_kind::or_ && n.kind != node_kind::not_) {
        EXPECT_TRUE(n.children.empty()) << text;
      }
      for (const literal& l : n.literals) {
        EXPECT_LE(n.operand_span.end, l.span.begin) << text;
        EXPECT_LE(l.span.end, n.span.end) << text;
      }
    }
  }
  EXPECT_GT(parsed, 100);  // the soup must also produce valid conditions
}

TEST(ExprParser, DumpToleratesForeignAsts) {
  condition_ast empty;
  EXPECT_EQ(dump(empty), "(?)");
  condition_ast bad;
  node n;
  n.kind = node_kind::and_;
  n.children = {0, 7};
  bad.nodes.push_back(n);
  node leaf;
  leaf.kind = node_kind::constant;
  leaf.constant_value = true;
  bad.nodes.push_back(leaf);
  n.children = {1, 7};
  bad.nodes.push_back(n);
  bad.root = 2;
  EXPECT_EQ(dump(bad), "(and true (?))");
}

}  // namespace
}  // namespace chanrules::expr
