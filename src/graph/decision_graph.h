// Graph stage: decisions as vertices, references between them as edges (Boost.Graph).
//
// Computes the evaluation order (a topological order), refuses cycles with a message that
// names the whole cycle, and lints what the graph makes visible: unused fields, lists, named
// sets and helper decisions, and rules shadowed by an earlier rule that always fires.
// Only src/graph/ includes Boost.Graph.
#pragma once

#include <chanrules/diagnostics.h>

#include <string>
#include <vector>

#include "check/model.h"

namespace chanrules::detail {

// Edges of the decision graph: (dependency, dependent) pairs, each with why it exists.
struct decision_edge {
  uint32_t from = 0;    // the decision that is referred to
  uint32_t to = 0;      // the decision that refers to it
  std::string rule_id;  // the rule that refers (empty for the default)
};

std::vector<decision_edge> decision_edges(const model& m);

// Fills m.evaluation_order; on a cycle adds an error and returns false. Adds lint warnings.
bool build_graph(model& m, std::vector<diagnostic>& diagnostics);

// The decision graph in Graphviz DOT (decisions with their rules; references as edges),
// written through boost::write_graphviz.
std::string to_dot(const model& m);

// What records did in the graph (from a chanrules::coverage), per decision in model order.
struct graph_evidence {
  struct rule {
    uint64_t matched = 0, won = 0;
  };
  struct decision {
    uint64_t rows = 0, by_default = 0, no_outcome = 0;
    std::vector<rule> rules;
  };
  uint64_t records = 0;
  std::vector<decision> decisions;
};

// The same graph with the evidence: every rule with the rows it matched and won, the rules
// that never won marked (red, dashed), the default's and the no-outcome rows, and on each
// edge that copies a value the rows that copied it (thicker for more). `evidence` must have
// the model's decisions and rules.
std::string to_dot(const model& m, const graph_evidence& evidence);

}  // namespace chanrules::detail
