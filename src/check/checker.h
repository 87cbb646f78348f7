// Check stage: ruleset_ast -> model. Resolves every name, types every condition against the
// fields, converts literals, loads lists and named sets, and reports each problem with its
// position. Only the checker calls the expression parser.
#pragma once

#include <chanrules/diagnostics.h>

#include <optional>
#include <vector>

#include "check/model.h"
#include "load/loader.h"
#include "load/ruleset_ast.h"

namespace chanrules::detail {

struct check_settings {
  expr::parse_limits expr;
  bool allow_outside_paths = false;
  size_t max_list_entries = 10'000'000;
  size_t max_rules = 100'000;
};

// Returns the model when there are no errors (warnings may have been added).
std::optional<model> check(const ruleset_ast& ast, const check_settings& settings,
                           std::vector<diagnostic>& diagnostics);

}  // namespace chanrules::detail
