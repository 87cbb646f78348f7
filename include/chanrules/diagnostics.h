// Diagnostics: what chanrules says about a rule set (errors, warnings, notes).
//
// Every problem a rule author can cause is a `diagnostic` with a stable code, a position
// (file:line:column, 1-based, columns counted in Unicode code points), the offending source
// line and a hint. Loading collects all of them instead of stopping at the first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chanrules {

enum class severity : uint8_t { error, warning, note };

const char* to_string(severity s);

// A position in a rule-set source file. line and column are 1-based; 0 means "unknown".
struct source_location {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

struct diagnostic {
  severity level = severity::error;
  std::string code;           // stable identifier, e.g. "E-unknown-name" (see docs/diagnostics.md)
  source_location location;   // where the problem is
  std::string message;        // what is wrong, one line
  std::string hint;           // how to fix it (may be empty)
  std::string source_line;    // the text of location.line, for the caret display (may be empty)
  uint32_t caret_length = 1;  // code points the caret covers
};

// "file:line:col: error: message [code]" followed by the source line, a caret line and the
// hint, each on its own line; ends with '\n'.
std::string format(const diagnostic& d);

// JSON object for one diagnostic (keys: severity, code, file, line, column, message, hint).
std::string to_json(const diagnostic& d);

// True when any diagnostic in the list is an error.
bool has_errors(const std::vector<diagnostic>& diagnostics);

}  // namespace chanrules
