// Analysis stage (see analysis.h): atoms per field, a search over them, and the findings.
#include "analysis/analysis.h"

#include <chanrules/result.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "common/values.h"

namespace chanrules::detail {

namespace {

// Three-valued results of conditions, plus Q: "depends on a field not chosen yet".
enum tv : uint8_t { F = 0, T = 1, U = 2, Q = 3 };

// One class of values of a field that no predicate of the rule set can tell apart.
struct atom {
  bool missing = false;
  uint16_t code = no_code;           // enum, boolean, string literal code ("other" = count)
  decimal_key lo = 0, hi = 0;        // integer, date, decimal: the interval (widened keys)
  std::vector<uint16_t> list_codes;  // by list index: the code the executor sees (keyed here)
  std::vector<uint16_t> set_codes;   // by named-set index: the entry matched (on this field)
  std::string text;                  // a cell text that has exactly these properties
};

struct field_atoms {
  std::vector<atom> atoms;  // the missing atom, when the field is optional, comes last
  bool exact = true;        // false: the atoms are a sample (several named sets on a text)
};

constexpr decimal_key kInt64Min = std::numeric_limits<int64_t>::min();
constexpr decimal_key kInt64Max = std::numeric_limits<int64_t>::max();

bool in_bits(const compiled_pred& c, uint16_t code) {
  size_t bit = static_cast<uint16_t>(code + 1);
  size_t word = bit / 64;
  return word < c.bits.size() && ((c.bits[word] >> (bit % 64)) & 1);
}

// --- atoms -------------------------------------------------------------------------------------

class atom_builder {
 public:
  explicit atom_builder(const program& p) : p_(p) {}

  std::vector<field_atoms> build() {
    std::vector<field_atoms> out(p_.m.fields.size());
    for (uint32_t f = 0; f < p_.m.fields.size(); ++f) {
      const field_info& info = p_.m.fields[f];
      switch (info.type) {
        case value_type::enumeration:
          for (uint16_t c = 0; c < info.values.size(); ++c)
            out[f].atoms.push_back(blank_atom(c, info.values.labels[c]));
          break;
        case value_type::boolean:
          out[f].atoms.push_back(blank_atom(0, "false"));
          out[f].atoms.push_back(blank_atom(1, "true"));
          break;
        case value_type::string:
          string_atoms(f, out[f]);
          break;
        case value_type::integer:
        case value_type::date:
        case value_type::decimal:
          number_atoms(f, out[f]);
          break;
      }
      if (!info.required) {
        atom a = blank_atom(no_code, "");
        a.missing = true;
        out[f].atoms.push_back(std::move(a));
      }
    }
    return out;
  }

 private:
  atom blank_atom(uint16_t code, std::string text) const {
    atom a;
    a.code = code;
    a.text = std::move(text);
    a.list_codes.assign(p_.m.lists.size(), no_code);
    a.set_codes.assign(p_.m.named_sets.size(), no_code);
    return a;
  }

  // What the batch and the executor make of a text in field f (batch.cpp, executor.cpp).
  atom string_signature(uint32_t f, const std::string& text) const {
    const field_info& info = p_.m.fields[f];
    auto literal = info.string_literals.find(text);
    atom a =
        blank_atom(literal ? *literal : static_cast<uint16_t>(info.string_literals.size()), text);
    for (uint32_t l = 0; l < p_.m.lists.size(); ++l) {
      if (p_.m.lists[l].key_field != f) continue;
      const auto [k, pos] = p_.list_slot[l];
      const key_index& index = p_.key_indexes[k];
      uint32_t entry = index.table.find(text);
      uint16_t code = entry == string_table::not_found
                          ? no_code
                          : index.codes[entry * index.lists.size() + pos];
      if (p_.m.lists[l].membership) code = code == no_code ? 0 : 1;
      a.list_codes[l] = code;
    }
    for (uint32_t s = 0; s < p_.m.named_sets.size(); ++s)
      if (p_.m.named_sets[s].field == f) a.set_codes[s] = p_.matchers[s].match(text);
    return a;
  }

