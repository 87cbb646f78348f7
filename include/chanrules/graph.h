// Rendering a rule set's decision graph (`chanrules graph`): Graphviz DOT from the library
// itself (rule_set::graph_dot, written with Boost.Graph's Graphviz writer), or SVG / PNG by
// running Graphviz's `dot` program on it.
//
// `dot` is started directly (posix_spawnp with an argument vector, no shell), reads the DOT
// text from an in-memory file and writes the picture to a pipe; its standard error is kept
// for the message when it fails. A `dot` that runs longer than the timeout is killed. The
// picture is then written to its file atomically (temporary file + rename), so a failed run
// never leaves a partial or empty picture under the output name.
//
//   auto r = chanrules::write_graph(*rules, chanrules::graph_format::svg, "graph.svg");
//   if (!r.ok) std::cerr << r.error << "\n";
#pragma once

#include <chanrules/rule_set.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chanrules {

class coverage;

enum class graph_format : uint8_t { dot, svg, png };

// "dot", "svg" or "png" -> the format; nullopt for anything else.
std::optional<graph_format> parse_graph_format(std::string_view name);

struct graph_render_options {
  // The Graphviz program: a path, or a name looked up in PATH.
  std::string dot_program = "dot";
  // How long `dot` may run before it is killed and the rendering fails.
  uint32_t timeout_seconds = 60;
  // When set, the graph shows this evidence (chanrules/coverage.h): each rule's matched and
  // won rows, the rules that never won marked in red, the rows along each copying edge. It
  // must be coverage of the rule set drawn (else the rendering fails and says why).
  const chanrules::coverage* coverage = nullptr;
};

struct graph_render_result {
  bool ok = false;
  std::string error;  // why it failed: dot missing, dot failed (with its message), I/O
  std::string bytes;  // render_graph: the rendered graph (DOT text, SVG text or PNG bytes)
};

// The decision graph in `format`, in memory.
graph_render_result render_graph(const rule_set& rules, graph_format format,
                                 const graph_render_options& options = {});

// The same, written to `path` atomically ("-": standard output). A path that exists and is
// not a regular file is refused. `bytes` of the result stays empty.
graph_render_result write_graph(const rule_set& rules, graph_format format, const std::string& path,
                                const graph_render_options& options = {});

}  // namespace chanrules
