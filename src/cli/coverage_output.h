// Coverage in the chanrules tool (src/cli/main.cpp calls these): the readable table that
// `test --coverage`, `classify --coverage` and `coverage show` print, saving a coverage
// file, and the `chanrules coverage` command (merge, show). Public API only.
#pragma once

#include <chanrules/coverage.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace chanrules::cli {

// Terminal columns a UTF-8 text takes (CJK characters take two), for aligned tables.
size_t display_width(std::string_view s);

// Per decision: its rows; per rule: matched, won, share of the rows, false, unknown, with the
// rules that never won marked; each condition's true/false/unknown under rules that have
// more than one; the default's rows and the rows without an outcome; a list of the rules
// that never won at the end.
void print_coverage_table(std::ostream& out, const coverage& c);

// Writes `c` as JSON to `path` ("-": standard output), atomically; on failure prints why
// (prefixed with "chanrules COMMAND: ") and returns false.
bool save_coverage(const coverage& c, const std::string& path, const std::string& command);

// `chanrules coverage merge A.json B.json ... [-o OUT.json] [--table]` and
// `chanrules coverage show FILE.json`; argv[1] is "coverage". Returns the exit code.
int run_coverage(int argc, char** argv);

}  // namespace chanrules::cli