  // A text field's atoms are the distinct signatures of candidate texts: every literal the
  // rules compare it with, every key of the lists it keys, every alias of its named sets
  // (alone and with a character around it, so that it is neither a literal nor a key) and
  // a text that is none of these. For at most one named set on the field this is every
  // signature a text can have: a text selects an entry only by containing one of its
  // aliases, and the alias alone selects the same entry or an earlier one.
  void string_atoms(uint32_t f, field_atoms& out) const {
    const field_info& info = p_.m.fields[f];
    std::vector<std::string> candidates(info.string_literals.labels);
    for (uint32_t l = 0; l < p_.m.lists.size(); ++l) {
      if (p_.m.lists[l].key_field != f) continue;
      const key_index& index = p_.key_indexes[p_.list_slot[l].first];
      for (uint32_t e = 0; e < index.table.size(); ++e) candidates.emplace_back(index.table.key(e));
    }
    std::vector<uint32_t> sets;
    for (uint32_t s = 0; s < p_.m.named_sets.size(); ++s)
      if (p_.m.named_sets[s].field == f) sets.push_back(s);
    for (uint32_t s : sets)
      for (const auto& aliases : p_.m.named_sets[s].aliases)
        for (const std::string& alias : aliases) {
          candidates.push_back(alias);
          candidates.push_back("#" + alias + "#");
        }
    if (sets.size() > 1) {
      // Pairs of aliases of different sets: a sample of the combinations, not all of them.
      out.exact = false;
      for (size_t i = 0; i < sets.size(); ++i)
        for (size_t j = 0; j < sets.size(); ++j) {
          if (i == j) continue;
          for (const auto& a : p_.m.named_sets[sets[i]].aliases)
            for (const auto& b : p_.m.named_sets[sets[j]].aliases)
              if (!a.empty() && !b.empty() && candidates.size() < 200'000)
                candidates.push_back(a.front() + b.front());
        }
    }
    // A text that is nothing the rules know of.
    std::string other = "x";
    for (int tries = 0; tries < 64; ++tries) {
      atom a = string_signature(f, other);
      bool plain = a.code == info.string_literals.size();
      for (uint16_t c : a.list_codes) plain &= c == no_code || c == 0;
      for (uint16_t c : a.set_codes) plain &= c == no_code;
      if (plain) break;
      other += "x";
    }
    candidates.push_back(other);

    std::map<std::tuple<uint16_t, std::vector<uint16_t>, std::vector<uint16_t>>, size_t> seen;
    for (const std::string& raw : candidates) {
      std::string text(info.trim ? trim_blanks(raw) : std::string_view(raw));
      if (text.empty()) continue;
      atom a = string_signature(f, text);
      auto key = std::make_tuple(a.code, a.list_codes, a.set_codes);
      if (seen.emplace(key, out.atoms.size()).second) out.atoms.push_back(std::move(a));
    }
  }

  // Numbers: the intervals between the bounds of every range test on the field.
  void number_atoms(uint32_t f, field_atoms& out) const {
    const field_info& info = p_.m.fields[f];
    const bool decimal = info.type == value_type::decimal;
    decimal_key lo, hi;
    if (info.type == value_type::date) {
      lo = *parse_date("0001-01-01");
      hi = *parse_date("9999-12-31");
    } else if (decimal) {
      // Up to 18 digits before the point (values.h): |key| < 10^18 * 2 * 10^18.
      decimal_key limit =
          static_cast<decimal_key>(1'000'000'000'000'000'000) * 2'000'000'000'000'000'000;
      lo = -limit + 1;
      hi = limit - 1;
    } else {
      lo = kInt64Min;
      hi = kInt64Max;
    }
    if (info.min) lo = std::max(lo, *info.min);
    if (info.max) hi = std::min(hi, *info.max);
    std::set<decimal_key> cuts{lo};
    for (const compiled_pred& c : p_.preds) {
      if (c.subject.kind != source_kind::field || c.subject.index != f) continue;
      decimal_key a, b;
      if (c.kind == pred_kind::int_range) {
        a = c.int_lo;
        b = c.int_hi;
      } else if (c.kind == pred_kind::dec_range) {
        a = c.dec_lo;
        b = c.dec_hi;
      } else {
        continue;
      }
      if (a > lo && a <= hi) cuts.insert(a);
      if (b >= lo && b < hi) cuts.insert(b + 1);
    }
    if (lo > hi) return;  // min above max: no value (the checker reports it)
    std::vector<decimal_key> starts(cuts.begin(), cuts.end());
    for (size_t i = 0; i < starts.size(); ++i) {
      decimal_key a = starts[i], b = i + 1 < starts.size() ? starts[i + 1] - 1 : hi;
      atom at = blank_atom(no_code, number_text(info.type, a, b));
      at.lo = a;
      at.hi = b;
      out.atoms.push_back(std::move(at));
    }
  }

  // A readable value inside [a, b]: the one nearest zero, so boundaries show as they are.
  static std::string number_text(value_type type, decimal_key a, decimal_key b) {
    decimal_key v = std::clamp<decimal_key>(0, a, b);
    if (type == value_type::date) {
      v = std::clamp<decimal_key>(*parse_date("2009-01-01"), a, b);
      return date_to_string(static_cast<int64_t>(v));
    }
    if (type == value_type::integer) return std::to_string(static_cast<int64_t>(v));
    // Decimal keys: even keys are written with at most 18 fractional digits; an odd key
    // stands for "just above": its text needs a 19th digit.
    if (v & 1) {
      if (v + 1 <= b) return decimal_to_string(v + 1);
      if (v - 1 >= a) return decimal_to_string(v - 1);
      std::string text = decimal_to_string(v & ~static_cast<decimal_key>(1));
      if (text.find('.') == std::string::npos) text += ".";
      while (text.size() - text.find('.') - 1 < static_cast<size_t>(decimal_fraction_digits))
        text += "0";
      return text + "1";
    }
    return decimal_to_string(v);
  }

  const program& p_;
};

// --- evaluation on partial records -------------------------------------------------------------

class solver {
 public:
  solver(const program& p, const std::vector<field_atoms>& atoms)
      : p_(p), atoms_(atoms), assign_(p.m.fields.size(), -1) {
    node_epoch_.assign(p.nodes.size(), 0);
    node_value_.assign(p.nodes.size(), Q);
    decision_epoch_.assign(p.m.decisions.size(), 0);
    decision_value_.resize(p.m.decisions.size());
    plan_of_.resize(p.m.decisions.size());
    for (const compiled_decision& d : p.plan) plan_of_[d.decision] = &d;
  }

