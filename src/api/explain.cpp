// explain(): one record, evaluated rule by rule with every predicate's value recorded.
//
// This is a row-at-a-time interpreter over the checked conditions, deliberately independent
// of the batch executor (it shares only the compiled lists and name matchers), so the tests
// can compare the two on random records.
#include <chanrules/rule_set.h>

#include <algorithm>
#include <bit>

#include "common/source.h"
#include "exec/batch_impl.h"

namespace chanrules {

namespace {

using namespace detail;

enum class tri : uint8_t { f, t, u };

const char* tri_text(tri v) { return v == tri::t ? "true" : v == tri::f ? "false" : "unknown"; }

class row_interpreter {
 public:
  row_interpreter(const program& p, const batch_impl& b, size_t row)
      : p_(p),
        m_(p.m),
        b_(b),
        row_(row),
        decided_(m_.decisions.size(), no_code),
        evaluated_(m_.decisions.size(), false),
        missing_of_(m_.decisions.size()) {}

  // Outputs and helpers tested by conditions in evaluation order; other helpers only when a
  // rule copies their value, exactly as the batch executor does. Such a helper's trace comes
  // just before the trace of the decision that first needed it.
  explanation run() {
    for (uint32_t d : m_.evaluation_order)
      if (p_.evaluate_always[d]) ensure(d);
    return std::move(out_);
  }

 private:
  // A value as the predicate sees it: code (enum-like), number, or absent.
  struct value {
    bool missing = false;  // unknown: an input is missing
    bool present = false;  // has a value
    uint16_t code = no_code;
    decimal_key number = 0;
    std::string text;
  };

  bool field_valid(uint32_t f) const { return b_.columns[f].is_valid(row_); }

  value get(value_ref r) const {
    value v;
    switch (r.kind) {
      case source_kind::field: {
        const column& c = b_.columns[r.index];
        const field_info& f = m_.fields[r.index];
        if (!c.is_valid(row_)) {
          v.missing = true;
          v.text = "(missing)";
          return v;
        }
        v.present = true;
        switch (f.type) {
          case value_type::string:
            v.code = c.codes[row_];
            v.text = "\"" + std::string(c.text(row_)) + "\"";
            break;
          case value_type::enumeration:
            v.code = c.codes[row_];
            v.text = f.values.labels[v.code];
            break;
          case value_type::boolean:
            v.code = c.codes[row_];
            v.text = v.code ? "true" : "false";
            break;
          case value_type::integer:
            v.number = c.ints[row_];
            v.text = std::to_string(c.ints[row_]);
            break;
          case value_type::date:
            v.number = c.ints[row_];
            v.text = date_to_string(c.ints[row_]);
            break;
          case value_type::decimal:
            v.number = c.decs[row_];
            v.text = decimal_to_string(c.decs[row_]);
            break;
        }
        return v;
      }
      case source_kind::list: {
        const list_info& l = m_.lists[r.index];
        if (!field_valid(l.key_field)) {
          v.missing = true;
          v.text = "(missing " + m_.fields[l.key_field].name + ")";
          return v;
        }
        auto [ki, pos] = p_.list_slot[r.index];
        const key_index& k = p_.key_indexes[ki];
        uint32_t e = b_.columns[l.key_field].key_entry[row_];
        uint16_t code = e == string_table::not_found ? no_code : k.codes[e * k.lists.size() + pos];
        if (l.membership) {
          v.present = true;
          v.code = code == no_code ? 0 : 1;
          v.text = v.code ? "listed" : "not listed";
        } else if (code != no_code) {
          v.present = true;
          v.code = code;
          v.text = l.values.labels[code];
        } else {
          v.text = "(not listed)";
        }
        return v;
      }
      case source_kind::named_set: {
        const named_set_info& s = m_.named_sets[r.index];
        if (!field_valid(s.field)) {
          v.missing = true;
          v.text = "(missing " + m_.fields[s.field].name + ")";
          return v;
        }
        uint16_t code = p_.matchers[r.index].match(b_.columns[s.field].text(row_));
        if (code != no_code) {
          v.present = true;
          v.code = code;
          v.text = s.keys.labels[code];
        } else {
          v.text = "(no match)";
        }
        return v;
      }
      case source_kind::decision: {
        const_cast<row_interpreter*>(this)->ensure(r.index);
        uint16_t code = decided_[r.index];
        if (code != no_code) {
          v.present = true;
          v.code = code;
          v.text = m_.decisions[r.index].outcomes.labels[code];
        } else {
          v.text = "(no outcome)";
        }
        return v;
      }
    }
    return v;
  }

