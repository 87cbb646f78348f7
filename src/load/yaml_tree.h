// A strict YAML reader: yaml-cpp 0.7 is used only as an event source with marks.
//
// yaml-cpp silently accepts duplicate keys, resolves anchors/aliases (which can even make the
// node graph cyclic), applies merge keys and reads `017`, `0x10` and `yes` as numbers and
// booleans. chanrules wants none of that: this reader builds its own small tree from
// yaml-cpp's parser events, refuses every such construct with a diagnostic, and keeps each
// scalar as the exact text written so that the loader can read it by the type it expects.
#pragma once

#include <chanrules/diagnostics.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/source.h"

namespace chanrules::detail {

enum class ynode_kind : uint8_t { null, scalar, sequence, map };

struct ynode {
  ynode_kind kind = ynode_kind::null;
  size_t offset = 0;  // byte offset of the node in the source file
  bool plain = true;  // scalar written without quotes or block indicator
  std::string text;   // scalar value
  // sequence: the items; map: keys and values alternating (key0, value0, key1, value1, ...).
  std::vector<ynode> children;

  size_t map_size() const { return children.size() / 2; }
  const ynode& key(size_t i) const { return children[2 * i]; }
  const ynode& value(size_t i) const { return children[2 * i + 1]; }
};

const char* to_string(ynode_kind kind);

struct yaml_limits {
  size_t max_bytes = 16u << 20;  // size of one YAML file
  uint32_t max_depth = 32;       // nesting of mappings and sequences
  size_t max_nodes = 2'000'000;  // nodes in one file
};

// Parses one YAML document. On failure returns nullopt and appends at least one error.
std::optional<ynode> parse_yaml(const source_ptr& file, const yaml_limits& limits,
                                std::vector<diagnostic>& diagnostics);

}  // namespace chanrules::detail