  // The value of a decision, or of a rule's copied source: known = false while it depends
  // on fields not chosen yet.
  struct value {
    bool known = false;
    uint16_t code = no_code;
    uint16_t rule = classification::no_rule;
  };

  enum class answer { yes, no, undecided };

  // Searches for a record for which goal() is T. goal() evaluates on the current partial
  // record (use the accessors below) and returns F to prune, T when found, Q to go on.
  template <typename Goal>
  answer search(Goal&& goal, uint64_t max_steps) {
    std::fill(assign_.begin(), assign_.end(), -1);
    steps_ = 0;
    return descend(goal, max_steps);
  }

  void begin() {
    ++epoch_;
    want_ = -1;
  }
  tv node(uint32_t index) {
    if (node_epoch_[index] == epoch_) return static_cast<tv>(node_value_[index]);
    tv v = eval_node(index);
    node_epoch_[index] = epoch_;
    node_value_[index] = v;
    return v;
  }
  // Whether rule r of decision d fires given its condition is T: a copied value must exist.
  value copied(const outcome& o) { return source(o.source); }
  value decide(uint32_t decision) {
    if (decision_epoch_[decision] == epoch_) return decision_value_[decision];
    value v = eval_decision(decision);
    decision_epoch_[decision] = epoch_;
    decision_value_[decision] = v;
    return v;
  }
  const std::vector<int>& assignment() const { return assign_; }
  uint64_t steps() const { return steps_; }

