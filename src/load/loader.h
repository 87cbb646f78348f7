// Load stage: a rule-set YAML file -> ruleset_ast (the document's shape checked, nothing
// interpreted). Only src/load/ includes yaml-cpp.
#pragma once

#include <chanrules/diagnostics.h>

#include <optional>
#include <string>
#include <vector>

#include "load/ruleset_ast.h"
#include "load/yaml_tree.h"

namespace chanrules::detail {

struct load_settings {
  yaml_limits yaml;
  bool allow_outside_paths = false;  // list/test files outside the rule set's folder
};

// Reads the document in `file`; `base_dir` is where relative file names resolve.
// Returns nullopt when the document cannot be read at all; otherwise the AST, possibly with
// errors appended to `diagnostics` for parts that were skipped.
std::optional<ruleset_ast> load_document(const source_ptr& file, const std::string& base_dir,
                                         const load_settings& settings,
                                         std::vector<diagnostic>& diagnostics);

// Maps every byte of a scalar's value to its byte offset in the source, for scalars written
// plain, quoted or as block scalars (folded lines included). `start` is the scalar's mark.
std::vector<size_t> map_scalar_offsets(std::string_view source, size_t start,
                                       std::string_view value);

}  // namespace chanrules::detail
