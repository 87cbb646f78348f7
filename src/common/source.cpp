// Line index, caret rendering and JSON output for diagnostics.
#include "common/source.h"

#include <algorithm>
#include <array>

namespace chanrules {

const char* to_string(severity s) {
  switch (s) {
    case severity::error:
      return "error";
    case severity::warning:
      return "warning";
    case severity::note:
      return "note";
  }
  return "error";
}

namespace {

// Display width of a code point starting at `p`: CJK and full-width forms take two terminal
// columns, so the caret under Chinese text needs two spaces per character.
size_t display_width(unsigned char lead, std::string_view rest) {
  if (lead < 0x80) return 1;
  if (lead >= 0xE0 && rest.size() >= 2) {
    unsigned cp = ((lead & 0x0F) << 12) | ((static_cast<unsigned char>(rest[0]) & 0x3F) << 6) |
                  (static_cast<unsigned char>(rest[1]) & 0x3F);
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6))
      return 2;
  }
  if (lead >= 0xF0) return 2;
  return 1;
}

size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::string format(const diagnostic& d) {
  std::string out;
  if (!d.location.file.empty()) {
    out += d.location.file;
    if (d.location.line > 0) {
      out += ':' + std::to_string(d.location.line);
      if (d.location.column > 0) out += ':' + std::to_string(d.location.column);
    }
    out += ": ";
  }
  out += to_string(d.level);
  out += ": ";
  out += d.message;
  if (!d.code.empty()) out += " [" + d.code + "]";
  out += '\n';
  if (!d.source_line.empty() && d.location.column > 0) {
    out += "  ";
    out += d.source_line;
    out += "\n  ";
    // Walk the line to the caret column, copying tabs so the caret lines up in a terminal.
    std::string_view line = d.source_line;
    size_t i = 0;
    uint32_t col = 1;
    while (i < line.size() && col < d.location.column) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      size_t len = std::min(utf8_length(c), line.size() - i);
      if (c == '\t') {
        out += '\t';
      } else {
        out.append(display_width(c, line.substr(i + 1)), ' ');
      }
      i += len;
      ++col;
    }
    size_t width = 0;
    for (uint32_t n = 0; n < std::max<uint32_t>(1, d.caret_length) && i < line.size(); ++n) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      width += display_width(c, line.substr(i + 1));
      i += std::min(utf8_length(c), line.size() - i);
    }
    out.append(std::max<size_t>(1, width), '^');
    out += '\n';
  }
  if (!d.hint.empty()) out += "  hint: " + d.hint + '\n';
  return out;
}

std::string to_json(const diagnostic& d) {
  std::string out = "{\"severity\":";
  detail::append_json_string(out, to_string(d.level));
  out += ",\"code\":";
  detail::append_json_string(out, d.code);
  out += ",\"file\":";
  detail::append_json_string(out, d.location.file);
  out += ",\"line\":" + std::to_string(d.location.line);
  out += ",\"column\":" + std::to_string(d.location.column);
  out += ",\"message\":";
  detail::append_json_string(out, d.message);
  out += ",\"hint\":";
  detail::append_json_string(out, d.hint);
  out += '}';
  return out;
}

bool has_errors(const std::vector<diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const diagnostic& d) { return d.level == severity::error; });
}

namespace detail {

namespace {
// Bytes a JSON string cannot hold as they are: control characters, '"' and '\'.
constexpr auto json_special = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<size_t>(c)] = true;
  t['"'] = t['\\'] = true;
  return t;
}();
}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t run = 0;  // start of the bytes not yet appended
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = s[i];
    if (!json_special[c]) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static const char* hex = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  }
  out.append(text.data() + run, n - run);
  out += '"';
}

source_file::source_file(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
}

source_location source_file::location_of(size_t offset) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line_index = static_cast<size_t>(it - line_starts_.begin()) - 1;
  size_t start = line_starts_[line_index];
  // A UTF-8 byte order mark is not a column of the first line.
  if (line_index == 0 && offset >= 3 && text_.compare(0, 3, "\xEF\xBB\xBF") == 0) start = 3;
  source_location loc;
  loc.file = path_;
  loc.line = static_cast<uint32_t>(line_index + 1);
  loc.column = static_cast<uint32_t>(
      count_code_points(std::string_view(text_).substr(start, offset - start)) + 1);
  return loc;
}

std::string_view source_file::line_text(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  size_t start = line_starts_[line - 1];
  size_t end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
  std::string_view view(text_);
  view = view.substr(start, end - start);
  if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
  if (line == 1 && view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);
  return view;
}

size_t count_code_points(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

diagnostic make_diagnostic(severity level, std::string code, const source_pos& pos,
                           std::string message, std::string hint, size_t length) {
  diagnostic d;
  d.level = level;
  d.code = std::move(code);
  d.message = std::move(message);
  d.hint = std::move(hint);
  if (pos.file) {
    d.location = pos.file->location_of(pos.offset);
    d.source_line = std::string(pos.file->line_text(d.location.line));
    std::string_view rest =
        std::string_view(pos.file->text()).substr(std::min(pos.offset, pos.file->text().size()));
    rest = rest.substr(0, std::min(length, rest.size()));
    d.caret_length = static_cast<uint32_t>(std::max<size_t>(1, count_code_points(rest)));
  }
  return d;
}

std::string one_line(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace detail
}  // namespace chanrules