 private:
  template <typename Goal>
  answer descend(Goal& goal, uint64_t max_steps) {
    if (++steps_ > max_steps) return answer::undecided;
    begin();
    tv g = goal();
    if (g == T) return answer::yes;
    if (g != Q) return answer::no;
    // Q arises only from a predicate on a field not chosen yet, which set want_.
    const int f = want_;
    if (f < 0) return answer::undecided;  // cannot happen; never loop
    bool undecided = false;
    const size_t count = atoms_[static_cast<size_t>(f)].atoms.size();
    for (size_t a = 0; a < count; ++a) {
      assign_[static_cast<size_t>(f)] = static_cast<int>(a);
      answer r = descend(goal, max_steps);
      if (r == answer::yes) return r;
      if (r == answer::undecided) {
        undecided = true;
        if (steps_ > max_steps) break;
      }
    }
    assign_[static_cast<size_t>(f)] = -1;
    return undecided ? answer::undecided : answer::no;
  }

  uint32_t key_field(value_ref r) const {
    switch (r.kind) {
      case source_kind::list:
        return p_.m.lists[r.index].key_field;
      case source_kind::named_set:
        return p_.m.named_sets[r.index].field;
      default:
        return r.index;
    }
  }

  // The atom chosen for the field behind r, or null (and want_ set) when none is yet.
  const atom* atom_of(value_ref r) {
    uint32_t f = key_field(r);
    int a = assign_[f];
    if (a < 0) {
      if (want_ < 0) want_ = static_cast<int>(f);
      return nullptr;
    }
    return &atoms_[f].atoms[static_cast<size_t>(a)];
  }

  static uint16_t code_of(const atom& a, value_ref r) {
    switch (r.kind) {
      case source_kind::list:
        return a.list_codes[r.index];
      case source_kind::named_set:
        return a.set_codes[r.index];
      default:
        return a.code;
    }
  }

  value source(value_ref r) {
    if (r.kind == source_kind::decision) return decide(r.index);
    const atom* a = atom_of(r);
    if (!a) return {};
    return {true, a->missing ? no_code : code_of(*a, r), 0};
  }

  tv eval_pred(uint32_t index) {
    const compiled_pred& c = p_.preds[index];
    const value_ref r = c.subject;
    if (r.kind == source_kind::decision) {
      value v = decide(r.index);
      if (!v.known) return Q;
      if (c.kind == pred_kind::is_missing) return (v.code == no_code) != c.negated ? T : F;
      return in_bits(c, v.code) ? T : F;
    }
    const atom* a = atom_of(r);
    if (!a) return Q;
    if (c.kind == pred_kind::is_missing) {
      bool absent = a->missing || code_of(*a, r) == no_code;
      if (r.kind == source_kind::field) absent = a->missing;
      return absent != c.negated ? T : F;
    }
    if (a->missing) return U;
    switch (c.kind) {
      case pred_kind::code_in_set:
        return in_bits(c, code_of(*a, r)) ? T : F;
      case pred_kind::int_range: {
        // Atoms never straddle a bound, so the interval's start decides.
        bool in = a->lo >= c.int_lo && a->lo <= c.int_hi;
        return in != c.negated ? T : F;
      }
      case pred_kind::dec_range: {
        bool in = a->lo >= c.dec_lo && a->lo <= c.dec_hi;
        return in != c.negated ? T : F;
      }
      case pred_kind::is_missing:
        break;
    }
    return Q;
  }

  // Kleene's logic, with Q ("not chosen yet") kept apart so that only a certain value prunes.
  tv eval_node(uint32_t index) {
    const compiled_node& n = p_.nodes[index];
    switch (n.op) {
      case node_op::pred:
        return eval_pred(n.pred);
      case node_op::constant:
        return n.value ? T : F;
      case node_op::not_: {
        tv c = node(n.children[0]);
        return c == T ? F : c == F ? T : c;
      }
      case node_op::and_: {
        bool q = false, u = false;
        for (uint32_t child : n.children) {
          tv c = node(child);
          if (c == F) return F;
          q |= c == Q;
          u |= c == U;
        }
        return q ? Q : u ? U : T;
      }
      case node_op::or_: {
        bool q = false, u = false;
        for (uint32_t child : n.children) {
          tv c = node(child);
          if (c == T) return T;
          q |= c == Q;
          u |= c == U;
        }
        return q ? Q : u ? U : F;
      }
    }
    return Q;
  }

