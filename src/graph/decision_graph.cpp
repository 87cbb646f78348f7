// Graph stage (see decision_graph.h).
#include "graph/decision_graph.h"

// GCC 12 reports a false -Wmaybe-uninitialized inside Boost.Graph's edge iterator when
// write_graphviz is inlined; the warning is about Boost's optional, not our code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/graphviz.hpp>
#include <cstdio>
#include <queue>
#include <set>
#include <sstream>

namespace chanrules::detail {

namespace {

using graph_t = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using vertex_t = boost::graph_traits<graph_t>::vertex_descriptor;
using edge_t = boost::graph_traits<graph_t>::edge_descriptor;

graph_t make_graph(const model& m, const std::vector<decision_edge>& edges) {
  graph_t g(m.decisions.size());
  for (const auto& e : edges) boost::add_edge(e.from, e.to, g);
  return g;
}

// Records the first back edge and the DFS tree's parents, so the cycle can be named.
struct cycle_finder : boost::default_dfs_visitor {
  std::vector<vertex_t>* parent;
  std::vector<vertex_t>* cycle;
  void tree_edge(edge_t e, const graph_t& g) const {
    (*parent)[boost::target(e, g)] = boost::source(e, g);
  }
  void back_edge(edge_t e, const graph_t& g) const {
    if (!cycle->empty()) return;
    vertex_t u = boost::source(e, g), v = boost::target(e, g);
    // Path v -> ... -> u through tree edges, then the back edge u -> v closes it.
    std::vector<vertex_t> path = {u};
    while (path.back() != v) path.push_back((*parent)[path.back()]);
    std::reverse(path.begin(), path.end());
    *cycle = path;
  }
};

// How a decision picks among its rules, when not the first that holds.
std::string policy_note(const decision_info& d) {
  switch (d.hit) {
    case hit_policy::first:
      return "";
    case hit_policy::unique:
      return " (hit: unique)";
    case hit_policy::priority:
      return " (hit: priority)";
    case hit_policy::collect:
      break;
  }
  static const char* const aggregates[] = {"", " count", " min", " max"};
  return std::string(" (hit: collect") + aggregates[static_cast<int>(d.aggregate)] + ")";
}

bool condition_always_true(const condition& c) {
  return !c.nodes.empty() && c.nodes.back().kind == cond_kind::constant && c.nodes.back().value;
}

bool same_condition(const condition& a, const condition& b) {
  if (a.nodes.size() != b.nodes.size()) return false;
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const cond_node &x = a.nodes[i], &y = b.nodes[i];
    if (x.kind != y.kind || x.children != y.children || x.pred != y.pred || x.value != y.value)
      return false;
  }
  return true;
}

void lint(const model& m, std::vector<diagnostic>& diags) {
  std::vector<bool> field_used(m.fields.size()), list_used(m.lists.size()),
      set_used(m.named_sets.size()), decision_used(m.decisions.size());
  auto mark = [&](value_ref r) {
    switch (r.kind) {
      case source_kind::field:
        field_used[r.index] = true;
        break;
      case source_kind::list:
        list_used[r.index] = true;
        field_used[m.lists[r.index].key_field] = true;
        break;
      case source_kind::named_set:
        set_used[r.index] = true;
        field_used[m.named_sets[r.index].field] = true;
        break;
      case source_kind::decision:
        decision_used[r.index] = true;
        break;
    }
  };
  for (const auto& d : m.decisions) {
    for (const auto& r : d.rules) {
      for (const auto& n : r.cond.nodes)
        if (n.kind == cond_kind::pred) mark(m.predicates[n.pred].subject);
      if (r.then.from) mark(r.then.source);
    }
    if (d.fallback && d.fallback->from) mark(d.fallback->source);
  }
  for (size_t i = 0; i < m.fields.size(); ++i)
    if (!field_used[i] && !m.fields[i].required && !m.fields[i].unique)
      diags.push_back(make_diagnostic(severity::warning, "W-unused", m.fields[i].pos,
                                      "field '" + m.fields[i].name + "' is not used by any rule",
                                      "remove it, or mark it required if it must be present"));
  for (size_t i = 0; i < m.lists.size(); ++i)
    if (!list_used[i])
      diags.push_back(make_diagnostic(severity::warning, "W-unused", m.lists[i].pos,
                                      "list '" + m.lists[i].name + "' is not used by any rule"));
  for (size_t i = 0; i < m.named_sets.size(); ++i)
    if (!set_used[i])
      diags.push_back(
          make_diagnostic(severity::warning, "W-unused", m.named_sets[i].pos,
                          "named set '" + m.named_sets[i].name + "' is not used by any rule"));
  for (size_t i = 0; i < m.decisions.size(); ++i)
    if (!decision_used[i] && !m.decisions[i].output)
      diags.push_back(make_diagnostic(severity::warning, "W-unused", m.decisions[i].pos,
                                      "decision '" + m.decisions[i].name +
                                          "' is neither an output nor used by another decision"));
  // Shadowed rules: an earlier rule that always fires, or one with the very same condition.
  // A collecting decision takes every rule that holds: none shadows another. A ranked one
  // tries its rules by rank of outcome.
  for (const auto& d : m.decisions) {
    const std::vector<uint32_t> order = d.trial_order();
    const char* before = d.ranked() ? "' ranked before it" : "' before it";
    for (size_t j = 0; j < d.rules.size() && !d.gathers(); ++j) {
      for (size_t i = 0; i < j; ++i) {
        const rule_info &earlier = d.rules[order[i]], &later = d.rules[order[j]];
        bool always = condition_always_true(earlier.cond) && !earlier.then.from;
        if (always || (same_condition(earlier.cond, later.cond) && !earlier.then.from)) {
          diags.push_back(
              make_diagnostic(severity::warning, "W-unreachable", later.pos,
                              "rule '" + later.id + "' can never fire: rule '" + earlier.id +
                                  before + (always ? " always fires" : " has the same condition"),
                              "reorder the rules or remove this one", later.id.size()));
          break;
        }
      }
    }
    if (d.fallback) {
      for (const auto& r : d.rules)
        if (condition_always_true(r.cond) && !r.then.from) {
          diags.push_back(make_diagnostic(
              severity::warning, "W-unreachable", d.pos,
              "the default of '" + d.name + "' is never used: rule '" + r.id + "' always fires"));
          break;
        }
    }
  }
}

}  // namespace

