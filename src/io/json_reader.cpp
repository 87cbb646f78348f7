// The strict JSON reader (see json_reader.h): a recursive-descent parser over the text,
// tracking line and column for its messages.
#include "io/json_reader.h"

#include <cstdio>
#include <stdexcept>

namespace chanrules::io {

json_value::json_value() = default;
json_value::json_value(const json_value&) = default;
json_value::json_value(json_value&&) noexcept = default;
json_value& json_value::operator=(const json_value&) = default;
json_value& json_value::operator=(json_value&&) noexcept = default;
json_value::~json_value() = default;

namespace {

struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class parser {
 public:
  parser(std::string_view text, size_t max_depth) : s_(text), max_depth_(max_depth) {}

  json_value document() {
    // A UTF-8 byte-order mark is tolerated at the very start (editors add one).
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") advance(3);
    skip_space();
    if (at_end()) fail("the text is empty: expected a JSON value");
    json_value v = value(0);
    skip_space();
    if (!at_end()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw parse_error("line " + std::to_string(line_) + ", column " + std::to_string(column_) +
                      ": " + what);
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }

  void advance(size_t n = 1) {
    for (size_t i = 0; i < n && pos_ < s_.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++column_;  // columns count code points, as the rule-set diagnostics do
      }
    }
  }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      advance();
  }

  static std::string shown(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", u);
    return buf;
  }

  json_value value(size_t depth) {
    if (depth >= max_depth_)
      fail("nested more than " + std::to_string(max_depth_) + " levels deep");
    json_value v;
    v.line = line_;
    v.column = column_;
    char c = peek();
    if (c == '{') {
      object(v, depth);
    } else if (c == '[') {
      array(v, depth);
    } else if (c == '"') {
      v.type = json_value::kind::string;
      v.text = string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.type = json_value::kind::number;
      v.text = number();
    } else if (s_.substr(pos_, 4) == "true") {
      v.type = json_value::kind::boolean;
      v.boolean = true;
      advance(4);
    } else if (s_.substr(pos_, 5) == "false") {
      v.type = json_value::kind::boolean;
      advance(5);
    } else if (s_.substr(pos_, 4) == "null") {
      advance(4);
    } else {
      fail("expected a JSON value, found " + shown(c));
    }
    return v;
  }

  void object(json_value& v, size_t depth) {
    v.type = json_value::kind::object;
    advance();  // {
    skip_space();
    if (!at_end() && peek() == '}') {
      advance();
      return;
    }
    for (;;) {
      skip_space();
      if (at_end()) fail("the text ends inside an object");
      if (peek() != '"') fail("expected a member name in double quotes, found " + shown(peek()));
      uint32_t name_line = line_, name_column = column_;
      std::string name = string();
      for (const auto& m : v.members)
        if (m.first == name) {
          line_ = name_line;
          column_ = name_column;
          fail("the member \"" + name + "\" appears twice in one object");
        }
      skip_space();
      if (at_end() || peek() != ':') fail("expected ':' after the member name \"" + name + "\"");
      advance();
      skip_space();
      if (at_end()) fail("the text ends before the value of \"" + name + "\"");
      v.members.emplace_back(std::move(name), value(depth + 1));
      skip_space();
      if (at_end()) fail("the text ends inside an object");
      if (peek() == ',') {
        advance();
        continue;
      }
      if (peek() == '}') {
        advance();
        return;
      }
      fail("expected ',' or '}' after an object member, found " + shown(peek()));
    }
  }

  void array(json_value& v, size_t depth) {
    v.type = json_value::kind::array;
    advance();  // [
    skip_space();
    if (!at_end() && peek() == ']') {
      advance();
      return;
    }
    for (;;) {
      skip_space();
      if (at_end()) fail("the text ends inside an array");
      v.items.push_back(value(depth + 1));
      skip_space();
      if (at_end()) fail("the text ends inside an array");
      if (peek() == ',') {
        advance();
        continue;
      }
      if (peek() == ']') {
        advance();
        return;
      }
      fail("expected ',' or ']' after an array element, found " + shown(peek()));
    }
  }

  std::string number() {
    size_t begin = pos_;
    if (peek() == '-') advance();
    if (at_end() || peek() < '0' || peek() > '9') fail("expected a digit in a number");
    if (peek() == '0') {
      advance();
    } else {
      while (!at_end() && peek() >= '0' && peek() <= '9') advance();
    }
    if (!at_end() && peek() == '.') {
      advance();
      if (at_end() || peek() < '0' || peek() > '9') fail("expected a digit after '.'");
      while (!at_end() && peek() >= '0' && peek() <= '9') advance();
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      advance();
      if (!at_end() && (peek() == '+' || peek() == '-')) advance();
      if (at_end() || peek() < '0' || peek() > '9') fail("expected a digit in the exponent");
      while (!at_end() && peek() >= '0' && peek() <= '9') advance();
    }
    return std::string(s_.substr(begin, pos_ - begin));
  }

  unsigned hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      if (at_end()) fail("the text ends inside a \\u escape");
      char c = peek();
      unsigned d;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("expected four hex digits after \\u");
      }
      v = v * 16 + d;
      advance();
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // One UTF-8 sequence copied as it is, after checking it is well formed.
  void utf8_sequence(std::string& out) {
    const unsigned char c = static_cast<unsigned char>(peek());
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (len == 0 || pos_ + len > s_.size()) fail("a string holds bytes that are not UTF-8");
    unsigned cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t i = 1; i < len; ++i) {
      unsigned char k = static_cast<unsigned char>(s_[pos_ + i]);
      if ((k & 0xC0) != 0x80) fail("a string holds bytes that are not UTF-8");
      cp = (cp << 6) | (k & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      fail("a string holds bytes that are not UTF-8");
    out.append(s_.substr(pos_, len));
    advance(len);
  }

  std::string string() {
    advance();  // "
    std::string out;
    for (;;) {
      if (at_end()) fail("the text ends inside a string");
      char c = peek();
      if (c == '"') {
        advance();
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        fail("a control character must be escaped in a string");
      if (static_cast<unsigned char>(c) >= 0x80) {
        utf8_sequence(out);
        continue;
      }
      if (c != '\\') {
        out += c;
        advance();
        continue;
      }
      advance();
      if (at_end()) fail("the text ends inside a string");
      char e = peek();
      advance();
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("a \\u escape holds a lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") fail("a high surrogate must be followed by a low one");
            advance(2);
            unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF)
              fail("a high surrogate must be followed by a low one");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          fail("unknown escape \\" + std::string(1, e) + " in a string");
      }
    }
  }

  std::string_view s_;
  size_t max_depth_;
  size_t pos_ = 0;
  uint32_t line_ = 1, column_ = 1;
};

}  // namespace

const json_value* json_value::find(std::string_view name) const {
  for (const auto& m : members)
    if (m.first == name) return &m.second;
  return nullptr;
}

std::optional<uint64_t> json_value::as_uint64() const {
  if (type != kind::number || text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

const char* json_value::kind_name() const {
  switch (type) {
    case kind::null:
      return "null";
    case kind::boolean:
      return "a boolean";
    case kind::number:
      return "a number";
    case kind::string:
      return "a string";
    case kind::array:
      return "an array";
    case kind::object:
      return "an object";
  }
  return "?";
}

json_parse_result parse_json(std::string_view text, size_t max_depth) {
  json_parse_result r;
  try {
    parser p(text, max_depth);
    r.value = p.document();
  } catch (const parse_error& e) {
    r.error = e.what();
  }
  return r;
}

}  // namespace chanrules::io