  // First hit, as the executor decides: a rule whose condition is T fires unless the value
  // it copies is absent; otherwise the default (or nothing).
  value eval_decision(uint32_t decision) {
    const compiled_decision& d = *plan_of_[decision];
    for (size_t r = 0; r < d.rules.size(); ++r) {
      const compiled_rule& cr = d.rules[r];
      tv c = node(cr.node);
      if (c == Q) return {};
      if (c != T) continue;
      if (!cr.then.from) return {true, cr.then.code, static_cast<uint16_t>(r)};
      value s = source(cr.then.source);
      if (!s.known) return {};
      if (s.code == no_code) continue;
      return {true, cr.then.remap[s.code], static_cast<uint16_t>(r)};
    }
    if (!d.fallback) return {true, no_code, classification::no_rule};
    if (!d.fallback->from) return {true, d.fallback->code, classification::by_default};
    value s = source(d.fallback->source);
    if (!s.known) return {};
    if (s.code == no_code) return {true, no_code, classification::no_rule};
    return {true, d.fallback->remap[s.code], classification::by_default};
  }

  const program& p_;
  const std::vector<field_atoms>& atoms_;
  std::vector<int> assign_;
  uint32_t epoch_ = 0;
  int want_ = -1;
  uint64_t steps_ = 0;
  std::vector<uint32_t> node_epoch_;
  std::vector<uint8_t> node_value_;
  std::vector<uint32_t> decision_epoch_;
  std::vector<value> decision_value_;
  std::vector<const compiled_decision*> plan_of_;
};

// --- questions and findings -----------------------------------------------------------------

class analyzer {
 public:
  analyzer(const program& p, const analysis_settings& s)
      : p_(p), settings_(s), atoms_(atom_builder(p).build()), solver_(p, atoms_) {}

  // For each rule of each decision (declaration order), a record it wins, or nothing.
  std::vector<std::vector<std::optional<record>>> witnesses() {
    std::vector<std::vector<std::optional<record>>> out(p_.m.decisions.size());
    for (const compiled_decision& d : p_.plan) {
      auto& rules = out[d.decision];
      rules.resize(d.rules.size());
      for (size_t k = 0; k < d.rules.size(); ++k)
        if (solver_.search([&] { return wins(d, k); }, settings_.max_steps) == answer::yes)
          rules[k] = example();
    }
    return out;
  }

  std::vector<finding> run() {
    for (const compiled_decision& d : p_.plan) {
      const decision_info& info = p_.m.decisions[d.decision];
      if (!settings_.contracts_only) unreachable_rules(d);
      if (info.hit == hit_policy::unique) overlaps(d);
      if (info.complete || (!settings_.contracts_only && d.fallback)) defaults(d);
    }
    return std::move(findings_);
  }

 private:
  using answer = solver::answer;

  // The rule's condition is T (and a copied value exists).
  tv fires(const compiled_rule& r) {
    tv c = solver_.node(r.node);
    if (c != T || !r.then.from) return c == U ? F : c;
    solver::value v = solver_.copied(r.then);
    if (!v.known) return Q;
    return v.code == no_code ? F : T;
  }

  // Rule k fires and no earlier rule does (the rule wins for this record).
  tv wins(const compiled_decision& d, size_t k) {
    tv own = fires(d.rules[k]);
    if (own == F) return F;
    bool pending = own == Q;
    for (size_t j = 0; j < k; ++j) {
      tv other = fires(d.rules[j]);
      if (other == T) return F;
      pending |= other == Q;
    }
    return pending ? Q : T;
  }