  tri eval_pred(const predicate& p, explanation::rule_trace& trace,
                std::vector<uint32_t>& missing_seen) const {
    value v = get(p.subject);
    tri result;
    if (p.kind == pred_kind::is_missing) {
      result = (!v.present) != p.negated ? tri::t : tri::f;
    } else if (v.missing) {
      result = tri::u;
      if (p.missing_field >= 0) missing_seen.push_back(static_cast<uint32_t>(p.missing_field));
    } else if (!v.present) {
      result = tri::f;
    } else if (p.kind == pred_kind::code_in_set) {
      bool member = std::binary_search(p.codes.begin(), p.codes.end(), v.code);
      result = member != p.negated ? tri::t : tri::f;
    } else {
      decimal_key x = v.number;
      bool in = x >= p.lo && x <= p.hi;
      result = in != p.negated ? tri::t : tri::f;
    }
    trace.conditions.push_back({p.text, v.text, tri_text(result)});
    return result;
  }

  tri eval(const condition& c, explanation::rule_trace& trace, std::vector<uint32_t>& missing) {
    std::vector<tri> values(c.nodes.size());
    for (size_t i = 0; i < c.nodes.size(); ++i) {
      const cond_node& n = c.nodes[i];
      switch (n.kind) {
        case cond_kind::constant:
          values[i] = n.value ? tri::t : tri::f;
          break;
        case cond_kind::pred:
          values[i] = eval_pred(m_.predicates[n.pred], trace, missing);
          break;
        case cond_kind::not_: {
          tri x = values[n.children[0]];
          values[i] = x == tri::u ? tri::u : x == tri::t ? tri::f : tri::t;
          break;
        }
        case cond_kind::and_: {
          tri r = tri::t;
          for (uint32_t ch : n.children) {
            if (values[ch] == tri::f)
              r = tri::f;
            else if (values[ch] == tri::u && r != tri::f)
              r = tri::u;
          }
          values[i] = r;
          break;
        }
        case cond_kind::or_: {
          tri r = tri::f;
          for (uint32_t ch : n.children) {
            if (values[ch] == tri::t)
              r = tri::t;
            else if (values[ch] == tri::u && r != tri::t)
              r = tri::u;
          }
          values[i] = r;
          break;
        }
      }
    }
    return values.empty() ? tri::f : values.back();
  }

  void ensure(uint32_t di) {
    if (evaluated_[di]) return;
    evaluated_[di] = true;
    explanation::decision_trace trace = decide(di);
    out_.decisions.push_back(std::move(trace));
  }

