// Load stage: walks the strict YAML tree and fills ruleset_ast, reporting every shape error
// (unknown key, wrong kind of node, missing required key) with its position.
#include "load/loader.h"

#include <algorithm>
#include <functional>
#include <set>

#include "common/paths.h"

namespace chanrules::detail {

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

class loader {
 public:
  loader(const source_ptr& file, std::string base_dir, const load_settings& settings,
         std::vector<diagnostic>& diagnostics)
      : file_(file), base_dir_(std::move(base_dir)), settings_(settings), diags_(diagnostics) {}

  std::optional<ruleset_ast> run(const ynode& root) {
    ruleset_ast out;
    out.file = file_;
    out.base_dir = base_dir_;
    if (!expect_kind(root, ynode_kind::map, "the rule set")) return std::nullopt;
    static const std::vector<std::string> keys = {"chanrules",   "name",   "version", "effective",
                                                  "description", "fields", "lists",   "named_sets",
                                                  "decisions",   "tests"};
    check_keys(root, keys, "the rule set");
    if (const ynode* v = require(root, "chanrules", "the rule set")) {
      if (v->kind != ynode_kind::scalar || v->text != "1")
        error(v->offset, "E-version", "unsupported rule language version",
              "this chanrules reads 'chanrules: 1'");
    }
    if (const ynode* v = require(root, "name", "the rule set")) out.name = scalar(*v, "name");
    if (const ynode* v = require(root, "version", "the rule set"))
      out.version = scalar(*v, "version");
    if (const ynode* v = find(root, "effective")) out.effective = scalar(*v, "effective");
    if (const ynode* v = find(root, "description"))
      out.description = scalar(*v, "description").text;
    if (const ynode* v = require(root, "fields", "the rule set")) read_fields(*v, out);
    if (const ynode* v = find(root, "lists")) read_lists(*v, out);
    if (const ynode* v = find(root, "named_sets")) read_named_sets(*v, out);
    if (const ynode* v = require(root, "decisions", "the rule set")) read_decisions(*v, out);
    if (const ynode* v = find(root, "tests")) read_tests_node(*v, out);
    return out;
  }

 private:
  // --- helpers -----------------------------------------------------------------------------
  source_pos pos(size_t offset) const { return source_pos{file_, offset}; }

  void error(size_t offset, const char* code, std::string message, std::string hint = {},
             size_t length = 1) {
    diags_.push_back(make_diagnostic(severity::error, code, pos(offset), std::move(message),
                                     std::move(hint), length));
  }

  bool expect_kind(const ynode& n, ynode_kind kind, const std::string& what) {
    if (n.kind == kind) return true;
    error(n.offset, "E-shape", what + " must be " + to_string(kind) + ", not " + to_string(n.kind));
    return false;
  }

  static const ynode* find(const ynode& map, std::string_view key) {
    if (map.kind != ynode_kind::map) return nullptr;
    for (size_t i = 0; i < map.map_size(); ++i)
      if (map.key(i).text == key) return &map.value(i);
    return nullptr;
  }

  const ynode* require(const ynode& map, std::string_view key, const std::string& what) {
    const ynode* v = find(map, key);
    if (!v) error(map.offset, "E-missing-key", what + " needs a '" + std::string(key) + "' key");
    return v;
  }

  void check_keys(const ynode& map, const std::vector<std::string>& allowed,
                  const std::string& what) {
    for (size_t i = 0; i < map.map_size(); ++i) {
      const ynode& k = map.key(i);
      if (std::find(allowed.begin(), allowed.end(), k.text) != allowed.end()) continue;
      std::string best;
      size_t best_distance = 3;
      for (const auto& a : allowed) {
        size_t d = edit_distance(k.text, a);
        if (d < best_distance) {
          best_distance = d;
          best = a;
        }
      }
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      error(k.offset, "E-unknown-key", "unknown key '" + k.text + "' in " + what,
            best.empty() ? "allowed keys: " + list : "did you mean '" + best + "'?", k.text.size());
    }
  }

  located scalar(const ynode& n, const std::string& what) {
    located out;
    out.pos = pos(n.offset);
    out.plain = n.plain;
    if (n.kind == ynode_kind::scalar) {
      out.text = n.text;
    } else if (n.kind != ynode_kind::null) {
      error(n.offset, "E-shape", what + " must be a single value, not " + to_string(n.kind));
    }
    return out;
  }

  bool boolean(const ynode& n, const std::string& what) {
    if (n.kind == ynode_kind::scalar && n.plain && (n.text == "true" || n.text == "false"))
      return n.text == "true";
    error(n.offset, "E-bad-boolean", what + " must be true or false",
          "write exactly true or false (not yes/no/on/off)");
    return false;
  }