std::vector<decision_edge> decision_edges(const model& m) {
  std::vector<decision_edge> edges;
  std::set<std::pair<uint32_t, uint32_t>> seen;
  auto add = [&](value_ref r, uint32_t to, const std::string& rule) {
    if (r.kind != source_kind::decision) return;
    if (seen.insert({r.index, to}).second) edges.push_back({r.index, to, rule});
  };
  for (uint32_t di = 0; di < m.decisions.size(); ++di) {
    const auto& d = m.decisions[di];
    for (const auto& r : d.rules) {
      for (const auto& n : r.cond.nodes)
        if (n.kind == cond_kind::pred) add(m.predicates[n.pred].subject, di, r.id);
      if (r.then.from) add(r.then.source, di, r.id);
    }
    if (d.fallback && d.fallback->from) add(d.fallback->source, di, "");
  }
  return edges;
}

bool build_graph(model& m, std::vector<diagnostic>& diagnostics) {
  auto edges = decision_edges(m);
  graph_t g = make_graph(m, edges);
  std::vector<vertex_t> parent(m.decisions.size());
  std::vector<vertex_t> cycle;
  cycle_finder finder;
  finder.parent = &parent;
  finder.cycle = &cycle;
  boost::depth_first_search(g, boost::visitor(finder));
  if (!cycle.empty()) {
    // The tree path runs first -> ... -> last along edges (each decision refers to the one
    // before it) and the back edge closes it: `first` refers to `last`. Name the cycle in the
    // direction of reference ("a -> b": a refers to b), starting with that closing reference,
    // which is also where the diagnostic points.
    uint32_t last = static_cast<uint32_t>(cycle.back()),
             first = static_cast<uint32_t>(cycle.front());
    std::string names = m.decisions[first].name;
    for (auto it = cycle.rbegin(); it != cycle.rend(); ++it)
      names += " -> " + m.decisions[*it].name;
    std::string rule;
    for (const auto& e : edges)
      if (e.from == last && e.to == first) rule = e.rule_id;
    source_pos where = m.decisions[first].pos;
    for (const auto& r : m.decisions[first].rules)
      if (r.id == rule) {
        where = r.pos;
        break;
      }
    diagnostics.push_back(make_diagnostic(
        severity::error, "E-cycle", where, "decisions refer to each other in a cycle: " + names,
        "a decision can only use decisions that do not depend on it"));
    return false;
  }
  // The graph is acyclic (checked above). Among the orders it allows, take the one closest
  // to declaration order (Kahn's algorithm, smallest ready index first), so independent
  // decisions run and are explained in the order the rule set lists them.
  std::vector<size_t> waiting(m.decisions.size(), 0);
  for (const auto& e : edges) ++waiting[e.to];
  std::priority_queue<uint32_t, std::vector<uint32_t>, std::greater<>> ready;
  for (uint32_t d = 0; d < m.decisions.size(); ++d)
    if (waiting[d] == 0) ready.push(d);
  m.evaluation_order.clear();
  while (!ready.empty()) {
    uint32_t d = ready.top();
    ready.pop();
    m.evaluation_order.push_back(d);
    for (auto [it, end] = boost::out_edges(d, g); it != end; ++it)
      if (--waiting[boost::target(*it, g)] == 0)
        ready.push(static_cast<uint32_t>(boost::target(*it, g)));
  }
  lint(m, diagnostics);
  return true;
}