  explanation::decision_trace decide(uint32_t di) {
    const decision_info& d = m_.decisions[di];
    explanation::decision_trace out;
    out.name = d.name;
    std::vector<uint32_t> missing_fields, inherited;
    bool decided = false;
    if (d.hit == hit_policy::priority) out.hit = "priority";
    if (d.hit == hit_policy::collect) {
      static const char* const names[] = {"collect", "collect count", "collect min", "collect max"};
      out.hit = names[static_cast<int>(d.aggregate)];
    }
    const bool gathers = d.gathers();
    uint32_t gathered = 0;  // items of the rules that hold (gathering decisions)
    for (uint32_t index : d.trial_order()) {
      const rule_info& r = d.rules[index];
      explanation::rule_trace trace;
      trace.id = r.id;
      trace.condition = r.when_text;
      std::vector<uint32_t> seen;
      tri result = eval(r.cond, trace, seen);
      trace.result = tri_text(result);
      if (result == tri::u) {
        // Only the fields of this rule that are really missing for this record.
        for (uint32_t f : r.missable_fields)
          if (!field_valid(f)) missing_fields.push_back(f);
      }
      if (result == tri::t && gathers) {
        trace.fired = true;
        gathered |= 1u << r.then.code;
        if (out.rule_id.empty()) out.rule_id = r.id;
      } else if (result == tri::t) {
        uint16_t code = r.then.code;
        if (r.then.from) {
          value src = get(r.then.source);
          code = src.present ? r.then.remap[src.code] : no_code;
          if (code != no_code && r.then.source.kind == source_kind::decision)
            inherited = missing_of_[r.then.source.index];
          if (code == no_code)
            trace.result = "true (but " + m_.name_of(r.then.source) + " has no value)";
        }
        if (code != no_code) {
          trace.fired = true;
          decided_[di] = code;
          out.outcome = d.outcomes.labels[code];
          out.rule_id = r.id;
          decided = true;
        }
      }
      out.rules.push_back(std::move(trace));
      if (decided) break;
    }
    if (gathers) {
      const bool counts = d.aggregate == collect_aggregate::count;
      if (gathered != 0 || counts) {
        const uint16_t code = counts ? static_cast<uint16_t>(std::popcount(gathered))
                                     : static_cast<uint16_t>(gathered);
        decided_[di] = code;
        out.outcome = d.outcomes.labels[code];
        decided = true;
      }
    }
    if (!decided && d.fallback) {
      uint16_t code = d.fallback->code;
      if (d.fallback->from) {
        value src = get(d.fallback->source);
        code = src.present ? d.fallback->remap[src.code] : no_code;
        if (code != no_code && d.fallback->source.kind == source_kind::decision)
          inherited = missing_of_[d.fallback->source.index];
      }
      if (code != no_code) {
        decided_[di] = code;
        out.outcome = d.outcomes.labels[code];
        out.rule_id = "default";
      }
    }
    missing_fields.insert(missing_fields.end(), inherited.begin(), inherited.end());
    std::sort(missing_fields.begin(), missing_fields.end());
    missing_fields.erase(std::unique(missing_fields.begin(), missing_fields.end()),
                         missing_fields.end());
    for (uint32_t f : missing_fields) out.missing_fields.push_back(m_.fields[f].name);
    missing_of_[di] = missing_fields;
    return out;
  }