  std::vector<located> scalar_list(const ynode& n, const std::string& what) {
    std::vector<located> out;
    if (!expect_kind(n, ynode_kind::sequence, what)) return out;
    for (const ynode& item : n.children) {
      if (item.kind != ynode_kind::scalar) {
        error(item.offset, "E-shape", "each entry of " + what + " must be a single value");
        continue;
      }
      out.push_back(scalar(item, what));
    }
    return out;
  }

  // --- sections ----------------------------------------------------------------------------
  void read_fields(const ynode& n, ruleset_ast& out) {
    if (!expect_kind(n, ynode_kind::map, "'fields'")) return;
    if (n.map_size() == 0) error(n.offset, "E-shape", "'fields' declares no field");
    static const std::vector<std::string> keys = {
        "type", "required", "unique", "ordered", "values", "min", "max", "trim", "description"};
    for (size_t i = 0; i < n.map_size(); ++i) {
      field_decl f;
      f.name = scalar(n.key(i), "a field name");
      const ynode& body = n.value(i);
      std::string what = "field '" + f.name.text + "'";
      if (!expect_kind(body, ynode_kind::map, what)) continue;
      check_keys(body, keys, what);
      if (const ynode* v = require(body, "type", what)) f.type = scalar(*v, "type");
      if (const ynode* v = find(body, "required")) f.required = boolean(*v, "'required'");
      if (const ynode* v = find(body, "unique")) f.unique = boolean(*v, "'unique'");
      if (const ynode* v = find(body, "ordered")) f.ordered = boolean(*v, "'ordered'");
      if (const ynode* v = find(body, "trim")) f.trim = boolean(*v, "'trim'");
      if (const ynode* v = find(body, "values")) f.values = scalar_list(*v, "'values'");
      if (const ynode* v = find(body, "min")) f.min = scalar(*v, "'min'");
      if (const ynode* v = find(body, "max")) f.max = scalar(*v, "'max'");
      if (const ynode* v = find(body, "description"))
        f.description = scalar(*v, "'description'").text;
      out.fields.push_back(std::move(f));
    }
  }

  void read_lists(const ynode& n, ruleset_ast& out) {
    if (!expect_kind(n, ynode_kind::map, "'lists'")) return;
    static const std::vector<std::string> keys = {"file", "key", "value", "values", "description"};
    for (size_t i = 0; i < n.map_size(); ++i) {
      list_decl l;
      l.name = scalar(n.key(i), "a list name");
      const ynode& body = n.value(i);
      std::string what = "list '" + l.name.text + "'";
      if (!expect_kind(body, ynode_kind::map, what)) continue;
      check_keys(body, keys, what);
      if (const ynode* v = require(body, "file", what)) l.file = scalar(*v, "'file'");
      if (const ynode* v = require(body, "key", what)) l.key = scalar(*v, "'key'");
      if (const ynode* v = find(body, "value")) l.value = scalar(*v, "'value'");
      if (const ynode* v = find(body, "values")) l.values = scalar_list(*v, "'values'");
      if (const ynode* v = find(body, "description"))
        l.description = scalar(*v, "'description'").text;
      out.lists.push_back(std::move(l));
    }
  }

  void read_named_sets(const ynode& n, ruleset_ast& out) {
    if (!expect_kind(n, ynode_kind::map, "'named_sets'")) return;
    static const std::vector<std::string> keys = {"field", "match", "entries", "description"};
    static const std::vector<std::string> entry_keys = {"key", "aliases"};
    for (size_t i = 0; i < n.map_size(); ++i) {
      named_set_decl s;
      s.name = scalar(n.key(i), "a named-set name");
      const ynode& body = n.value(i);
      std::string what = "named set '" + s.name.text + "'";
      if (!expect_kind(body, ynode_kind::map, what)) continue;
      check_keys(body, keys, what);
      if (const ynode* v = require(body, "field", what)) s.field = scalar(*v, "'field'");
      if (const ynode* v = find(body, "match")) {
        s.match = scalar(*v, "'match'");
      } else {
        s.match.text = "contains";
        s.match.pos = pos(body.offset);
      }
      if (const ynode* v = find(body, "description"))
        s.description = scalar(*v, "'description'").text;
      if (const ynode* v = require(body, "entries", what)) {
        if (expect_kind(*v, ynode_kind::sequence, "'entries'")) {
          for (const ynode& e : v->children) {
            if (!expect_kind(e, ynode_kind::map, "an entry of " + what)) continue;
            check_keys(e, entry_keys, "an entry of " + what);
            named_set_entry entry;
            if (const ynode* k = require(e, "key", "an entry of " + what))
              entry.key = scalar(*k, "'key'");
            if (const ynode* a = require(e, "aliases", "an entry of " + what))
              entry.aliases = scalar_list(*a, "'aliases'");
            s.entries.push_back(std::move(entry));
          }
        }
      }
      out.named_sets.push_back(std::move(s));
    }
  }

