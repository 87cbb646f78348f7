// Helpers shared by the GoogleTest suites (test-only).
#pragma once

#include <gtest/gtest.h>

#include <chanrules/chanrules.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules::testing {

// Every diagnostic, formatted, for failure messages.
inline std::string describe(const std::vector<diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) out += format(d);
  return out.empty() ? "(no diagnostics)\n" : out;
}

// Loads a rule set from text that must load without errors (a failure is reported).
inline std::shared_ptr<const rule_set> load_ok(const std::string& yaml,
                                               const std::string& base = ".",
                                               const std::string& name = "test.yaml") {
  load_result r = rule_set::load_string(yaml, name, base);
  EXPECT_TRUE(r.ok()) << describe(r.diagnostics);
  return r.rules;
}

struct line_col {
  uint32_t line = 0;
  uint32_t column = 0;
};

// Position of the '^' in `marker` once the marker (without '^') is found in `text`; the
// marker must occur exactly once. Columns count code points, as diagnostics do.
inline line_col at(const std::string& text, std::string_view marker) {
  size_t caret = marker.find('^');
  if (caret == std::string_view::npos) {
    ADD_FAILURE() << "marker without '^': " << marker;
    return {};
  }
  std::string needle = std::string(marker.substr(0, caret)) + std::string(marker.substr(caret + 1));
  size_t found = text.find(needle);
  if (found == std::string::npos || text.find(needle, found + 1) != std::string::npos) {
    ADD_FAILURE() << "marker '" << needle << "' is not in the text exactly once";
    return {};
  }
  line_col out{1, 1};
  for (size_t i = 0; i < found + caret; ++i) {
    if (text[i] == '\n') {
      ++out.line;
      out.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++out.column;
    }
  }
  return out;
}

}  // namespace chanrules::testing