  void unreachable_rules(const compiled_decision& d) {
    for (size_t k = 0; k < d.rules.size(); ++k) {
      answer a = solver_.search([&] { return wins(d, k); }, settings_.max_steps);
      if (a == answer::yes) continue;
      if (a == answer::undecided) {
        undecided(d, static_cast<int32_t>(k), "whether it can fire");
        continue;
      }
      // Why: never true by itself, nothing to copy, or earlier rules take its records.
      const compiled_rule& rule = d.rules[k];
      const rule_info& info = p_.m.decisions[d.decision].rules[k];
      const std::string where =
          "rule '" + info.id + "' of '" + p_.m.decisions[d.decision].name + "'";
      finding f;
      f.kind = finding_kind::unreachable_rule;
      f.decision = d.decision;
      f.rule = static_cast<int32_t>(k);
      answer alone = solver_.search([&] { return fires(rule); }, settings_.max_steps);
      std::string message, hint;
      if (alone == answer::no) {
        answer cond = solver_.search([&] { return solver_.node(rule.node); }, settings_.max_steps);
        if (cond == answer::no) {
          message = where + " can never fire: its condition is never true";
          hint = "the condition contradicts itself or the fields' declared ranges";
        } else {
          message = where + " can never fire: whenever its condition holds, '" +
                    p_.m.name_of(rule.then.source) + "' has no value to copy";
          hint = "copy from a value the condition guarantees, or change the condition";
        }
      } else {
        for (size_t j = 0; j < k; ++j) {
          const compiled_rule& earlier = d.rules[j];
          answer both = solver_.search(
              [&] {
                tv first = fires(earlier);
                if (first == F) return F;
                tv second = fires(rule);
                if (second == F) return F;
                return first == T && second == T ? T : Q;
              },
              settings_.max_steps);
          if (both != answer::no) f.others.push_back(static_cast<uint32_t>(j));
        }
        message = where + " can never fire: every record it matches is decided earlier by " +
                  rule_list(d.decision, f.others);
        hint = "reorder the rules, narrow the earlier ones, or remove this rule";
      }
      f.diag = make_diagnostic(severity::warning, "W-unreachable", info.pos, message, hint,
                               info.id.size());
      findings_.push_back(std::move(f));
    }
  }

  void overlaps(const compiled_decision& d) {
    const decision_info& info = p_.m.decisions[d.decision];
    for (size_t i = 0; i < d.rules.size(); ++i) {
      for (size_t j = i + 1; j < d.rules.size(); ++j) {
        // "Match" is the condition being true: for `unique`, at most one may be.
        auto both = [&] {
          tv a = solver_.node(d.rules[i].node);
          if (a == F || a == U) return F;
          tv b = solver_.node(d.rules[j].node);
          if (b == F || b == U) return F;
          return a == T && b == T ? T : Q;
        };
        answer a = solver_.search(both, settings_.max_steps);
        if (a == answer::no) continue;
        const rule_info& later = info.rules[j];
        if (a == answer::undecided) {
          undecided(d, static_cast<int32_t>(j),
                    "whether it overlaps rule '" + info.rules[i].id + "'", severity::error);
          continue;
        }
        finding f;
        f.kind = finding_kind::overlap;
        f.decision = d.decision;
        f.rule = static_cast<int32_t>(j);
        f.others = {static_cast<uint32_t>(i)};
        f.example = example();
        f.diag = make_diagnostic(
            severity::error, "E-overlap", later.pos,
            "rules '" + info.rules[i].id + "' and '" + later.id + "' of '" + info.name +
                "' can both match one record, but the decision is declared 'hit: unique'",
            "for example " + example_text(f.example) +
                "; make the conditions exclusive, or use 'hit: first'",
            later.id.size());
        findings_.push_back(std::move(f));
      }
    }
  }

