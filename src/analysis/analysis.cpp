// Analysis stage (see analysis.h): atoms per field, a search over them, and the findings.
#include "analysis/analysis.h"

#include <chanrules/result.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <map>
#include <random>
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
  size_t combinations = 0;  // when not exact: how many alias combinations there were
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

  // Alias combinations enumerated for a text field with several named sets (string_atoms).
  static constexpr size_t kMaxCombinations = 200'000;

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
  // a text that is none of these. For one named set on the field this is every signature a
  // text can have: a text selects an entry only by containing one of its aliases, and the
  // alias alone selects the same entry or an earlier one.
  //
  // With several named sets on the field, a text's signature is also that of the text made
  // of one alias per set it matches (the alias it contains of the entry it selects) joined
  // by a character no alias holds: that text contains no alias the original does not (an
  // alias inside it lies inside one of the joined aliases, hence inside the original), so
  // it selects the same entries. Every choice of "no alias, or one alias" per set is
  // therefore a candidate: exact, as long as their number stays within kMaxCombinations.
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
    if (sets.size() > 1) combine_aliases(f, sets, candidates, out);
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

  void combine_aliases(uint32_t f, const std::vector<uint32_t>& sets,
                       std::vector<std::string>& candidates, field_atoms& out) const {
    std::vector<std::vector<std::string>> choices;  // per set: "" (none), then every alias
    size_t product = 1;
    for (uint32_t s : sets) {
      std::vector<std::string> c = {""};
      for (const auto& aliases : p_.m.named_sets[s].aliases)
        c.insert(c.end(), aliases.begin(), aliases.end());
      product = c.size() > kMaxCombinations / product ? kMaxCombinations + 1 : product * c.size();
      choices.push_back(std::move(c));
    }
    // The joint: a character no alias holds, as the matchers see texts (folded), so that no
    // alias can straddle two joined ones.
    std::string joint;
    for (const char* c : {"#", "|", "/", "~", "\x1f"}) {
      bool used = false;
      for (const auto& set : choices)
        for (const std::string& alias : set)
          used = used || name_matcher::normalize(alias).find(name_matcher::normalize(c)) !=
                             std::string::npos;
      if (!used) {
        joint = c;
        break;
      }
    }
    if (product > kMaxCombinations || joint.empty()) {
      // Too many to enumerate: pairs of aliases only, a sample. Answers that rest on this
      // field are then reported as undecided, never as proven (analyzer::settle).
      out.exact = false;
      out.combinations = product;
      for (size_t i = 0; i < choices.size(); ++i)
        for (size_t j = i + 1; j < choices.size(); ++j)
          for (const std::string& a : choices[i])
            for (const std::string& b : choices[j])
              if (candidates.size() < kMaxCombinations / 10) candidates.push_back(a + "#" + b);
      return;
    }
    std::vector<size_t> pick(choices.size(), 0);
    while (true) {
      std::string text = joint;
      for (size_t i = 0; i < choices.size(); ++i)
        if (!choices[i][pick[i]].empty()) text += choices[i][pick[i]] + joint;
      candidates.push_back(std::move(text));
      size_t i = 0;
      while (i < pick.size() && ++pick[i] == choices[i].size()) pick[i++] = 0;
      if (i == pick.size()) break;
    }
    (void)f;
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

// A search state is a *domain* per field: the set of its atoms still allowed. A condition
// is T (or F, or U) on a state when it is so for every record the domains allow, and Q when
// that depends on a choice not made yet. The search splits one field's domain at a time by
// the predicate that was Q (the atoms where it is true, false, unknown), so one branch
// covers many atoms at once: the tree grows with the predicates that matter, not with the
// values fields can have (DPLL over predicates, with the field domains as the state).
class solver {
 public:
  solver(const program& p, const std::vector<field_atoms>& atoms) : p_(p), atoms_(atoms) {
    const size_t fields = p.m.fields.size();
    offset_.resize(fields + 1);
    for (size_t f = 0; f < fields; ++f)
      offset_[f + 1] = offset_[f] + (atoms[f].atoms.size() + 63) / 64;
    full_.assign(offset_[fields], 0);
    for (size_t f = 0; f < fields; ++f)
      for (size_t a = 0; a < atoms[f].atoms.size(); ++a) full_[offset_[f] + a / 64] |= bit(a);
    dom_ = full_;
    truth_.resize(p.preds.size());
    for (uint32_t i = 0; i < p.preds.size(); ++i) tabulate(i);
    node_epoch_.assign(p.nodes.size(), 0);
    node_value_.assign(p.nodes.size(), Q);
    decision_epoch_.assign(p.m.decisions.size(), 0);
    decision_value_.resize(p.m.decisions.size());
    possible_.resize(p.m.decisions.size());
    for (size_t d = 0; d < p.m.decisions.size(); ++d)
      possible_[d].assign((p.m.decisions[d].outcomes.size() + 1 + 63) / 64, 0);
    plan_of_.resize(p.m.decisions.size());
    for (const compiled_decision& d : p.plan) plan_of_[d.decision] = &d;
  }

  // The value of a decision, or of a rule's copied source: known = false while it depends
  // on choices not made yet.
  struct value {
    bool known = false;
    uint16_t code = no_code;
    uint16_t rule = classification::no_rule;
    // Not known yet: the codes it can still take, bit (code + 1) as in compiled_pred::bits
    // (bit 0: no outcome), when that can be told (decisions); null when it cannot.
    const std::vector<uint64_t>* possible = nullptr;
  };

  enum class answer { yes, no, undecided };

  // Searches for records for which goal() is T. goal() evaluates on the current state (use
  // node(), decide(), copied()) and returns F to prune, T when found, Q to go on. After
  // `yes`, domain() describes the records found.
  template <typename Goal>
  answer search(Goal&& goal, uint64_t max_steps) {
    dom_ = full_;
    steps_ = 0;
    return descend(goal, max_steps);
  }

  tv node(uint32_t index) {
    if (node_epoch_[index] == epoch_) return static_cast<tv>(node_value_[index]);
    tv v = eval_node(index);
    node_epoch_[index] = epoch_;
    node_value_[index] = v;
    return v;
  }
  value copied(const outcome& o) { return source(o.source); }
  value decide(uint32_t decision) {
    if (decision_epoch_[decision] == epoch_) return decision_value_[decision];
    value v = eval_decision(decision);
    decision_epoch_[decision] = epoch_;
    decision_value_[decision] = v;
    return v;
  }

  // Fixes every field to one atom (atom_of[f]): a complete record, on which every node and
  // decision is known. The next search starts afresh.
  void fix(const std::vector<size_t>& atom_of) {
    std::fill(dom_.begin(), dom_.end(), 0);
    for (size_t f = 0; f < atom_of.size(); ++f)
      dom_[offset_[f] + atom_of[f] / 64] |= bit(atom_of[f]);
    ++epoch_;
  }
  size_t atom_count(size_t f) const { return atoms_[f].atoms.size(); }

  // Draws a random complete record (atom_of) aimed at making condition node `root` true:
  // `and` wants every child, `or` one child drawn at random, `not` the opposite; a test of a
  // field narrows the atoms that field may be drawn from to those giving the wanted value; a
  // test of a decision's value draws a wanted outcome and aims at a rule that gives it. False
  // when the choices leave a field no atom. Nothing here is a proof: the caller evaluates
  // the record it draws.
  bool draw_toward(uint32_t root, std::mt19937_64& rng, std::vector<size_t>& atom_of) {
    allowed_ = full_;
    std::vector<std::pair<uint32_t, bool>> todo = {{root, true}};
    // Aiming through decisions follows the (acyclic) decision graph; the guard only bounds
    // the work on conditions that are huge.
    for (size_t guard = 0; !todo.empty(); ++guard) {
      if (guard > 100'000) return false;
      auto [index, want] = todo.back();
      todo.pop_back();
      const compiled_node& n = p_.nodes[index];
      const bool every = (n.op == node_op::and_) == want;  // and wanted, or or unwanted
      switch (n.op) {
        case node_op::constant:
          if (n.value != want) return false;
          break;
        case node_op::not_:
          todo.push_back({n.children[0], !want});
          break;
        case node_op::and_:
        case node_op::or_:
          if (every) {
            for (uint32_t child : n.children) todo.push_back({child, want});
          } else {
            todo.push_back({n.children[rng() % n.children.size()], want});
          }
          break;
        case node_op::pred:
          aim_pred(n.pred, want, rng, todo);
          break;
      }
    }
    for (size_t f = 0; f < atom_of.size(); ++f) {
      std::vector<size_t> left;
      for (size_t a = 0; a < atoms_[f].atoms.size(); ++a)
        if ((allowed_[offset_[f] + a / 64] >> (a % 64)) & 1) left.push_back(a);
      if (left.empty()) return false;
      atom_of[f] = left[rng() % left.size()];
    }
    return true;
  }

  // The atoms field f may still take, and whether that is every atom.
  std::vector<size_t> domain(size_t f) const {
    std::vector<size_t> out;
    for (size_t a = 0; a < atoms_[f].atoms.size(); ++a)
      if ((dom_[offset_[f] + a / 64] >> (a % 64)) & 1) out.push_back(a);
    return out;
  }
  uint64_t steps() const { return steps_; }
  bool unconstrained(size_t f) const {
    return std::equal(dom_.begin() + static_cast<ptrdiff_t>(offset_[f]),
                      dom_.begin() + static_cast<ptrdiff_t>(offset_[f + 1]),
                      full_.begin() + static_cast<ptrdiff_t>(offset_[f]));
  }

 private:
  static uint64_t bit(size_t a) { return uint64_t{1} << (a % 64); }

  // Per predicate on a field (directly, or through a list or named set keyed by it): the
  // atoms of that field where it is true, false and unknown.
  struct truth_table {
    int field = -1;  // -1: the predicate reads a decision
    std::vector<uint64_t> t, f, u;
  };

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

  static uint16_t code_of(const atom& a, value_ref r) {
    if (a.missing) return no_code;
    switch (r.kind) {
      case source_kind::list:
        return a.list_codes[r.index];
      case source_kind::named_set:
        return a.set_codes[r.index];
      default:
        return a.code;
    }
  }

  // The predicate on one atom, as the executor computes it for such a value.
  static tv on_atom(const compiled_pred& c, const atom& a) {
    const value_ref r = c.subject;
    if (c.kind == pred_kind::is_missing) {
      bool absent = r.kind == source_kind::field ? a.missing : code_of(a, r) == no_code;
      return absent != c.negated ? T : F;
    }
    if (a.missing) return U;
    switch (c.kind) {
      case pred_kind::code_in_set:
        return in_bits(c, code_of(a, r)) ? T : F;
      case pred_kind::int_range:
        // Atoms never straddle a bound, so the interval's start decides.
        return (a.lo >= c.int_lo && a.lo <= c.int_hi) != c.negated ? T : F;
      case pred_kind::dec_range:
        return (a.lo >= c.dec_lo && a.lo <= c.dec_hi) != c.negated ? T : F;
      case pred_kind::is_missing:
        break;
    }
    return F;
  }

  void tabulate(uint32_t index) {
    const compiled_pred& c = p_.preds[index];
    truth_table& t = truth_[index];
    if (c.subject.kind == source_kind::decision) return;
    const uint32_t f = key_field(c.subject);
    const size_t words = offset_[f + 1] - offset_[f];
    t.field = static_cast<int>(f);
    t.t.assign(words, 0);
    t.f.assign(words, 0);
    t.u.assign(words, 0);
    const auto& atoms = atoms_[f].atoms;
    for (size_t a = 0; a < atoms.size(); ++a) {
      tv v = on_atom(c, atoms[a]);
      (v == T ? t.t : v == F ? t.f : t.u)[a / 64] |= bit(a);
    }
  }

  template <typename Goal>
  answer descend(Goal& goal, uint64_t max_steps) {
    if (++steps_ > max_steps) return answer::undecided;
    ++epoch_;
    want_pred_ = -1;
    want_field_ = -1;
    tv g = goal();
    if (g == T) return answer::yes;
    if (g != Q) return answer::no;
    // Q arises only from a predicate or a copied value that the domains leave open.
    std::vector<std::vector<uint64_t>> parts;
    size_t f;
    if (want_pred_ >= 0) {
      const truth_table& t = truth_[static_cast<size_t>(want_pred_)];
      f = static_cast<size_t>(t.field);
      for (const auto* bits : {&t.t, &t.f, &t.u}) parts.push_back(*bits);
    } else if (want_field_ >= 0) {
      f = static_cast<size_t>(want_field_);
      for (size_t a : domain(f)) {
        std::vector<uint64_t> one(offset_[f + 1] - offset_[f], 0);
        one[a / 64] |= bit(a);
        parts.push_back(std::move(one));
      }
    } else {
      return answer::undecided;  // cannot happen; never loop
    }
    const size_t base = offset_[f], words = offset_[f + 1] - base;
    std::vector<uint64_t> saved(dom_.begin() + static_cast<ptrdiff_t>(base),
                                dom_.begin() + static_cast<ptrdiff_t>(base + words));
    bool undecided = false;
    for (const auto& part : parts) {
      bool empty = true;
      for (size_t w = 0; w < words; ++w) {
        dom_[base + w] = saved[w] & part[w];
        empty &= dom_[base + w] == 0;
      }
      if (empty) continue;
      answer r = descend(goal, max_steps);
      if (r == answer::yes) return r;
      if (r == answer::undecided) {
        undecided = true;
        if (steps_ > max_steps) break;
      }
    }
    std::copy(saved.begin(), saved.end(), dom_.begin() + static_cast<ptrdiff_t>(base));
    return undecided ? answer::undecided : answer::no;
  }

  // A copied field, list or named-set value: known when every atom left gives one code.
  value source(value_ref r) {
    if (r.kind == source_kind::decision) return decide(r.index);
    const uint32_t f = key_field(r);
    bool first = true;
    uint16_t code = no_code;
    for (size_t a : domain(f)) {
      uint16_t c = code_of(atoms_[f].atoms[a], r);
      if (!first && c != code) {
        if (want_pred_ < 0 && want_field_ < 0) want_field_ = static_cast<int>(f);
        return {};
      }
      code = c;
      first = false;
    }
    return {true, code, 0};
  }

  void aim_pred(uint32_t index, bool want, std::mt19937_64& rng,
                std::vector<std::pair<uint32_t, bool>>& todo) {
    const compiled_pred& c = p_.preds[index];
    if (c.subject.kind != source_kind::decision) {
      const truth_table& t = truth_[index];
      const std::vector<uint64_t>& agree = want ? t.t : t.f;
      const size_t base = offset_[static_cast<size_t>(t.field)];
      for (size_t w = 0; w < agree.size(); ++w) allowed_[base + w] &= agree[w];
      return;
    }
    // A decision's value: an outcome the test wants, then a rule that gives it (constants
    // only; a copied or default outcome is left to chance).
    if (c.kind != pred_kind::code_in_set) return;
    const decision_info& info = p_.m.decisions[c.subject.index];
    std::vector<uint16_t> codes;
    for (uint16_t code = 0; code < info.outcomes.size(); ++code)
      if (in_bits(c, code) == want) codes.push_back(code);
    if (codes.empty()) return;
    const uint16_t code = codes[rng() % codes.size()];
    const compiled_decision& d = *plan_of_[c.subject.index];
    if (d.gathers) return;
    std::vector<uint32_t> givers;
    for (const compiled_rule& cr : d.rules)
      if (!cr.then.from && cr.then.code == code) givers.push_back(cr.node);
    if (!givers.empty()) todo.push_back({givers[rng() % givers.size()], true});
  }

  tv eval_pred(uint32_t index) {
    const compiled_pred& c = p_.preds[index];
    if (c.subject.kind == source_kind::decision) return decision_pred(c);
    const truth_table& t = truth_[index];
    const size_t base = offset_[static_cast<size_t>(t.field)];
    bool all_t = true, all_f = true, all_u = true;
    for (size_t w = 0; w < t.t.size(); ++w) {
      uint64_t d = dom_[base + w];
      all_t &= (d & ~t.t[w]) == 0;
      all_f &= (d & ~t.f[w]) == 0;
      all_u &= (d & ~t.u[w]) == 0;
    }
    if (all_t) return T;
    if (all_f) return F;
    if (all_u) return U;
    if (want_pred_ < 0 && want_field_ < 0) want_pred_ = static_cast<int>(index);
    return Q;
  }

  tv decision_pred(const compiled_pred& c) {
    value v = decide(c.subject.index);
    if (v.known) {
      if (c.kind == pred_kind::is_missing) return (v.code == no_code) != c.negated ? T : F;
      return in_bits(c, v.code) ? T : F;
    }
    // Not decided yet, but perhaps every outcome it can still have agrees.
    if (!v.possible) return Q;
    const std::vector<uint64_t>& can = *v.possible;
    if (c.kind == pred_kind::is_missing) {
      bool absent = can[0] & 1, present = (can[0] & ~uint64_t{1}) != 0;
      for (size_t w = 1; w < can.size(); ++w) present |= can[w] != 0;
      if (!present) return c.negated ? F : T;
      if (!absent) return c.negated ? T : F;
      return Q;
    }
    bool any = false, all = true;
    for (size_t w = 0; w < can.size(); ++w) {
      uint64_t bits = w < c.bits.size() ? c.bits[w] : 0;
      any |= (can[w] & bits) != 0;
      all &= (can[w] & ~bits) == 0;
    }
    return all ? T : any ? Q : F;
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
  //
  // While the winner is not certain, the outcomes it can still give are collected instead
  // (every rule that may fire up to the first that surely does, then the default), so that
  // a condition on the decision's value is decided as soon as they all agree: that prunes
  // the search long before every field the decision reads is narrowed down.
  value eval_decision(uint32_t decision) {
    const compiled_decision& d = *plan_of_[decision];
    std::vector<uint64_t>& can = possible_[decision];
    std::fill(can.begin(), can.end(), 0);
    if (d.gathers) return eval_gathered(d);
    bool certain = true;  // every earlier rule is known not to fire
    for (size_t r = 0; r < d.rules.size(); ++r) {
      const compiled_rule& cr = d.rules[r];
      tv c = node(cr.node);
      if (c == F || c == U) continue;
      if (c == T && certain) {
        if (!cr.then.from) return {true, cr.then.code, cr.index};
        value s = source(cr.then.source);
        if (s.known) {
          if (s.code == no_code) continue;
          return {true, cr.then.remap[s.code], cr.index};
        }
      }
      certain = false;
      bool may_not_fire = add_outcomes(cr.then, can);
      if (c == T && !may_not_fire) return unknown(decision);  // later rules are never reached
    }
    if (certain) {
      if (!d.fallback) return {true, no_code, classification::no_rule};
      if (!d.fallback->from) return {true, d.fallback->code, classification::by_default};
      value s = source(d.fallback->source);
      if (s.known) {
        if (s.code == no_code) return {true, no_code, classification::no_rule};
        return {true, d.fallback->remap[s.code], classification::by_default};
      }
    }
    if (!d.fallback || add_outcomes(*d.fallback, can)) can[0] |= 1;  // no outcome
    return unknown(decision);
  }

  // hit: collect with a list or a count: known once every rule's condition is; until then
  // any value is possible (a set is opaque to the search, which still splits the fields its
  // rules read).
  value eval_gathered(const compiled_decision& d) {
    uint32_t set = 0;
    uint16_t first = classification::no_rule;
    bool known = true;
    for (const compiled_rule& cr : d.rules) {
      tv c = node(cr.node);
      if (c == Q) known = false;
      if (c != T) continue;
      set |= 1u << cr.then.code;
      if (first == classification::no_rule) first = cr.index;
    }
    if (known) {
      if (d.counts) return {true, static_cast<uint16_t>(std::popcount(set)), first};
      if (set) return {true, static_cast<uint16_t>(set), first};
      if (d.fallback) return {true, d.fallback->code, classification::by_default};
      return {true, no_code, classification::no_rule};
    }
    std::vector<uint64_t>& can = possible_[d.decision];
    std::fill(can.begin(), can.end(), ~uint64_t{0});
    return unknown(d.decision);
  }

  value unknown(uint32_t decision) const {
    value v;
    v.possible = &possible_[decision];
    return v;
  }

  // Adds the codes outcome `o` can give to `can`; true when it may have nothing to copy.
  bool add_outcomes(const outcome& o, std::vector<uint64_t>& can) {
    auto set = [&](uint16_t code) {
      size_t b = static_cast<size_t>(code) + 1;
      can[b / 64] |= bit(b);
    };
    if (!o.from) {
      set(o.code);
      return false;
    }
    value s = source(o.source);
    if (s.known) {
      if (s.code == no_code) return true;
      set(o.remap[s.code]);
      return false;
    }
    bool none = true;  // a field, list or named set not narrowed down may have no value
    if (s.possible) {
      const std::vector<uint64_t>& from = *s.possible;
      none = from[0] & 1;
      for (size_t code = 0; code < o.remap.size(); ++code) {
        size_t b = code + 1;
        if (b / 64 < from.size() && ((from[b / 64] >> (b % 64)) & 1)) set(o.remap[code]);
      }
    } else {
      for (uint16_t code : o.remap) set(code);
    }
    return none;
  }

  const program& p_;
  const std::vector<field_atoms>& atoms_;
  std::vector<size_t> offset_;  // per field: first word of its domain in dom_
  std::vector<uint64_t> full_;  // every atom of every field
  std::vector<uint64_t> dom_;   // the current state
  std::vector<truth_table> truth_;
  uint32_t epoch_ = 0;
  int want_pred_ = -1, want_field_ = -1;
  std::vector<uint64_t> allowed_;  // draw_toward: the atoms each field may still be drawn from
  uint64_t steps_ = 0;
  std::vector<uint32_t> node_epoch_;
  std::vector<uint8_t> node_value_;
  std::vector<uint32_t> decision_epoch_;
  std::vector<value> decision_value_;
  std::vector<std::vector<uint64_t>> possible_;  // per decision, see eval_decision
  std::vector<const compiled_decision*> plan_of_;
};

// --- questions and findings -----------------------------------------------------------------

class analyzer {
 public:
  analyzer(const program& p, const analysis_settings& s)
      : p_(p), settings_(s), atoms_(atom_builder(p).build()), solver_(p, atoms_) {
    find_inexact();
  }

  // For each rule of each decision (declaration order), a record it wins, or nothing.
  std::vector<std::vector<std::optional<record>>> witnesses() {
    std::vector<std::vector<std::optional<record>>> out(p_.m.decisions.size());
    for (const compiled_decision& d : p_.plan) {
      auto& rules = out[d.decision];
      rules.resize(d.rules.size());
      for (size_t k = 0; k < d.rules.size(); ++k)
        if (ask([&] { return wins(d, k); }) == answer::yes) rules[d.rules[k].index] = example();
    }
    return out;
  }

  std::vector<finding> run() {
    if (!settings_.contracts_only) sample_winners();
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

  // One question to the solver, within its own step limit and what is left of the total.
  template <typename Goal>
  answer ask(Goal&& goal) {
    if (spent_ >= settings_.max_total_steps) {
      out_of_total_ = true;
      return answer::undecided;
    }
    answer a =
        solver_.search(goal, std::min(settings_.max_steps, settings_.max_total_steps - spent_));
    spent_ += solver_.steps();
    if (a == answer::undecided && spent_ >= settings_.max_total_steps) out_of_total_ = true;
    return a;
  }

  // Before any search: random complete records (one atom per field, uniformly), each
  // evaluated in full. A rule that wins one is reachable, with that record as proof, and
  // needs no search. This only ever answers "yes", so the analysis stays exact; it spares
  // the search the rules that are easy to reach, which in a large rule set are most of them
  // (on the generated 1,000-rule set, the search alone ran out of budget on 300 of them).
  void sample_winners() {
    const size_t fields = p_.m.fields.size();
    sampled_win_.assign(p_.m.decisions.size(), {});
    default_record_.assign(p_.m.decisions.size(), std::nullopt);
    size_t open = 0;
    for (const compiled_decision& d : p_.plan) {
      sampled_win_[d.decision].assign(d.rules.size(), false);
      open += d.rules.size();
    }
    std::mt19937_64 rng(20091019);
    std::vector<size_t> atom_of(fields, 0);
    // Every winner of each record drawn counts, whatever rule the draw aimed at.
    auto note_winners = [&] {
      solver_.fix(atom_of);
      for (const compiled_decision& d : p_.plan) {
        std::vector<bool>& won = sampled_win_[d.decision];
        auto mark = [&](uint16_t rule) {
          if (rule < won.size() && !won[rule]) {
            won[rule] = true;
            --open;
          }
        };
        if (d.gathers) {
          for (const compiled_rule& cr : d.rules)
            if (solver_.node(cr.node) == T) mark(cr.index);
          continue;
        }
        solver::value v = solver_.decide(d.decision);
        if (v.known) mark(v.rule);
        if (v.known && v.rule >= classification::by_default && !default_record_[d.decision])
          default_record_[d.decision] = atom_of;
      }
    };
    // Uniform draws first (cheap, and they reach most rules), then draws aimed at each rule
    // still open: its condition made true on purpose, the earlier rules left to chance.
    for (uint64_t i = 0; i < settings_.samples && open > 0; ++i) {
      for (size_t f = 0; f < fields; ++f) atom_of[f] = rng() % solver_.atom_count(f);
      note_winners();
    }
    for (const compiled_decision& d : p_.plan) {
      for (const compiled_rule& cr : d.rules) {
        for (uint64_t i = 0; i < settings_.aimed_samples && !sampled_win_[d.decision][cr.index];
             ++i)
          if (solver_.draw_toward(cr.node, rng, atom_of)) note_winners();
      }
    }
  }

  // The rule's condition is T (and a copied value exists).
  tv fires(const compiled_rule& r) {
    tv c = solver_.node(r.node);
    if (c != T || !r.then.from) return c == U ? F : c;
    solver::value v = solver_.copied(r.then);
    if (v.known) return v.code == no_code ? F : T;
    if (v.possible && !((*v.possible)[0] & 1)) return T;  // it has a value whatever comes
    return Q;
  }

  // Rule k (of the chain d.rules) fires and no earlier rule does (the rule wins for this
  // record). A collecting decision takes every rule that fires.
  tv wins(const compiled_decision& d, size_t k) {
    tv own = fires(d.rules[k]);
    if (own == F || d.gathers) return own;
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
      if (sampled_win_[d.decision][d.rules[k].index]) continue;
      answer a = settle(d, ask([&] { return wins(d, k); }));
      if (a == answer::yes) continue;
      const compiled_rule& rule = d.rules[k];
      if (a == answer::undecided) {
        undecided(d, static_cast<int32_t>(rule.index), "whether it can fire");
        continue;
      }
      // Why: never true by itself, nothing to copy, or earlier rules take its records.
      const rule_info& info = p_.m.decisions[d.decision].rules[rule.index];
      const std::string where =
          "rule '" + info.id + "' of '" + p_.m.decisions[d.decision].name + "'";
      finding f;
      f.kind = finding_kind::unreachable_rule;
      f.decision = d.decision;
      f.rule = static_cast<int32_t>(rule.index);
      answer alone = ask([&] { return fires(rule); });
      std::string message, hint;
      if (alone == answer::no) {
        answer cond = ask([&] { return solver_.node(rule.node); });
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
          answer both = ask([&] {
            tv first = fires(earlier);
            if (first == F) return F;
            tv second = fires(rule);
            if (second == F) return F;
            return first == T && second == T ? T : Q;
          });
          if (both != answer::no) f.others.push_back(earlier.index);
        }
        message = where + " can never fire: every record it matches is decided " +
                  (p_.m.decisions[d.decision].ranked() ? "by better-ranked outcomes of "
                                                       : "earlier by ") +
                  rule_list(d.decision, f.others);
        hint = p_.m.decisions[d.decision].ranked()
                   ? "rank its outcome higher in 'outcomes', narrow the better-ranked rules, "
                     "or remove this rule"
                   : "reorder the rules, narrow the earlier ones, or remove this rule";
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
        answer a = settle(d, ask(both));
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
    answer a;
    if (!default_record_.empty() && default_record_[d.decision]) {
      solver_.fix(*default_record_[d.decision]);  // example() shows that record
      a = answer::yes;
    } else {
      a = settle(d, ask(reaches_default));
    }
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

  // Per decision, in plan order: a field whose atoms are a sample (see combine_aliases) that
  // its rules read, directly or through the decisions they test or copy.
  void find_inexact() {
    inexact_.assign(p_.m.decisions.size(), -1);
    auto field_of = [&](value_ref r) -> int {
      switch (r.kind) {
        case source_kind::field:
          return static_cast<int>(r.index);
        case source_kind::list:
          return static_cast<int>(p_.m.lists[r.index].key_field);
        case source_kind::named_set:
          return static_cast<int>(p_.m.named_sets[r.index].field);
        case source_kind::decision:
          break;
      }
      return -1;
    };
    auto sampled = [&](value_ref r) -> int {
      if (r.kind == source_kind::decision) return inexact_[r.index];
      int f = field_of(r);
      return f >= 0 && !atoms_[static_cast<size_t>(f)].exact ? f : -1;
    };
    for (const compiled_decision& d : p_.plan) {
      int& found = inexact_[d.decision];
      auto consider = [&](const outcome& o) {
        if (found < 0 && o.from) found = sampled(o.source);
      };
      for (const compiled_rule& cr : d.rules) {
        std::vector<uint32_t> todo = {cr.node};
        while (!todo.empty() && found < 0) {
          const compiled_node& n = p_.nodes[todo.back()];
          todo.pop_back();
          if (n.op == node_op::pred) found = sampled(p_.preds[n.pred].subject);
          todo.insert(todo.end(), n.children.begin(), n.children.end());
        }
        consider(cr.then);
      }
      if (d.fallback) consider(*d.fallback);
    }
  }

  // A "no" resting on a sampled field is not a proof: it becomes "cannot decide".
  answer settle(const compiled_decision& d, answer a) {
    sampled_field_ = a == answer::no ? inexact_[d.decision] : -1;
    return sampled_field_ >= 0 ? answer::undecided : a;
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
    if (sampled_field_ >= 0) {
      const field_atoms& field = atoms_[static_cast<size_t>(sampled_field_)];
      f.diag = make_diagnostic(
          level, "W-undecided", pos,
          "cannot decide " + what + " for " + subject + ": the named sets on '" +
              p_.m.fields[static_cast<size_t>(sampled_field_)].name + "' have " +
              (field.combinations > atom_builder::kMaxCombinations
                   ? "more than " + std::to_string(atom_builder::kMaxCombinations)
                   : std::to_string(field.combinations)) +
              " combinations of aliases, more than the analysis enumerates",
          "fewer aliases, or one named set per text field, keep the analysis exact");
    } else if (out_of_total_) {
      f.diag = make_diagnostic(level, "W-undecided", pos,
                               "cannot decide " + what + " for " + subject + ": the analysis has " +
                                   "used its total budget of " +
                                   std::to_string(settings_.max_total_steps) + " search steps",
                               "raise the total step limit to analyse the rest");
    } else {
      f.diag = make_diagnostic(level, "W-undecided", pos,
                               "cannot decide " + what + " for " + subject + " within " +
                                   std::to_string(settings_.max_steps) + " search steps",
                               "raise the analysis step limit, or split the decision's conditions");
    }
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

  // A record the last successful search found: the first atom left of each field it
  // narrowed down, and of the required fields it left open (optional ones stay empty:
  // missing, which the goal allows like any other value there).
  record example() const {
    record out;
    for (size_t f = 0; f < p_.m.fields.size(); ++f) {
      const auto& atoms = atoms_[f].atoms;
      const atom* chosen = nullptr;
      std::vector<size_t> dom = solver_.domain(f);
      if (!dom.empty() && (!solver_.unconstrained(f) || p_.m.fields[f].required))
        chosen = &atoms[dom.front()];
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
  std::vector<std::vector<bool>> sampled_win_;  // per decision and rule: won a sampled record
  std::vector<int> inexact_;  // per decision: a sampled field it rests on, or -1 (find_inexact)
  int sampled_field_ = -1;    // the sampled field the last settle() refused a "no" for
  // Per decision: a sampled record that reached its default (or no rule), if one did.
  std::vector<std::optional<std::vector<size_t>>> default_record_;
  uint64_t spent_ = 0;         // steps used by all questions so far
  bool out_of_total_ = false;  // the last undecided answer was for lack of total budget
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