  std::optional<outcome_decl> outcome(const ynode& n, const std::string& what) {
    outcome_decl o;
    if (n.kind == ynode_kind::scalar) {
      o.text = scalar(n, what);
      return o;
    }
    if (n.kind == ynode_kind::map) {
      check_keys(n, {"from"}, what);
      if (const ynode* v = require(n, "from", what)) {
        o.from = true;
        o.text = scalar(*v, "'from'");
        return o;
      }
      return std::nullopt;
    }
    error(n.offset, "E-shape",
          what + " must be a class label or {from: NAME}, not " + to_string(n.kind));
    return std::nullopt;
  }

  void read_decisions(const ynode& n, ruleset_ast& out) {
    if (!expect_kind(n, ynode_kind::map, "'decisions'")) return;
    if (n.map_size() == 0) error(n.offset, "E-shape", "'decisions' declares no decision");
    static const std::vector<std::string> keys = {
        "description", "rules", "default", "output", "outcomes", "complete", "hit", "aggregate"};
    static const std::vector<std::string> rule_keys = {"id", "when", "then", "description"};
    for (size_t i = 0; i < n.map_size(); ++i) {
      decision_decl d;
      d.name = scalar(n.key(i), "a decision name");
      const ynode& body = n.value(i);
      std::string what = "decision '" + d.name.text + "'";
      if (!expect_kind(body, ynode_kind::map, what)) continue;
      check_keys(body, keys, what);
      if (const ynode* v = find(body, "description"))
        d.description = scalar(*v, "'description'").text;
      if (const ynode* v = find(body, "output")) d.output = boolean(*v, "'output'");
      if (const ynode* v = find(body, "hit")) {
        d.hit = scalar(*v, "'hit'");
        const std::string& h = d.hit->text;
        if (h != "first" && h != "unique" && h != "priority" && h != "collect")
          error(v->offset, "E-hit-policy", "unknown hit policy '" + h + "'",
                "write 'first' (the first rule that matches wins), 'unique' (at most one rule "
                "may match, proven when the rule set is loaded), 'priority' (the matching "
                "outcome listed first in 'outcomes' wins) or 'collect' (every matching outcome)",
                h.size());
      }
      if (const ynode* v = find(body, "aggregate")) {
        d.aggregate = scalar(*v, "'aggregate'");
        const std::string& a = d.aggregate->text;
        if (a != "count" && a != "min" && a != "max")
          error(v->offset, "E-hit-policy", "unknown aggregate '" + a + "'",
                "write 'count' (how many outcomes matched), 'min' or 'max' (the matching "
                "outcome listed first or last in 'outcomes'), or leave 'aggregate' out for the "
                "list of matching outcomes",
                a.size());
        else if (!d.hit || d.hit->text != "collect")
          error(v->offset, "E-hit-policy", "'aggregate' applies to 'hit: collect' only",
                "add 'hit: collect', or remove 'aggregate'", a.size());
      }
      if (const ynode* v = find(body, "complete")) {
        if (boolean(*v, "'complete'")) d.complete = located{"true", {}, true};
      }
      if (const ynode* v = find(body, "outcomes")) d.outcomes = scalar_list(*v, "'outcomes'");
      if (const ynode* v = find(body, "default")) d.fallback = outcome(*v, "'default'");
      if (const ynode* v = require(body, "rules", what)) {
        if (expect_kind(*v, ynode_kind::sequence, "'rules'")) {
          for (const ynode& r : v->children) {
            if (!expect_kind(r, ynode_kind::map, "a rule of " + what)) continue;
            check_keys(r, rule_keys, "a rule");
            rule_decl rule;
            if (const ynode* x = require(r, "id", "a rule of " + what))
              rule.id = scalar(*x, "'id'");
            if (const ynode* x = require(r, "when", "rule '" + rule.id.text + "'")) {
              rule.when = scalar(*x, "'when'");
              if (x->kind == ynode_kind::scalar)
                rule.when_offsets = map_scalar_offsets(file_->text(), x->offset, rule.when.text);
            }
            if (const ynode* x = require(r, "then", "rule '" + rule.id.text + "'")) {
              if (auto o = outcome(*x, "'then'")) rule.then = *o;
            }
            d.rules.push_back(std::move(rule));
          }
        }
      }
      out.decisions.push_back(std::move(d));
    }
  }

