// Source files of a rule set, and the mapping of byte offsets to line:column positions.
//
// Used by the loader (YAML marks), the checker (positions inside conditions) and everyone who
// builds a diagnostic. Positions are computed once per file (a line-start index).
#pragma once

#include <chanrules/diagnostics.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules::detail {

class source_file {
 public:
  source_file(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }

  // 1-based line and column (in code points) of a byte offset.
  source_location location_of(size_t offset) const;
  // The text of a 1-based line, without its line end.
  std::string_view line_text(uint32_t line) const;

 private:
  std::string path_;
  std::string text_;
  std::vector<size_t> line_starts_;
};

using source_ptr = std::shared_ptr<const source_file>;

// A position inside a source file, cheap to copy.
struct source_pos {
  source_ptr file;
  size_t offset = 0;
  bool valid() const { return file != nullptr; }
};

// Builds a diagnostic at `pos` covering `length` bytes.
diagnostic make_diagnostic(severity level, std::string code, const source_pos& pos,
                           std::string message, std::string hint = {}, size_t length = 1);

// Appends `s` as a JSON string literal (quotes, backslashes and control characters escaped).
void append_json_string(std::string& out, std::string_view s);

// Number of UTF-8 code points in `text`.
size_t count_code_points(std::string_view text);

// Runs of white space (a condition written over several lines) become one space, with none
// at either end: how explanations, coverage and traces show a condition.
std::string one_line(std::string_view s);

}  // namespace chanrules::detail
