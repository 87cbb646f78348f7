// Check stage (see checker.h). Order of work:
//   1. names (fields, lists, named sets, decisions share one namespace),
//   2. fields, 3. lists (files read and validated), 4. named sets,
//   5. decision outcome domains (a fixpoint over `from` references),
//   6. conditions (parsed, names resolved, literals typed), 7. tests.
// Every problem becomes a diagnostic; checking goes on after an error where it can, so one
// run reports as much as possible.
#include "check/checker.h"

#include <algorithm>
#include <set>

#include "common/paths.h"
#include "compile/name_matcher.h"  // its limits, checked here where the set's position is known
#include "io/byte_stream.h"
#include "io/csv_reader.h"

namespace chanrules::detail {

const char* to_string(value_type t) {
  switch (t) {
    case value_type::string:
      return "string";
    case value_type::integer:
      return "integer";
    case value_type::decimal:
      return "decimal";
    case value_type::boolean:
      return "boolean";
    case value_type::date:
      return "date";
    case value_type::enumeration:
      return "enum";
  }
  return "?";
}

std::optional<value_ref> model::lookup(std::string_view name) const {
  for (uint32_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return value_ref{source_kind::field, i};
  for (uint32_t i = 0; i < lists.size(); ++i)
    if (lists[i].name == name) return value_ref{source_kind::list, i};
  for (uint32_t i = 0; i < named_sets.size(); ++i)
    if (named_sets[i].name == name) return value_ref{source_kind::named_set, i};
  for (uint32_t i = 0; i < decisions.size(); ++i)
    if (decisions[i].name == name) return value_ref{source_kind::decision, i};
  return std::nullopt;
}

const domain* model::domain_of(value_ref ref) const {
  switch (ref.kind) {
    case source_kind::field:
      return fields[ref.index].type == value_type::enumeration ? &fields[ref.index].values
                                                               : nullptr;
    case source_kind::list:
      return lists[ref.index].membership ? nullptr : &lists[ref.index].values;
    case source_kind::named_set:
      return &named_sets[ref.index].keys;
    case source_kind::decision:
      return &decisions[ref.index].outcomes;
  }
  return nullptr;
}

value_type model::type_of(value_ref ref) const {
  switch (ref.kind) {
    case source_kind::field:
      return fields[ref.index].type;
    case source_kind::list:
      return lists[ref.index].membership ? value_type::boolean : value_type::enumeration;
    case source_kind::named_set:
    case source_kind::decision:
      return value_type::enumeration;
  }
  return value_type::string;
}

const std::string& model::name_of(value_ref ref) const {
  switch (ref.kind) {
    case source_kind::field:
      return fields[ref.index].name;
    case source_kind::list:
      return lists[ref.index].name;
    case source_kind::named_set:
      return named_sets[ref.index].name;
    case source_kind::decision:
      return decisions[ref.index].name;
  }
  return fields[0].name;
}

std::string model::outcome_text(const decision_info& d, const outcome& o, bool of_rule) const {
  if (o.from) return "from " + name_of(o.source);
  const domain& labels = of_rule && d.gathers() ? d.items : d.outcomes;
  return o.code < labels.size() ? labels.labels[o.code] : std::string();
}

std::vector<uint32_t> decision_info::trial_order() const {
  std::vector<uint32_t> order(rules.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  if (!ranked()) return order;
  // Ranked decisions give constants only (the checker refuses `from`): outcomes listed
  // first rank first, except for collect max.
  const bool descending = hit == hit_policy::collect && aggregate == collect_aggregate::max;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    uint16_t ca = rules[a].then.code, cb = rules[b].then.code;
    return descending ? ca > cb : ca < cb;
  });
  return order;
}

namespace {

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  auto letter = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  };
  if (!letter(static_cast<unsigned char>(s[0]))) return false;
  for (unsigned char c : s)
    if (!letter(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

bool is_keyword(std::string_view s) {
  static const char* const words[] = {"and", "or",      "not",  "in",   "between",
                                      "is",  "missing", "true", "false"};
  for (const char* w : words)
    if (s == w) return true;
  return false;
}

std::string join_labels(const domain& d, size_t max = 12) {
  std::string out;
  for (size_t i = 0; i < d.labels.size() && i < max; ++i) out += (i ? ", " : "") + d.labels[i];
  if (d.labels.size() > max) out += ", ...";
  return out;
}

class checker {
 public:
  checker(const ruleset_ast& ast, const check_settings& settings, std::vector<diagnostic>& diags)
      : ast_(ast), settings_(settings), diags_(diags) {}

  std::optional<model> run() {
    size_t errors_before = count_errors();
    m_.file = ast_.file;
    m_.base_dir = ast_.base_dir;
    m_.name = ast_.name.text;
    m_.version = ast_.version.text;
    m_.description = ast_.description;
    if (ast_.effective) {
      if (!parse_date(ast_.effective->text))
        error(ast_.effective->pos, "E-bad-date", "'effective' must be a date like 2009-10-19");
      m_.effective = ast_.effective->text;
    }
    check_names();
    check_fields();
    check_lists();
    check_named_sets();
    infer_domains();
    check_decisions();
    check_tests();
    if (count_errors() > errors_before) return std::nullopt;
    return std::move(m_);
  }

 private:
  size_t count_errors() const {
    return static_cast<size_t>(std::count_if(diags_.begin(), diags_.end(), [](const diagnostic& d) {
      return d.level == severity::error;
    }));
  }

  void error(const source_pos& pos, const char* code, std::string message, std::string hint = {},
             size_t length = 1) {
    diags_.push_back(
        make_diagnostic(severity::error, code, pos, std::move(message), std::move(hint), length));
  }
  void warning(const source_pos& pos, const char* code, std::string message, std::string hint = {},
               size_t length = 1) {
    diags_.push_back(
        make_diagnostic(severity::warning, code, pos, std::move(message), std::move(hint), length));
  }

  // --- 1. names ------------------------------------------------------------------------------
  void check_names() {
    std::vector<const located*> all;
    for (const auto& f : ast_.fields) all.push_back(&f.name);
    for (const auto& l : ast_.lists) all.push_back(&l.name);
    for (const auto& s : ast_.named_sets) all.push_back(&s.name);
    for (const auto& d : ast_.decisions) all.push_back(&d.name);
    for (size_t i = 0; i < all.size(); ++i) {
      const located& n = *all[i];
      if (!is_identifier(n.text) || is_keyword(n.text)) {
        error(n.pos, "E-bad-name", "'" + n.text + "' is not a valid name",
              is_keyword(n.text) ? "it is a keyword of the condition language"
                                 : "names are letters, digits and '_', not starting with a digit",
              n.text.size());
        continue;
      }
      for (size_t j = 0; j < i; ++j) {
        if (all[j]->text == n.text) {
          source_location first = all[j]->pos.file->location_of(all[j]->pos.offset);
          error(
              n.pos, "E-duplicate-name",
              "the name '" + n.text + "' is already used (line " + std::to_string(first.line) + ")",
              "fields, lists, named sets and decisions share one namespace", n.text.size());
          break;
        }
      }
    }
  }

  // --- 2. fields -----------------------------------------------------------------------------
  std::optional<decimal_key> read_bound(const field_info& f, const located& v) {
    switch (f.type) {
      case value_type::integer:
        if (auto x = parse_integer(v.text)) return static_cast<decimal_key>(*x);
        break;
      case value_type::decimal:
        if (auto x = parse_decimal(v.text)) return *x;
        break;
      case value_type::date:
        if (auto x = parse_date(v.text)) return static_cast<decimal_key>(*x);
        break;
      default:
        error(v.pos, "E-bad-bound", "'min'/'max' apply to integer, decimal and date fields only");
        return std::nullopt;
    }
    error(v.pos, "E-bad-bound",
          "'" + v.text + "' is not a valid " + to_string(f.type) + " bound for field '" + f.name +
              "'");
    return std::nullopt;
  }

  void check_fields() {
    for (const field_decl& d : ast_.fields) {
      field_info f;
      f.name = d.name.text;
      f.pos = d.name.pos;
      f.required = d.required;
      f.unique = d.unique;
      f.trim = d.trim;
      f.description = d.description;
      static const std::pair<const char*, value_type> types[] = {
          {"string", value_type::string},   {"integer", value_type::integer},
          {"decimal", value_type::decimal}, {"boolean", value_type::boolean},
          {"date", value_type::date},       {"enum", value_type::enumeration}};
      bool known = false;
      for (auto& [n, t] : types)
        if (d.type.text == n) {
          f.type = t;
          known = true;
        }
      if (!known) {
        error(d.type.pos, "E-bad-type", "unknown type '" + d.type.text + "'",
              "types are string, integer, decimal, boolean, date, enum", d.type.text.size());
      }
      if (f.type == value_type::enumeration) {
        if (d.values.empty())
          error(d.name.pos, "E-enum-values", "enum field '" + f.name + "' needs 'values'");
        for (const located& v : d.values) {
          if (v.text.empty() || f.values.find(v.text)) {
            error(v.pos, "E-enum-values",
                  v.text.empty() ? "an enum value cannot be empty"
                                 : "the value '" + v.text + "' is listed twice",
                  {}, v.text.size());
            continue;
          }
          if (f.values.size() >= 0xFFF0) {
            error(v.pos, "E-limit", "an enum holds at most 65520 values");
            break;
          }
          f.values.add(v.text);
        }
        f.values.ordered = d.ordered;
      } else if (!d.values.empty()) {
        error(d.values.front().pos, "E-enum-values", "'values' applies to enum fields only");
      }
      if (d.ordered && f.type != value_type::enumeration)
        error(d.name.pos, "E-ordered", "'ordered' applies to enum fields only");
      if (d.unique && f.type != value_type::string)
        error(d.name.pos, "E-unique", "'unique' applies to string fields only");
      if (d.min) f.min = read_bound(f, *d.min);
      if (d.max) f.max = read_bound(f, *d.max);
      if (f.min && f.max && *f.min > *f.max)
        error(d.max->pos, "E-bad-bound", "'max' is below 'min'");
      if (!f.required) {
        f.missable_index = static_cast<int>(m_.missable_fields.size());
        m_.missable_fields.push_back(static_cast<uint32_t>(m_.fields.size()));
      }
      m_.fields.push_back(std::move(f));
    }
  }

  std::optional<uint32_t> field_index(const located& name) const {
    for (uint32_t i = 0; i < m_.fields.size(); ++i)
      if (m_.fields[i].name == name.text) return i;
    return std::nullopt;
  }

  std::optional<uint32_t> string_field(const located& name, const std::string& what) {
    auto i = field_index(name);
    if (!i) {
      error(name.pos, "E-unknown-field", "unknown field '" + name.text + "' in " + what,
            "declare it under 'fields'", name.text.size());
      return std::nullopt;
    }
    if (m_.fields[*i].type != value_type::string) {
      error(
          name.pos, "E-type",
          what + " needs a string field; '" + name.text + "' is " + to_string(m_.fields[*i].type));
      return std::nullopt;
    }
    return i;
  }

  // --- 3. lists ------------------------------------------------------------------------------
  void check_lists() {
    for (const list_decl& d : ast_.lists) {
      list_info l;
      l.name = d.name.text;
      l.pos = d.name.pos;
      l.description = d.description;
      auto key = string_field(d.key, "list '" + l.name + "'");
      if (key) l.key_field = *key;
      l.membership = !d.value.has_value();
      for (const located& v : d.values) {
        if (l.values.find(v.text)) {
          error(v.pos, "E-enum-values", "the value '" + v.text + "' is listed twice");
          continue;
        }
        l.values.add(v.text);
      }
      if (!l.membership && d.values.empty())
        error(d.name.pos, "E-list-values",
              "list '" + l.name + "' has a 'value' column but no 'values'",
              "list the allowed values in priority order, e.g. values: [SKA, RKA]");
      if (l.membership && !d.values.empty())
        error(d.values.front().pos, "E-list-values", "'values' needs a 'value' column name");
      std::string why;
      auto path = resolve_inside(ast_.base_dir, d.file.text, settings_.allow_outside_paths, why);
      if (!path) {
        error(d.file.pos, "E-path", "list file '" + d.file.text + "' refused: " + why, {},
              d.file.text.size());
      } else if (key && (l.membership || !d.values.empty())) {
        // (Without 'values' every row would be "not one of" an empty list: one error is enough.)
        l.path = *path;
        load_list_file(d, l);
      }
      m_.lists.push_back(std::move(l));
    }
  }

  // A problem in a list file is reported at the list file's own line (the CSV is the
  // manufacturer's, so its line is what the person fixing it needs).
  void list_problem(severity level, const char* code, const list_info& l, uint64_t line,
                    std::string_view raw, std::string message) {
    diagnostic d;
    d.level = level;
    d.code = code;
    d.location.file = l.path;
    d.location.line = static_cast<uint32_t>(line);
    d.location.column = 1;
    d.source_line = std::string(raw.substr(0, std::min<size_t>(raw.size(), 200)));
    d.caret_length = static_cast<uint32_t>(std::max<size_t>(1, count_code_points(d.source_line)));
    d.message = std::move(message);
    d.hint = "the list is '" + l.name + "' in " + ast_.file->path();
    diags_.push_back(std::move(d));
  }

  void load_list_file(const list_decl& d, list_info& l) {
    std::string why;
    auto text = read_file(l.path, why);
    if (!text) {
      error(d.file.pos, "E-file", "cannot read list file '" + l.path + "': " + why, {},
            d.file.text.size());
      return;
    }
    const std::string& key_column = m_.fields[l.key_field].name;
    const std::string value_column = d.value ? d.value->text : std::string();
    try {
      io::string_source source(std::move(*text), SIZE_MAX, l.path);
      io::csv_reader reader(source);
      int key_at = -1, value_at = -1;
      size_t columns = 0;
      // Priority of each key's current value, so "SKA before RKA" holds whatever the row order.
      while (reader.next()) {
        if (!reader.ok()) {
          list_problem(severity::warning, "W-list-row", l, reader.line(), reader.raw(),
                       "row skipped: " + reader.error());
          continue;
        }
        if (key_at < 0) {
          columns = reader.size();
          for (size_t i = 0; i < reader.size(); ++i) {
            std::string_view h = trim_blanks(reader[i]);
            if (h == key_column) key_at = static_cast<int>(i);
            if (!value_column.empty() && h == value_column) value_at = static_cast<int>(i);
          }
          if (key_at < 0 || (!value_column.empty() && value_at < 0)) {
            list_problem(severity::error, "E-list-header", l, reader.line(), reader.raw(),
                         "the header must name the columns '" + key_column + "'" +
                             (value_column.empty() ? "" : " and '" + value_column + "'"));
            return;
          }
          continue;
        }
        if (reader.size() != columns) {
          list_problem(severity::warning, "W-list-row", l, reader.line(), reader.raw(),
                       "row skipped: " + std::to_string(reader.size()) +
                           " fields, the header has " + std::to_string(columns));
          continue;
        }
        std::string k(trim_blanks(reader[static_cast<size_t>(key_at)]));
        if (k.empty()) {
          list_problem(severity::warning, "W-list-row", l, reader.line(), reader.raw(),
                       "row skipped: the key is empty");
          continue;
        }
        uint16_t code = 0;
        if (value_at >= 0) {
          std::string_view v = trim_blanks(reader[static_cast<size_t>(value_at)]);
          auto c = l.values.find(v);
          if (!c) {
            list_problem(severity::warning, "W-list-value", l, reader.line(), reader.raw(),
                         "row ignored: value " + quote_for_message(v) + " is not one of " +
                             join_labels(l.values));
            continue;
          }
          code = *c;
        }
        if (l.entries.size() >= settings_.max_list_entries) {
          error(d.file.pos, "E-limit",
                "list '" + l.name + "' has more than " +
                    std::to_string(settings_.max_list_entries) + " entries");
          return;
        }
        auto [it, inserted] = l.entries.emplace(std::move(k), code);
        if (!inserted && code < it->second) it->second = code;  // first value in priority order
      }
      if (key_at < 0)
        error(d.file.pos, "E-list-header", l.path + ": the list file is empty (no header)");
    } catch (const std::exception& e) {
      error(d.file.pos, "E-file", "cannot read list file '" + l.path + "': " + e.what());
    }
  }

  // --- 4. named sets -------------------------------------------------------------------------
  void check_named_sets() {
    for (const named_set_decl& d : ast_.named_sets) {
      named_set_info s;
      s.name = d.name.text;
      s.pos = d.name.pos;
      s.description = d.description;
      if (auto f = string_field(d.field, "named set '" + s.name + "'")) s.field = *f;
      if (d.match.text != "contains")
        error(d.match.pos, "E-match", "unknown match mode '" + d.match.text + "'",
              "the supported mode is 'contains'");
      if (d.entries.empty())
        error(d.name.pos, "E-named-set", "named set '" + s.name + "' has no entries");
      for (const named_set_entry& e : d.entries) {
        if (e.key.text.empty() || s.keys.find(e.key.text)) {
          error(e.key.pos, "E-named-set",
                e.key.text.empty() ? "an entry key cannot be empty"
                                   : "the key '" + e.key.text + "' is listed twice");
          continue;
        }
        if (e.aliases.empty())
          error(e.key.pos, "E-named-set", "entry '" + e.key.text + "' has no aliases");
        std::vector<std::string> aliases;
        for (const located& a : e.aliases) {
          if (a.text.empty()) {
            error(a.pos, "E-named-set", "an alias cannot be empty (it would match every name)");
            continue;
          }
          aliases.push_back(a.text);
        }
        s.keys.add(e.key.text);
        s.aliases.push_back(std::move(aliases));
      }
      check_matcher_limits(s);
      m_.named_sets.push_back(std::move(s));
    }
  }

  // A named set is compiled to an automaton with fixed limits (name_matcher): those that the
  // aliases alone tell are refused here, at the set. (The size of the minimised table is
  // known only once it is built: rule_set.cpp places that error at the set too.)
  void check_matcher_limits(const named_set_info& s) {
    const std::string hint =
        "split the entries over several named sets on the same field, or move names that are "
        "matched whole to a list file";
    if (s.aliases.size() > name_matcher::max_entries) {
      error(s.pos, "E-limit",
            "named set '" + s.name + "' has " + std::to_string(s.aliases.size()) +
                " entries; a named set holds at most " + std::to_string(name_matcher::max_entries),
            hint, s.name.size());
      return;
    }
    const size_t states = name_matcher::automaton_states(s.aliases);
    if (states > name_matcher::max_states)
      error(s.pos, "E-limit",
            "named set '" + s.name + "' needs " + std::to_string(states) + " automaton states (" +
                std::to_string(name_matcher::states_per_node) + " for each of the " +
                std::to_string(states / name_matcher::states_per_node - 1) +
                " distinct beginnings of its aliases, and " +
                std::to_string(name_matcher::states_per_node) + " to start); the limit is " +
                std::to_string(name_matcher::max_states),
            "use fewer or shorter aliases (aliases that begin alike share states), or " + hint,
            s.name.size());
  }

  // --- 5. decision domains ---------------------------------------------------------------------
  std::optional<value_ref> resolve(const located& name) const { return m_.lookup(name.text); }

  void infer_domains() {
    m_.decisions.resize(ast_.decisions.size());
    for (size_t i = 0; i < ast_.decisions.size(); ++i) {
      const decision_decl& d = ast_.decisions[i];
      decision_info& info = m_.decisions[i];
      info.name = d.name.text;
      info.description = d.description;
      info.output = d.output;
      if (d.hit && d.hit->text == "unique") info.hit = hit_policy::unique;
      if (d.hit && d.hit->text == "priority") info.hit = hit_policy::priority;
      if (d.hit && d.hit->text == "collect") info.hit = hit_policy::collect;
      if (d.aggregate && d.aggregate->text == "count") info.aggregate = collect_aggregate::count;
      if (d.aggregate && d.aggregate->text == "min") info.aggregate = collect_aggregate::min;
      if (d.aggregate && d.aggregate->text == "max") info.aggregate = collect_aggregate::max;
      info.complete = d.complete.has_value();
      info.pos = d.name.pos;
      for (const located& o : d.outcomes) {
        if (o.text.empty() || info.outcomes.find(o.text)) {
          error(o.pos, "E-outcomes",
                o.text.empty() ? "an outcome cannot be empty" : "'" + o.text + "' is listed twice");
          continue;
        }
        info.outcomes.add(o.text);
      }
      if (info.ranked() && d.outcomes.empty())
        error(d.hit->pos, "E-hit-policy",
              "'" + info.name +
                  "' ranks its outcomes by their order in 'outcomes', which it "
                  "does not declare",
              "list every outcome, best first: outcomes: [...]", d.hit->text.size());
      if (info.gathers()) gathered_domain(d, info);
    }
    // Fixpoint: a decision's domain holds its constants and the labels of what it copies
    // `from`. Domains only grow, so this ends after at most #decisions + 1 rounds.
    for (size_t round = 0; round <= ast_.decisions.size() + 1; ++round) {
      bool changed = false;
      for (size_t i = 0; i < ast_.decisions.size(); ++i) {
        const decision_decl& d = ast_.decisions[i];
        if (!d.outcomes.empty() || m_.decisions[i].gathers()) continue;
        domain& dom = m_.decisions[i].outcomes;
        size_t before = dom.size();
        auto take = [&](const outcome_decl& o) {
          if (!o.from) {
            if (!o.text.text.empty()) dom.add(o.text.text);
            return;
          }
          if (auto ref = resolve(o.text))
            if (const domain* src = m_.domain_of(*ref))
              if (src != &dom)
                for (const auto& label : src->labels) dom.add(label);
        };
        for (const rule_decl& r : d.rules) take(r.then);
        if (d.fallback) take(*d.fallback);
        changed |= dom.size() != before;
      }
      if (!changed) break;
    }
  }

  // A collecting decision's values are sets (or counts) of the outcomes its rules give: the
  // items, declared by `outcomes` or the rules' constants in order of first appearance.
  void gathered_domain(const decision_decl& d, decision_info& info) {
    info.items = std::move(info.outcomes);
    info.outcomes = domain{};
    if (d.outcomes.empty())
      for (const rule_decl& r : d.rules)
        if (!r.then.from && !r.then.text.text.empty()) info.items.add(r.then.text.text);
    const size_t n = info.items.size();
    if (info.aggregate == collect_aggregate::count) {
      for (size_t c = 0; c <= n; ++c) info.outcomes.add(std::to_string(c));
      info.outcomes.ordered = true;
      return;
    }
    if (n > max_collected_items) {
      error(d.hit->pos, "E-limit",
            "'" + info.name + "' collects " + std::to_string(n) + " distinct outcomes; 'hit: " +
                "collect' takes at most " + std::to_string(max_collected_items),
            "split it into several decisions, or count them with 'aggregate: count'",
            d.hit->text.size());
      return;
    }
    for (const std::string& label : info.items.labels)
      if (label.find(';') != std::string::npos) {
        error(d.name.pos, "E-outcome",
              "'" + label + "' contains ';', which separates the outcomes that '" + info.name +
                  "' collects",
              "rename the outcome");
        return;
      }
    // Code = bit set; 0 (the empty set) is never a value: no rule matched means the default.
    for (uint32_t set = 0; set < (1u << n); ++set) {
      std::string label;
      for (uint32_t i = 0; i < n; ++i)
        if (set & (1u << i)) {
          if (!label.empty()) label += ';';
          label += info.items.labels[i];
        }
      info.outcomes.add(label);
    }
    // A default that is not an item is one more value, after the sets.
    if (d.fallback && !d.fallback->from && !d.fallback->text.text.empty() &&
        !info.items.find(d.fallback->text.text))
      info.outcomes.add(d.fallback->text.text);
  }

  // Outcomes of rules (and defaults) of the policies that allow constants only.
  std::optional<outcome> check_gathered_outcome(const outcome_decl& o, const decision_info& d,
                                                bool is_default) {
    const char* policy = d.hit == hit_policy::priority ? "priority" : "collect";
    if (o.from) {
      error(o.text.pos, "E-hit-policy",
            std::string("a 'hit: ") + policy + "' decision " + (d.ranked() ? "ranks" : "collects") +
                " constant outcomes; '" + d.name + "' cannot take one 'from' " + o.text.text,
            "write the outcome as a constant, or use 'hit: first'", o.text.text.size());
      return std::nullopt;
    }
    if (d.ranked()) return check_outcome(o, d, 0);
    if (is_default && d.aggregate == collect_aggregate::count) {
      error(o.text.pos, "E-hit-policy",
            "'" + d.name + "' counts its matching outcomes, so it has no default",
            "no matching rule gives the count 0; remove 'default'", o.text.text.size());
      return std::nullopt;
    }
    outcome out;
    auto item = d.items.find(o.text.text);
    if (is_default) {
      // The set holding just that item, or the default's own value after the sets.
      auto code = item ? std::optional<uint16_t>(static_cast<uint16_t>(1u << *item))
                       : d.outcomes.find(o.text.text);
      if (!code) return std::nullopt;  // an empty label, or beyond the limit: reported already
      out.code = *code;
      return out;
    }
    auto code = constant_code(o, d.items, d.name);
    if (!code) return std::nullopt;
    out.code = *code;
    return out;
  }

  // A constant outcome's code among `labels` (a decision's outcomes, or its items).
  std::optional<uint16_t> constant_code(const outcome_decl& o, const domain& labels,
                                        const std::string& decision) {
    if (o.text.text.empty()) {
      error(o.text.pos, "E-outcome", "an outcome cannot be empty", "omit 'default' for no outcome");
      return std::nullopt;
    }
    auto code = labels.find(o.text.text);
    if (!code)
      error(o.text.pos, "E-outcome",
            "'" + o.text.text + "' is not one of the declared outcomes of '" + decision + "'",
            "declared: " + join_labels(labels), o.text.text.size());
    return code;
  }

  std::optional<outcome> check_outcome(const outcome_decl& o, const decision_info& d,
                                       uint32_t self) {
    outcome out;
    if (!o.from) {
      auto code = constant_code(o, d.outcomes, d.name);
      if (!code) return std::nullopt;
      out.code = *code;
      return out;
    }
    auto ref = resolve(o.text);
    if (!ref) {
      error(o.text.pos, "E-unknown-name", "unknown name '" + o.text.text + "' in 'from'",
            "name a decision, list, named set or enum field", o.text.text.size());
      return std::nullopt;
    }
    if (ref->kind == source_kind::decision && ref->index == self) {
      error(o.text.pos, "E-cycle", "decision '" + d.name + "' takes its outcome from itself", {},
            o.text.text.size());
      return std::nullopt;
    }
    if (ref->kind == source_kind::decision && m_.decisions[ref->index].collects_set()) {
      error(o.text.pos, "E-type",
            "'" + o.text.text + "' collects a set of outcomes, which 'from' cannot copy",
            "test it with 'contains' instead: when: " + o.text.text + " contains ...",
            o.text.text.size());
      return std::nullopt;
    }
    const domain* src = m_.domain_of(*ref);
    if (!src) {
      error(o.text.pos, "E-type",
            "'from' needs a value with labels; '" + o.text.text + "' is " +
                to_string(m_.type_of(*ref)),
            {}, o.text.text.size());
      return std::nullopt;
    }
    out.from = true;
    out.source = *ref;
    for (const auto& label : src->labels) {
      auto code = d.outcomes.find(label);
      if (!code) {
        error(o.text.pos, "E-outcome",
              "'" + o.text.text + "' can give '" + label + "', which is not an outcome of '" +
                  d.name + "'",
              "add it to 'outcomes'", o.text.text.size());
        return std::nullopt;
      }
      out.remap.push_back(*code);
    }
    return out;
  }

  // --- 6. conditions ---------------------------------------------------------------------------
  source_pos pos_in_rule(const rule_decl& r, size_t offset) const {
    if (r.when_offsets.empty()) return r.when.pos;
    return source_pos{r.when.pos.file, r.when_offsets[std::min(offset, r.when_offsets.size() - 1)]};
  }

  void cond_error(const rule_decl& r, expr::source_span span, const char* code, std::string msg,
                  std::string hint = {}) {
    source_pos p = pos_in_rule(r, span.begin);
    size_t len = span.end > span.begin ? span.end - span.begin : 1;
    error(p, code, std::move(msg), std::move(hint), len);
  }

  void check_decisions() {
    size_t total_rules = 0;
    for (uint32_t di = 0; di < ast_.decisions.size(); ++di) {
      const decision_decl& d = ast_.decisions[di];
      decision_info& info = m_.decisions[di];
      if (d.rules.empty())
        error(d.name.pos, "E-no-rules", "decision '" + info.name + "' has no rules");
      std::set<std::string> ids;
      for (const rule_decl& r : d.rules) {
        if (++total_rules > settings_.max_rules) {
          error(r.id.pos, "E-limit",
                "more than " + std::to_string(settings_.max_rules) + " rules in the rule set");
          return;
        }
        rule_info rule;
        rule.id = r.id.text;
        rule.pos = r.id.pos;
        rule.when_text = r.when.text;
        if (r.id.text.empty()) error(r.id.pos, "E-rule-id", "a rule id cannot be empty");
        if (!ids.insert(r.id.text).second)
          warning(r.id.pos, "W-duplicate-id",
                  "rule id '" + r.id.text + "' is used twice in decision '" + info.name + "'",
                  "results name the rule that fired by its id; make ids unique", r.id.text.size());
        if (auto c = check_condition(r)) rule.cond = std::move(*c);
        if (info.gathers() || info.ranked()) {
          if (auto o = check_gathered_outcome(r.then, info, false)) rule.then = std::move(*o);
        } else if (auto o = check_outcome(r.then, info, di)) {
          rule.then = std::move(*o);
        }
        std::set<uint32_t> missable;
        for (const cond_node& n : rule.cond.nodes)
          if (n.kind == cond_kind::pred && m_.predicates[n.pred].missing_field >= 0)
            missable.insert(static_cast<uint32_t>(m_.predicates[n.pred].missing_field));
        rule.missable_fields.assign(missable.begin(), missable.end());
        info.rules.push_back(std::move(rule));
      }
      if (d.fallback && info.gathers()) {
        if (auto o = check_gathered_outcome(*d.fallback, info, true)) info.fallback = *o;
      } else if (d.fallback) {
        if (auto o = check_outcome(*d.fallback, info, di)) info.fallback = std::move(*o);
      }
    }
  }

  std::optional<condition> check_condition(const rule_decl& r) {
    auto parsed = expr::parse_condition(r.when.text, settings_.expr);
    if (auto* e = std::get_if<expr::parse_error>(&parsed)) {
      source_pos p = pos_in_rule(r, e->offset);
      error(p, "E-syntax", e->message, e->hint, e->length);
      return std::nullopt;
    }
    const expr::condition_ast& ast = std::get<expr::condition_ast>(parsed);
    condition out;
    bool ok = true;
    // The AST arena may hold nodes in any order; emit ours in post-order with an explicit
    // stack (no recursion: depth is bounded by the parser, but we keep the habit).
    std::vector<int64_t> mapped(ast.nodes.size(), -1);
    std::vector<std::pair<uint32_t, bool>> stack = {{ast.root, false}};
    while (!stack.empty()) {
      auto [idx, expanded] = stack.back();
      stack.pop_back();
      const expr::node& n = ast.nodes[idx];
      if (!expanded && !n.children.empty()) {
        stack.push_back({idx, true});
        for (auto it = n.children.rbegin(); it != n.children.rend(); ++it)
          stack.push_back({*it, false});
        continue;
      }
      cond_node c;
      switch (n.kind) {
        case expr::node_kind::and_:
          c.kind = cond_kind::and_;
          break;
        case expr::node_kind::or_:
          c.kind = cond_kind::or_;
          break;
        case expr::node_kind::not_:
          c.kind = cond_kind::not_;
          break;
        case expr::node_kind::constant:
          c.kind = cond_kind::constant;
          c.value = n.constant_value;
          break;
        default: {
          auto p = check_predicate(r, n);
          if (!p) {
            ok = false;
            c.kind = cond_kind::constant;
          } else {
            c.kind = cond_kind::pred;
            c.pred = *p;
          }
        }
      }
      for (uint32_t child : n.children) c.children.push_back(static_cast<uint32_t>(mapped[child]));
      mapped[idx] = static_cast<int64_t>(out.nodes.size());
      out.nodes.push_back(std::move(c));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // Interns a predicate (identical tests share one index: the compiler evaluates each once).
  uint32_t intern(predicate p) {
    for (uint32_t i = 0; i < m_.predicates.size(); ++i)
      if (m_.predicates[i].same_test(p)) return i;
    m_.predicates.push_back(std::move(p));
    return static_cast<uint32_t>(m_.predicates.size() - 1);
  }

  std::optional<uint32_t> check_predicate(const rule_decl& r, const expr::node& n) {
    auto ref = m_.lookup(n.operand);
    if (!ref) {
      cond_error(r, n.operand_span, "E-unknown-name", "unknown name '" + n.operand + "'",
                 suggest(n.operand));
      return std::nullopt;
    }
    predicate p;
    p.subject = *ref;
    p.text =
        std::string(std::string_view(r.when.text).substr(n.span.begin, n.span.end - n.span.begin));
    p.missing_field = missing_field_of(*ref);
    value_type type = m_.type_of(*ref);
    const std::string& name = n.operand;

    const bool set_valued =
        ref->kind == source_kind::decision && m_.decisions[ref->index].collects_set();
    if (n.kind == expr::node_kind::contains) return check_contains(r, n, std::move(p));
    if (set_valued && n.kind != expr::node_kind::is_missing) {
      cond_error(r, n.span, "E-type",
                 "'" + name +
                     "' collects a set of outcomes (hit: collect); test it with "
                     "'contains'",
                 "e.g. " + name + " contains " + m_.decisions[ref->index].items.labels.front());
      return std::nullopt;
    }
    if (n.kind == expr::node_kind::is_missing) {
      p.kind = pred_kind::is_missing;
      p.negated = n.negated;
      p.missing_field = -1;  // `is missing` is never unknown
      return intern(std::move(p));
    }
    if (n.kind == expr::node_kind::truthy) {
      if (type != value_type::boolean) {
        cond_error(
            r, n.operand_span, "E-type",
            "'" + name + "' is " + to_string(type) + ", not a boolean; compare it with a value",
            "e.g. " + name + " == ...");
        return std::nullopt;
      }
      p.kind = pred_kind::code_in_set;
      p.codes = {1};
      return intern(std::move(p));
    }
    // compare / in_set / between
    bool ordering = (n.kind == expr::node_kind::compare &&
                     (n.op == expr::cmp_op::lt || n.op == expr::cmp_op::le ||
                      n.op == expr::cmp_op::gt || n.op == expr::cmp_op::ge)) ||
                    n.kind == expr::node_kind::between;
    switch (type) {
      case value_type::enumeration:
      case value_type::boolean:
      case value_type::string: {
        const domain* dom = m_.domain_of(*ref);
        bool is_string = type == value_type::string;
        if (ordering && (is_string || type == value_type::boolean || !dom->ordered)) {
          cond_error(r, n.span, "E-not-ordered",
                     "'" + name + "' has no order, so " +
                         (n.kind == expr::node_kind::between
                              ? std::string("'between'")
                              : "'" + std::string(expr::to_string(n.op)) + "'") +
                         " does not apply",
                     is_string || type == value_type::boolean
                         ? "compare with ==, != or in [...]"
                         : "declare the field 'ordered: true' if its values have an order");
          return std::nullopt;
        }
        std::vector<uint16_t> codes;
        for (const expr::literal& lit : n.literals) {
          auto c = literal_code(r, *ref, type, dom, lit);
          if (!c) return std::nullopt;
          codes.push_back(*c);
        }
        p.kind = pred_kind::code_in_set;
        if (n.kind == expr::node_kind::between) {
          uint16_t lo = codes[0], hi = codes[1];
          codes.clear();
          for (uint32_t c = lo; c <= hi; ++c) codes.push_back(static_cast<uint16_t>(c));
          p.negated = n.negated;
        } else if (n.kind == expr::node_kind::in_set) {
          p.negated = n.negated;
        } else {
          uint16_t k = codes[0];
          codes.clear();
          switch (n.op) {
            case expr::cmp_op::eq:
              codes = {k};
              break;
            case expr::cmp_op::ne:
              codes = {k};
              p.negated = true;
              break;
            case expr::cmp_op::lt:
              for (uint16_t c = 0; c < k; ++c) codes.push_back(c);
              break;
            case expr::cmp_op::le:
              for (uint16_t c = 0; c <= k; ++c) codes.push_back(c);
              break;
            case expr::cmp_op::gt:
              for (uint32_t c = k + 1u; c < dom->size(); ++c)
                codes.push_back(static_cast<uint16_t>(c));
              break;
            case expr::cmp_op::ge:
              for (uint32_t c = k; c < dom->size(); ++c) codes.push_back(static_cast<uint16_t>(c));
              break;
          }
        }
        std::sort(codes.begin(), codes.end());
        codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
        p.codes = std::move(codes);
        return intern(std::move(p));
      }
      case value_type::integer:
      case value_type::date:
      case value_type::decimal: {
        std::vector<decimal_key> keys;
        for (const expr::literal& lit : n.literals) {
          auto k = literal_number(r, type, name, lit);
          if (!k) return std::nullopt;
          keys.push_back(*k);
        }
        // Work in decimal-key units (integers widened), then narrow for integer/date columns.
        // Open ends lie beyond every key: 18 whole digits make keys up to 2e36 (~2^121).
        const decimal_key lowest = -(static_cast<decimal_key>(1) << 126);
        const decimal_key highest = static_cast<decimal_key>(1) << 126;
        decimal_key lo = lowest, hi = highest;
        bool negated = false;
        if (n.kind == expr::node_kind::between) {
          lo = keys[0];
          hi = keys[1];
          negated = n.negated;
        } else if (n.kind == expr::node_kind::in_set) {
          // Several values: an in-set over numbers is an `or` of equalities; keep it simple
          // by allowing a single value or a contiguous integer run.
          std::sort(keys.begin(), keys.end());
          keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
          decimal_key unit = type == value_type::decimal ? 1 : decimal_from_integer(1);
          for (size_t i = 1; i < keys.size(); ++i)
            if (keys[i] - keys[i - 1] != unit || type == value_type::decimal) {
              cond_error(r, n.span, "E-numeric-in",
                         "'in [...]' on numbers needs consecutive whole numbers",
                         "use 'between' or an 'or' of comparisons");
              return std::nullopt;
            }
          lo = keys.front();
          hi = keys.back();
          negated = n.negated;
        } else {
          decimal_key k = keys[0];
          switch (n.op) {
            case expr::cmp_op::eq:
              lo = hi = k;
              break;
            case expr::cmp_op::ne:
              lo = hi = k;
              negated = true;
              break;
            case expr::cmp_op::lt:
              hi = k - 1;
              break;
            case expr::cmp_op::le:
              hi = k;
              break;
            case expr::cmp_op::gt:
              lo = k + 1;
              break;
            case expr::cmp_op::ge:
              lo = k;
              break;
          }
        }
        p.negated = negated;
        if (type == value_type::decimal) {
          p.kind = pred_kind::dec_range;
          p.lo = lo;
          p.hi = hi;
        } else {
          p.kind = pred_kind::int_range;
          // Keys of integers are value * 2e18 (see values.h); dates are plain day numbers.
          if (type == value_type::integer) {
            decimal_key unit = decimal_from_integer(1);
            auto ceil_div = [&](decimal_key a) {
              decimal_key q = a / unit;
              if (q * unit < a) ++q;
              return q;
            };
            auto floor_div = [&](decimal_key a) {
              decimal_key q = a / unit;
              if (q * unit > a) --q;
              return q;
            };
            lo = lo == lowest ? INT64_MIN : ceil_div(lo);
            hi = hi == highest ? INT64_MAX : floor_div(hi);
          } else {
            if (lo == lowest) lo = INT64_MIN;
            if (hi == highest) hi = INT64_MAX;
          }
          p.lo = std::max<decimal_key>(lo, INT64_MIN);
          p.hi = std::min<decimal_key>(hi, INT64_MAX);
        }
        return intern(std::move(p));
      }
    }
    return std::nullopt;
  }

  // `D contains X`: D's set holds X, i.e. D's value is one of the sets with X's bit.
  std::optional<uint32_t> check_contains(const rule_decl& r, const expr::node& n, predicate p) {
    const std::string& name = n.operand;
    if (p.subject.kind != source_kind::decision || !m_.decisions[p.subject.index].collects_set()) {
      cond_error(r, n.span, "E-type",
                 "'contains' tests a decision that collects a set of outcomes (hit: collect); '" +
                     name + "' is " + to_string(m_.type_of(p.subject)),
                 "compare it with == or in [...]");
      return std::nullopt;
    }
    const decision_info& d = m_.decisions[p.subject.index];
    const expr::literal& lit = n.literals[0];
    auto item = lit.kind == expr::literal_kind::name || lit.kind == expr::literal_kind::string
                    ? d.items.find(lit.text)
                    : std::nullopt;
    if (!item) {
      cond_error(r, lit.span, "E-not-in-domain",
                 "'" + lit.text + "' is not an outcome that '" + name + "' collects",
                 "it collects: " + join_labels(d.items));
      return std::nullopt;
    }
    p.kind = pred_kind::code_in_set;
    p.negated = n.negated;
    for (uint32_t set = 1; set < (1u << d.items.size()); ++set)
      if (set & (1u << *item)) p.codes.push_back(static_cast<uint16_t>(set));
    return intern(std::move(p));
  }

  int missing_field_of(value_ref ref) const {
    uint32_t f;
    switch (ref.kind) {
      case source_kind::field:
        f = ref.index;
        break;
      case source_kind::list:
        f = m_.lists[ref.index].key_field;
        break;
      case source_kind::named_set:
        f = m_.named_sets[ref.index].field;
        break;
      default:
        return -1;
    }
    // Required fields count too: a caller filling a batch by hand may leave one unset.
    return static_cast<int>(f);
  }

  // Kinds of names a suggestion may come from.
  enum : unsigned {
    any_field = 1,
    any_list = 2,
    any_named_set = 4,
    any_decision = 8,
    any_name = 15
  };

  std::string suggest(const std::string& name, unsigned kinds = any_name) const {
    std::string best;
    size_t best_d = 3;
    auto consider = [&](const std::string& n) {
      // Cheap distance: common prefix/suffix aware Levenshtein on short names.
      std::vector<size_t> row(n.size() + 1);
      for (size_t j = 0; j <= n.size(); ++j) row[j] = j;
      for (size_t i = 1; i <= name.size(); ++i) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= n.size(); ++j) {
          size_t cur = row[j];
          row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (name[i - 1] == n[j - 1] ? 0 : 1)});
          prev = cur;
        }
      }
      if (row[n.size()] < best_d) {
        best_d = row[n.size()];
        best = n;
      }
    };
    if (kinds & any_field)
      for (const auto& f : m_.fields) consider(f.name);
    if (kinds & any_list)
      for (const auto& l : m_.lists) consider(l.name);
    if (kinds & any_named_set)
      for (const auto& s : m_.named_sets) consider(s.name);
    if (kinds & any_decision)
      for (const auto& d : m_.decisions) consider(d.name);
    if (!best.empty()) return "did you mean '" + best + "'?";
    return "names are fields, lists, named sets or decisions";
  }

  std::optional<uint16_t> literal_code(const rule_decl& r, value_ref ref, value_type type,
                                       const domain* dom, const expr::literal& lit) {
    const std::string& name = m_.name_of(ref);
    if (type == value_type::boolean) {
      if (lit.kind != expr::literal_kind::boolean) {
        cond_error(r, lit.span, "E-type",
                   "'" + name + "' is a boolean; compare it with true or false");
        return std::nullopt;
      }
      return static_cast<uint16_t>(lit.text == "true" ? 1 : 0);
    }
    const bool is_count = ref.kind == source_kind::decision &&
                          m_.decisions[ref.index].hit == hit_policy::collect &&
                          m_.decisions[ref.index].aggregate == collect_aggregate::count;
    if (is_count && lit.kind == expr::literal_kind::number) {
      if (auto code = dom->find(lit.text)) return code;
      cond_error(r, lit.span, "E-not-in-domain",
                 "'" + name + "' counts at most " + std::to_string(dom->size() - 1) +
                     " outcomes, so it is never " + lit.text,
                 "its values are: " + join_labels(*dom));
      return std::nullopt;
    }
    if (lit.kind == expr::literal_kind::number || lit.kind == expr::literal_kind::date ||
        lit.kind == expr::literal_kind::boolean) {
      cond_error(r, lit.span, "E-type",
                 std::string(lit.kind == expr::literal_kind::number ? "a number"
                             : lit.kind == expr::literal_kind::date ? "a date"
                                                                    : "a boolean") +
                     " cannot be compared with '" + name + "', which is " + to_string(type),
                 dom ? "its values are: " + join_labels(*dom) : "quote text values: \"...\"");
      return std::nullopt;
    }
    if (type == value_type::string) {
      // Open domain: the literal joins the field's dictionary of compared texts.
      if (m_.fields[ref.index].string_literals.size() >= 0xFFF0) {
        cond_error(r, lit.span, "E-limit", "too many distinct texts compared with '" + name + "'");
        return std::nullopt;
      }
      return m_.fields[ref.index].string_literals.add(lit.text);
    }
    auto code = dom->find(lit.text);
    if (!code) {
      std::string hint = "its values are: " + join_labels(*dom);
      cond_error(r, lit.span, "E-not-in-domain",
                 "'" + lit.text + "' is not a value of '" + name + "'", hint);
      return std::nullopt;
    }
    return code;
  }

  std::optional<decimal_key> literal_number(const rule_decl& r, value_type type,
                                            const std::string& name, const expr::literal& lit) {
    if (type == value_type::date) {
      if (lit.kind == expr::literal_kind::date)
        if (auto d = parse_date(lit.text)) return static_cast<decimal_key>(*d);
      cond_error(r, lit.span, "E-type",
                 "'" + name + "' is a date; compare it with a date like 2009-10-19");
      return std::nullopt;
    }
    if (lit.kind != expr::literal_kind::number) {
      cond_error(r, lit.span, "E-type",
                 "'" + lit.text + "' is not a number, and '" + name + "' is " + to_string(type),
                 "compare numbers with numbers, e.g. " + name + " >= 500");
      return std::nullopt;
    }
    auto k = parse_decimal(lit.text);
    // A literal must be exact: beyond the 18th fractional digit only "more than" is kept
    // (values.h), which is enough to order a value against a literal but not two such values.
    if (!k || (*k & 1) != 0) {
      cond_error(r, lit.span, "E-bad-number",
                 "'" + lit.text + "' is not a number chanrules can hold",
                 "at most 18 digits before and 18 after the point");
      return std::nullopt;
    }
    // Integer fields: the range is narrowed to whole numbers by the caller.
    return *k;
  }

  // --- 7. tests ------------------------------------------------------------------------------
  void check_tests() {
    for (const test_decl& t : ast_.tests) {
      test_case tc;
      tc.name = t.name.text;
      tc.pos = t.pos;
      for (const auto& [k, v] : t.record) {
        if (!field_index(k)) {
          error(k.pos, "E-unknown-field",
                "unknown field '" + k.text + "' in test '" + tc.name + "'",
                suggest(k.text, any_field), k.text.size());
          continue;
        }
        tc.record.emplace_back(k.text, v.text);
      }
      auto decision_of = [&](const located& k) -> std::optional<uint32_t> {
        for (uint32_t i = 0; i < m_.decisions.size(); ++i)
          if (m_.decisions[i].name == k.text) return i;
        error(k.pos, "E-unknown-decision",
              "unknown decision '" + k.text + "' in test '" + tc.name + "'",
              suggest(k.text, any_decision), k.text.size());
        return std::nullopt;
      };
      for (const auto& [k, v] : t.expect) {
        auto d = decision_of(k);
        if (!d) continue;
        if (v.text.empty()) {
          tc.expect.emplace_back(*d, no_code);
          continue;
        }
        auto code = m_.decisions[*d].collects_set() ? collected_set(m_.decisions[*d], v.text)
                                                    : m_.decisions[*d].outcomes.find(v.text);
        if (!code) {
          error(v.pos, "E-not-in-domain", "'" + v.text + "' is not an outcome of '" + k.text + "'",
                m_.decisions[*d].collects_set()
                    ? "write the outcomes it collects, ';'-separated: " +
                          join_labels(m_.decisions[*d].items)
                    : "outcomes: " + join_labels(m_.decisions[*d].outcomes),
                v.text.size());
          continue;
        }
        tc.expect.emplace_back(*d, *code);
      }
      for (const auto& [k, v] : t.expect_rule) {
        auto d = decision_of(k);
        if (!d) continue;
        const auto& rules = m_.decisions[*d].rules;
        if (v.text == "default") {  // the default applied (see classification::by_default)
          tc.expect_rule.emplace_back(*d, static_cast<uint16_t>(0xFFFE));
          continue;
        }
        if (v.text.empty()) {  // nothing fired and there is no default (classification::no_rule)
          tc.expect_rule.emplace_back(*d, static_cast<uint16_t>(0xFFFF));
          continue;
        }
        // Not captured directly: clang 14 cannot capture structured bindings in a lambda.
        const std::string& id = v.text;
        auto it = std::find_if(rules.begin(), rules.end(),
                               [&](const rule_info& ri) { return ri.id == id; });
        if (it == rules.end()) {
          error(v.pos, "E-unknown-rule", "decision '" + k.text + "' has no rule '" + v.text + "'",
                {}, v.text.size());
          continue;
        }
        tc.expect_rule.emplace_back(*d, static_cast<uint16_t>(it - rules.begin()));
      }
      for (const auto& [k, list] : t.expect_missing) {
        auto d = decision_of(k);
        if (!d) continue;
        std::vector<uint32_t> fields;
        for (const located& f : list) {
          auto i = field_index(f);
          if (!i) {
            error(f.pos, "E-unknown-field", "unknown field '" + f.text + "'",
                  suggest(f.text, any_field), f.text.size());
            continue;
          }
          fields.push_back(*i);
        }
        std::sort(fields.begin(), fields.end());
        tc.expect_missing.emplace_back(*d, std::move(fields));
      }
      m_.tests.push_back(std::move(tc));
    }
  }

  // An expected set of collected outcomes, written "A;B" in any order (or the default's label).
  static std::optional<uint16_t> collected_set(const decision_info& d, const std::string& text) {
    if (auto code = d.outcomes.find(text)) return code;
    uint32_t set = 0;
    size_t begin = 0;
    while (begin <= text.size()) {
      size_t end = std::min(text.find(';', begin), text.size());
      std::string_view label = std::string_view(text).substr(begin, end - begin);
      while (!label.empty() && label.front() == ' ') label.remove_prefix(1);
      while (!label.empty() && label.back() == ' ') label.remove_suffix(1);
      auto item = d.items.find(label);
      if (!item) return std::nullopt;
      set |= 1u << *item;
      begin = end + 1;
    }
    return static_cast<uint16_t>(set);
  }

  const ruleset_ast& ast_;
  const check_settings& settings_;
  std::vector<diagnostic>& diags_;
  model m_;
};

}  // namespace

std::optional<model> check(const ruleset_ast& ast, const check_settings& settings,
                           std::vector<diagnostic>& diagnostics) {
  checker c(ast, settings, diagnostics);
  return c.run();
}

}  // namespace chanrules::detail