  // Can a record reach the default (or no rule)? A gap for `complete` decisions; for the
  // others, "no" means the default is never used.
  void defaults(const compiled_decision& d) {
    const decision_info& info = p_.m.decisions[d.decision];
    auto reaches_default = [&] {
      solver::value v = solver_.decide(d.decision);
      if (!v.known) return Q;
      return v.rule >= classification::by_default ? T : F;
    };
    answer a = solver_.search(reaches_default, settings_.max_steps);
    if (a == answer::undecided) {
      undecided(d, -1,
                info.complete ? "whether every record meets a rule" : "whether the default is used",
                info.complete ? severity::error : severity::warning);
      return;
    }
    if (info.complete && a == answer::yes) {
      finding f;
      f.kind = finding_kind::gap;
      f.decision = d.decision;
      f.example = example();
      bool has_default = d.fallback.has_value();
      f.diag = make_diagnostic(
          severity::error, "E-gap", info.pos,
          "decision '" + info.name +
              "' is declared complete, but a record meets none of its rules" +
              (has_default ? " and gets the default" : ""),
          "for example " + example_text(f.example) + "; add a rule for such records",
          info.name.size());
      findings_.push_back(std::move(f));
    }
    if (!settings_.contracts_only && !info.complete && d.fallback && a == answer::no) {
      finding f;
      f.kind = finding_kind::unused_default;
      f.decision = d.decision;
      f.diag = make_diagnostic(
          severity::warning, "W-unused-default", info.pos,
          "the default of '" + info.name + "' is never used: its rules decide every record",
          "remove the default, or declare 'complete: true' to have that "
          "checked on every load",
          info.name.size());
      findings_.push_back(std::move(f));
    }
  }

  void undecided(const compiled_decision& d, int32_t rule, const std::string& what,
                 severity level = severity::warning) {
    const decision_info& info = p_.m.decisions[d.decision];
    finding f;
    f.kind = finding_kind::undecided;
    f.decision = d.decision;
    f.rule = rule;
    std::string subject =
        rule >= 0 ? "rule '" + info.rules[static_cast<size_t>(rule)].id + "' of '" + info.name + "'"
                  : "decision '" + info.name + "'";
    const source_pos& pos = rule >= 0 ? info.rules[static_cast<size_t>(rule)].pos : info.pos;
    f.diag = make_diagnostic(level, "W-undecided", pos,
                             "cannot decide " + what + " for " + subject + " within " +
                                 std::to_string(settings_.max_steps) + " search steps",
                             "raise the analysis step limit, or split the decision's conditions");
    findings_.push_back(std::move(f));
  }

  std::string rule_list(uint32_t decision, const std::vector<uint32_t>& rules) const {
    std::string out;
    for (size_t i = 0; i < rules.size(); ++i) {
      if (i == 5) {
        out += " and " + std::to_string(rules.size() - 5) + " more";
        break;
      }
      out += (i ? ", '" : "'") + p_.m.decisions[decision].rules[rules[i]].id + "'";
    }
    return out.empty() ? "earlier rules" : out;
  }

  // The record the last successful search found: chosen atoms, and for the fields it left
  // open the first value of required fields (optional ones stay empty: missing).
  record example() const {
    std::vector<std::pair<std::string, std::string>> out;
    const auto& assign = solver_.assignment();
    for (size_t f = 0; f < p_.m.fields.size(); ++f) {
      const auto& atoms = atoms_[f].atoms;
      const atom* chosen = nullptr;
      if (assign[f] >= 0) {
        chosen = &atoms[static_cast<size_t>(assign[f])];
      } else if (p_.m.fields[f].required && !atoms.empty()) {
        chosen = &atoms.front();
      }
      // A field the search chose to be missing is shown as such (an empty cell).
      if (chosen) out.emplace_back(p_.m.fields[f].name, chosen->text);
    }
    return out;
  }

  static std::string example_text(const record& rec) {
    std::string out;
    for (const auto& [name, text] : rec)
      out += (out.empty() ? "" : ", ") + name + (text.empty() ? " missing" : "=" + text);
    return out.empty() ? "(every field missing)" : out;
  }

  const program& p_;
  analysis_settings settings_;
  std::vector<field_atoms> atoms_;
  solver solver_;
  std::vector<finding> findings_;
};

}  // namespace

std::vector<finding> analyze(const program& p, const analysis_settings& settings) {
  return analyzer(p, settings).run();
}

std::vector<std::vector<std::optional<record>>> rule_witnesses(const program& p,
                                                               const analysis_settings& settings) {
  return analyzer(p, settings).witnesses();
}

}  // namespace chanrules::detail
