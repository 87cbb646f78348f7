// Resolving files named by a rule set (lists, test files) inside the rule set's folder.
#pragma once

#include <optional>
#include <string>

namespace chanrules::detail {

// Resolves `relative` against `base_dir`. Refuses (returns nullopt with `why` set) absolute
// paths, any '..' component and, after resolving symbolic links, anything outside base_dir,
// unless allow_outside is true.
std::optional<std::string> resolve_inside(const std::string& base_dir, const std::string& relative,
                                          bool allow_outside, std::string& why);

// Reads a whole file; nullopt with `why` set on failure (why = strerror text).
std::optional<std::string> read_file(const std::string& path, std::string& why,
                                     size_t max_bytes = size_t(1) << 30);

}  // namespace chanrules::detail