namespace {
// Escapes for a DOT label; runs of white space (multi-line conditions) become one space.
std::string dot_escape(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

std::string to_dot(const model& m) {
  auto edges = decision_edges(m);
  graph_t g = make_graph(m, edges);
  std::ostringstream out;
  auto vertex_writer = [&](std::ostream& os, vertex_t v) {
    const auto& d = m.decisions[v];
    std::string label = d.name + (d.output ? "" : " (helper)") + policy_note(d) + "\\n";
    for (const auto& r : d.rules) {
      std::string when = dot_escape(r.when_text);
      if (when.size() > 90) {
        size_t cut = 87;  // on a UTF-8 character boundary
        while (cut > 0 && (static_cast<unsigned char>(when[cut]) & 0xC0) == 0x80) --cut;
        when = when.substr(0, cut) + "...";
      }
      label += dot_escape(r.id) + ": " + when + "\\l";
    }
    if (d.fallback) label += "default\\l";
    os << "[shape=box,label=\"" << label << "\"]";
  };
  auto edge_writer = [&](std::ostream& os, edge_t e) {
    uint32_t s = static_cast<uint32_t>(boost::source(e, g)),
             t = static_cast<uint32_t>(boost::target(e, g));
    for (const auto& x : edges)
      if (x.from == s && x.to == t) os << "[label=\"" << dot_escape(x.rule_id) << "\"]";
  };
  auto graph_writer = [&](std::ostream& os) {
    os << "rankdir=LR;\nlabel=\"" << dot_escape(m.name + " " + m.version) << "\";\n";
  };
  boost::write_graphviz(out, g, vertex_writer, edge_writer, graph_writer);
  return out.str();
}

namespace {

// Text for a Graphviz HTML-like label: markup characters escaped, runs of white space as one
// space, cut to `max` bytes (on a UTF-8 character boundary) with "..." after.
std::string html_text(const std::string& s, size_t max = SIZE_MAX) {
  std::string flat;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !flat.empty();
      continue;
    }
    if (space) flat += ' ';
    space = false;
    flat += c;
  }
  if (flat.size() > max) {
    size_t cut = max - 3;
    while (cut > 0 && (static_cast<unsigned char>(flat[cut]) & 0xC0) == 0x80) --cut;
    flat = flat.substr(0, cut) + "...";
  }
  std::string out;
  for (char c : flat) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// "37%" of a whole; "-" when the whole is 0.
std::string share(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  char buf[16];
  double p = 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  std::snprintf(buf, sizeof buf, p > 0 && p < 1 ? "%.1f%%" : "%.0f%%", p);
  return buf;
}

constexpr const char* kDeadFill = "#fde2e2";
constexpr const char* kDeadInk = "#b00000";
constexpr const char* kHeadFill = "#e6e6e6";
constexpr const char* kQuietInk = "#666666";

}  // namespace

std::string to_dot(const model& m, const graph_evidence& evidence) {
  auto edges = decision_edges(m);
  graph_t g = make_graph(m, edges);
  // Rows that flowed along each edge: the rows the `to` decision copied from `from`.
  auto copied = [&](uint32_t from, uint32_t to, bool* copies) {
    const decision_info& d = m.decisions[to];
    const graph_evidence::decision& e = evidence.decisions[to];
    uint64_t rows = 0;
    *copies = false;
    auto from_here = [&](const outcome& o) {
      return o.from && o.source.kind == source_kind::decision && o.source.index == from;
    };
    for (size_t r = 0; r < d.rules.size(); ++r)
      if (from_here(d.rules[r].then)) {
        *copies = true;
        rows += e.rules[r].won;
      }
    if (d.fallback && from_here(*d.fallback)) {
      *copies = true;
      rows += e.by_default;
    }
    return rows;
  };
  std::ostringstream out;
  auto vertex_writer = [&](std::ostream& os, vertex_t v) {
    const decision_info& d = m.decisions[v];
    const graph_evidence::decision& e = evidence.decisions[v];
    const bool unused = e.rows == 0;
    std::string rows = std::to_string(e.rows) + " row" + (e.rows == 1 ? "" : "s");
    if (!d.output) rows += " (" + share(e.rows, evidence.records) + " of the records)";
    os << "[shape=plain,label=<<table border=\"1\" cellborder=\"0\" cellspacing=\"0\" "
          "cellpadding=\"3\""
       << (unused ? " style=\"dashed\" color=\"" + std::string(kDeadInk) + "\"" : "") << ">";
    os << "<tr><td colspan=\"3\" align=\"left\" bgcolor=\"" << kHeadFill << "\"><b>"
       << html_text(d.name) << "</b>" << (d.output ? "" : " (helper)") << policy_note(d)
       << "</td><td colspan=\"3\" align=\"right\" bgcolor=\"" << kHeadFill << "\">"
       << html_text(rows) << "</td></tr>";
    os << "<tr>";
    for (const char* head : {"rule", "when", "then", "matched", "won", "share"})
      os << "<td align=\""
         << (std::string(head) == "rule" || std::string(head) == "when" ||
                     std::string(head) == "then"
                 ? "left"
                 : "right")
         << "\"><font color=\"" << kQuietInk << "\" point-size=\"10\">" << head << "</font></td>";
    os << "</tr>";
    for (size_t r = 0; r < d.rules.size(); ++r) {
      const rule_info& rule = d.rules[r];
      const graph_evidence::rule& re = e.rules[r];
      const bool dead = re.won == 0;
      std::string fill = dead ? std::string(" bgcolor=\"") + kDeadFill + "\"" : "";
      auto cell = [&](const std::string& text, const char* align, bool last = false) {
        os << "<td align=\"" << align << "\"" << fill;
        // A dead rule's won cell gets a dashed red frame.
        if (dead && last) os << " border=\"1\" style=\"dashed\" color=\"" << kDeadInk << "\"";
        os << ">";
        if (dead) os << "<font color=\"" << kDeadInk << "\">";
        os << text;
        if (dead) os << "</font>";
        os << "</td>";
      };
      os << "<tr>";
      cell(html_text(rule.id), "left");
      cell(html_text(rule.when_text, 60), "left");
      cell(html_text(m.outcome_text(d, rule.then, true), 24), "left");
      cell(std::to_string(re.matched), "right");
      cell(dead ? "0 never won" : std::to_string(re.won), "right", true);
      cell(share(re.won, e.rows), "right");
      os << "</tr>";
    }
    if (d.fallback) {
      os << "<tr><td align=\"left\"><i>default</i></td><td></td><td align=\"left\">"
         << html_text(m.outcome_text(d, *d.fallback, false), 24)
         << "</td><td></td><td align=\"right\">" << e.by_default << "</td><td align=\"right\">"
         << share(e.by_default, e.rows) << "</td></tr>";
    }
    if (e.no_outcome > 0 || !d.fallback) {
      os << "<tr><td align=\"left\" colspan=\"3\"><i>no outcome</i></td><td></td>"
            "<td align=\"right\">"
         << e.no_outcome << "</td><td align=\"right\">" << share(e.no_outcome, e.rows)
         << "</td></tr>";
    }
    os << "</table>>]";
  };
  auto edge_writer = [&](std::ostream& os, edge_t edge) {
    uint32_t s = static_cast<uint32_t>(boost::source(edge, g)),
             t = static_cast<uint32_t>(boost::target(edge, g));
    for (const auto& x : edges) {
      if (x.from != s || x.to != t) continue;
      bool copies = false;
      uint64_t rows = copied(s, t, &copies);
      std::string label = dot_escape(x.rule_id);
      if (copies) {
        label +=
            (label.empty() ? "" : "\\n") + std::to_string(rows) + " row" + (rows == 1 ? "" : "s");
        // Thicker for more rows: 1 (none) to 5 (every record).
        double width = 1.0 + (evidence.records ? 4.0 * static_cast<double>(rows) /
                                                     static_cast<double>(evidence.records)
                                               : 0.0);
        char pen[32];
        std::snprintf(pen, sizeof pen, ",penwidth=%.2f", width);
        os << "[label=\"" << label << "\"" << pen << (rows == 0 ? ",style=dashed" : "") << "]";
      } else {
        os << "[label=\"" << label << "\",style=dotted]";
      }
    }
  };
  auto graph_writer = [&](std::ostream& os) {
    os << "rankdir=LR;\nlabel=\""
       << dot_escape(m.name + " " + m.version + ": coverage of " +
                     std::to_string(evidence.records) + " record" +
                     (evidence.records == 1 ? "" : "s") +
                     " (rules that never won in red; dotted edges: a condition tests the value)")
       << "\";\nfontname=\"sans-serif\";\nnode [fontname=\"sans-serif\",fontsize=11];\nedge "
          "[fontname=\"sans-serif\",fontsize=10];\n";
  };
  boost::write_graphviz(out, g, vertex_writer, edge_writer, graph_writer);
  return out.str();
}

}  // namespace chanrules::detail