  const program& p_;
  const model& m_;
  const batch_impl& b_;
  size_t row_;
  std::vector<uint16_t> decided_;
  std::vector<bool> evaluated_;
  std::vector<std::vector<uint32_t>> missing_of_;  // per decision: its missing fields
  explanation out_;
};

}  // namespace

explanation rule_set::explain(const batch& rows, size_t row) const {
  const batch_impl& b = batch_access::of(rows);
  if (row >= b.rows) {
    explanation e;
    e.problems.push_back("row " + std::to_string(row) + " is not in the batch");
    return e;
  }
  row_interpreter interp(*b.prog, b, row);
  return interp.run();
}

explanation rule_set::explain(const std::map<std::string, std::string>& record) const {
  batch b(*this);
  size_t row = b.add_row();
  std::vector<std::string> problems;
  for (const auto& [name, text] : record) {
    size_t f = b.field(name);
    if (f == batch::npos) {
      problems.push_back("unknown field '" + name + "'");
      continue;
    }
    std::string why;
    if (!b.set_text(row, f, text, &why))
      problems.push_back(name + ": " + why + " (read as missing)");
  }
  explanation e = explain(b, row);
  e.problems.insert(e.problems.begin(), problems.begin(), problems.end());
  return e;
}

std::string explanation::to_text() const {
  std::string out;
  for (const auto& p : problems) out += "problem: " + p + "\n";
  for (const auto& d : decisions) {
    out += d.name + " = " + (d.outcome.empty() ? "(no outcome)" : d.outcome);
    out += "  [" + (d.rule_id.empty() ? std::string("no rule") : "rule " + d.rule_id) + "]";
    if (!d.missing_fields.empty()) {
      out += "  missing:";
      for (const auto& f : d.missing_fields) out += " " + f;
    }
    out += "\n";
    if (d.hit == "collect" || d.hit == "collect count")
      out += "  (hit: " + d.hit + ": every rule tried; * marks each that holds)\n";
    else if (!d.hit.empty())
      out += "  (hit: " + d.hit + ": rules tried by the rank of their outcome)\n";
    for (const auto& r : d.rules) {
      out += "  " + std::string(r.fired ? "* " : "  ") + r.id + ": " + r.result + "  (" +
             one_line(r.condition) + ")\n";
      for (const auto& c : r.conditions)
        out += "        " + one_line(c.text) + "  -> " + c.result + "  [" + c.value + "]\n";
    }
    if (d.rule_id == "default") out += "  * default\n";
  }
  return out;
}

std::string explanation::to_json() const {
  std::string out = "{\"problems\":[";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, problems[i]);
  }
  out += "],\"decisions\":[";
  for (size_t i = 0; i < decisions.size(); ++i) {
    const auto& d = decisions[i];
    if (i) out += ',';
    out += "{\"name\":";
    append_json_string(out, d.name);
    out += ",\"outcome\":";
    append_json_string(out, d.outcome);
    out += ",\"rule\":";
    append_json_string(out, d.rule_id);
    if (!d.hit.empty()) {
      out += ",\"hit\":";
      append_json_string(out, d.hit);
    }
    out += ",\"missing\":[";
    for (size_t j = 0; j < d.missing_fields.size(); ++j) {
      if (j) out += ',';
      append_json_string(out, d.missing_fields[j]);
    }
    out += "],\"rules\":[";
    for (size_t j = 0; j < d.rules.size(); ++j) {
      const auto& r = d.rules[j];
      if (j) out += ',';
      out += "{\"id\":";
      append_json_string(out, r.id);
      out += ",\"condition\":";
      append_json_string(out, one_line(r.condition));
      out += ",\"result\":";
      append_json_string(out, r.result);
      out += ",\"fired\":";
      out += r.fired ? "true" : "false";
      out += ",\"conditions\":[";
      for (size_t k = 0; k < r.conditions.size(); ++k) {
        const auto& c = r.conditions[k];
        if (k) out += ',';
        out += "{\"text\":";
        append_json_string(out, c.text);
        out += ",\"value\":";
        append_json_string(out, c.value);
        out += ",\"result\":";
        append_json_string(out, c.result);
        out += '}';
      }
      out += "]}";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::vector<test_outcome> rule_set::run_tests() const {
  std::vector<test_outcome> results;
  const model& m = program_->m;
  for (const test_case& t : m.tests) {
    test_outcome r;
    r.name = t.name;
    if (t.pos.file) r.location = t.pos.file->location_of(t.pos.offset);
    batch b(*this);
    size_t row = b.add_row();
    for (const auto& [name, text] : t.record) {
      std::string why;
      if (!b.set_text(row, b.field(name), text, &why))
        r.failures.push_back("record: " + name + ": " + why);
    }
    classification c = classify(b);
    for (const auto& [d, code] : t.expect) {
      uint16_t got = c.outcome_codes(d)[0];
      if (got != code) {
        // A copy of the binding: clang 14 cannot capture structured bindings in a lambda.
        const auto& labels = m.decisions[d].outcomes.labels;
        auto label = [&](uint16_t x) {
          return x == no_code ? std::string("(no outcome)") : labels[x];
        };
        r.failures.push_back(m.decisions[d].name + ": expected " + label(code) + ", got " +
                             label(got) + " (rule " + std::string(c.rule_id(d, 0)) + ")");
      }
    }
    for (const auto& [d, rule] : t.expect_rule) {
      if (c.rule_indices(d)[0] != rule) {
        std::string want = rule == classification::by_default ? std::string("default")
                           : rule == classification::no_rule  ? std::string("(none)")
                                                              : m.decisions[d].rules[rule].id;
        std::string got(c.rule_id(d, 0));
        r.failures.push_back(m.decisions[d].name + ": expected rule " + want + ", got " +
                             (got.empty() ? "(none)" : got));
      }
    }
    for (const auto& [d, fields] : t.expect_missing) {
      std::vector<std::string> want, got;
      for (uint32_t f : fields) want.push_back(m.fields[f].name);
      for (auto f : c.missing_fields(d, 0)) got.emplace_back(f);
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      if (want != got) {
        auto join = [](const std::vector<std::string>& v) {
          std::string s;
          for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
          return "[" + s + "]";
        };
        r.failures.push_back(m.decisions[d].name + ": expected missing " + join(want) + ", got " +
                             join(got));
      }
    }
    r.passed = r.failures.empty();
    if (!r.passed) r.trace = explain(b, row).to_text();
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace chanrules