  void read_tests_node(const ynode& n, ruleset_ast& out) {
    if (n.kind == ynode_kind::scalar) {
      std::string why;
      auto path = resolve_inside(base_dir_, n.text, settings_.allow_outside_paths, why);
      if (!path) {
        error(n.offset, "E-path", "tests file '" + n.text + "' refused: " + why);
        return;
      }
      auto text = read_file(*path, why);
      if (!text) {
        error(n.offset, "E-file", "cannot read tests file '" + *path + "': " + why);
        return;
      }
      auto test_file = std::make_shared<const source_file>(*path, std::move(*text));
      auto root = parse_yaml(test_file, settings_.yaml, diags_);
      if (!root) return;
      loader sub(test_file, base_dir_, settings_, diags_);
      sub.read_tests(*root, out);
      return;
    }
    read_tests(n, out);
  }

  void read_tests(const ynode& n, ruleset_ast& out) {
    if (!expect_kind(n, ynode_kind::sequence, "'tests'")) return;
    static const std::vector<std::string> keys = {"name",        "record",         "expect",
                                                  "expect_rule", "expect_missing", "description"};
    for (const ynode& t : n.children) {
      if (!expect_kind(t, ynode_kind::map, "a test")) continue;
      check_keys(t, keys, "a test");
      test_decl test;
      test.pos = pos(t.offset);
      if (const ynode* v = require(t, "name", "a test")) test.name = scalar(*v, "'name'");
      auto pairs = [&](const ynode* m, const std::string& what,
                       std::vector<std::pair<located, located>>& dst) {
        if (!m || !expect_kind(*m, ynode_kind::map, what)) return;
        for (size_t i = 0; i < m->map_size(); ++i)
          dst.emplace_back(scalar(m->key(i), what), scalar(m->value(i), what));
      };
      pairs(require(t, "record", "a test"), "'record'", test.record);
      pairs(require(t, "expect", "a test"), "'expect'", test.expect);
      pairs(find(t, "expect_rule"), "'expect_rule'", test.expect_rule);
      if (const ynode* m = find(t, "expect_missing")) {
        if (expect_kind(*m, ynode_kind::map, "'expect_missing'")) {
          for (size_t i = 0; i < m->map_size(); ++i)
            test.expect_missing.emplace_back(scalar(m->key(i), "'expect_missing'"),
                                             scalar_list(m->value(i), "'expect_missing'"));
        }
      }
      out.tests.push_back(std::move(test));
    }
  }

  source_ptr file_;
  std::string base_dir_;
  const load_settings& settings_;
  std::vector<diagnostic>& diags_;
};

}  // namespace

std::vector<size_t> map_scalar_offsets(std::string_view source, size_t start,
                                       std::string_view value) {
  // Greedy alignment: every non-blank byte of the value appears, in order, in the source
  // (block indicators, quotes, indentation and line breaks are what gets skipped). Blank
  // bytes of the value map to the position reached so far.
  std::vector<size_t> out(value.size() + 1, start);
  size_t s = std::min(start, source.size());
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  // A block scalar's value starts on the line after its header ('|' or '>', indicators and
  // perhaps a comment, which may well repeat words of the value).
  if (s < source.size() && (source[s] == '|' || source[s] == '>')) {
    size_t eol = source.find('\n', s);
    s = eol == std::string_view::npos ? source.size() : eol + 1;
  }
  // Between two bytes of the value the source holds at most a quote or an escape (up to
  // "\UXXXXXXXX") besides blanks; looking further would leave the scalar.
  constexpr size_t max_skipped = 10;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (blank(c)) {
      out[i] = s;
      continue;
    }
    size_t found = std::string_view::npos;
    for (size_t p = s, skipped = 0; p < source.size(); ++p) {
      if (source[p] == c) {
        found = p;
        break;
      }
      if (!blank(source[p]) && ++skipped > max_skipped) break;
    }
    if (found == std::string_view::npos) {
      // Escapes in double-quoted scalars can break the alignment: keep the last good spot.
      out[i] = s;
      continue;
    }
    out[i] = found;
    s = found + 1;
  }
  out[value.size()] = s;
  return out;
}

std::optional<ruleset_ast> load_document(const source_ptr& file, const std::string& base_dir,
                                         const load_settings& settings,
                                         std::vector<diagnostic>& diagnostics) {
  auto root = parse_yaml(file, settings.yaml, diagnostics);
  if (!root) return std::nullopt;
  loader l(file, base_dir, settings, diagnostics);
  return l.run(*root);
}

}  // namespace chanrules::detail
