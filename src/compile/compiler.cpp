// Compile stage: turns the checked model into the flat program (see program.h).
#include <algorithm>
#include <map>
#include <sstream>

#include "compile/program.h"

namespace chanrules::detail {

namespace {

// One past the largest code a value can take (string fields: the literals plus "other").
uint32_t code_bound(const model& m, value_ref r) {
  if (r.kind == source_kind::field) {
    const field_info& f = m.fields[r.index];
    if (f.type == value_type::string) return static_cast<uint32_t>(f.string_literals.size()) + 1;
    if (f.type == value_type::boolean) return 2;
  }
  if (r.kind == source_kind::list && m.lists[r.index].membership) return 2;
  const domain* d = m.domain_of(r);
  return d ? static_cast<uint32_t>(d->size()) : 2;
}

compiled_pred compile_pred(const model& m, const predicate& p) {
  compiled_pred c;
  c.kind = p.kind;
  c.subject = p.subject;
  c.negated = p.negated;
  switch (p.kind) {
    case pred_kind::code_in_set: {
      // A truth table over every code the subject can take (bit code + 1), with `not in`
      // folded in, so the executor only looks bits up. Bit 0 stands for "no value" and stays
      // clear: a comparison with no value is never true.
      uint32_t bound = code_bound(m, p.subject);
      for (uint16_t code : p.codes) bound = std::max<uint32_t>(bound, code + 1u);
      c.bits.assign((bound + 1 + 63) / 64, 0);
      for (uint32_t code = 0; code < bound; ++code) {
        bool member = std::binary_search(p.codes.begin(), p.codes.end(), code);
        if (member != p.negated) c.bits[(code + 1) / 64] |= uint64_t{1} << ((code + 1) % 64);
      }
      break;
    }
    case pred_kind::int_range:
      c.int_lo = static_cast<int64_t>(p.lo);
      c.int_hi = static_cast<int64_t>(p.hi);
      break;
    case pred_kind::dec_range:
      c.dec_lo = p.lo;
      c.dec_hi = p.hi;
      break;
    case pred_kind::is_missing:
      break;
  }
  (void)m;
  return c;
}

class node_interner {
 public:
  explicit node_interner(std::vector<compiled_node>& nodes, const model& m)
      : nodes_(nodes), m_(m) {}

  uint32_t add(const condition& cond) {
    std::vector<uint32_t> mapped(cond.nodes.size());
    for (size_t i = 0; i < cond.nodes.size(); ++i) {
      const cond_node& n = cond.nodes[i];
      compiled_node c;
      switch (n.kind) {
        case cond_kind::and_:
          c.op = node_op::and_;
          break;
        case cond_kind::or_:
          c.op = node_op::or_;
          break;
        case cond_kind::not_:
          c.op = node_op::not_;
          break;
        case cond_kind::constant:
          c.op = node_op::constant;
          c.value = n.value;
          break;
        case cond_kind::pred:
          c.op = node_op::pred;
          c.pred = n.pred;
          c.can_be_unknown = m_.predicates[n.pred].kind != pred_kind::is_missing &&
                             can_be_missing(m_.predicates[n.pred].subject);
          break;
      }
      for (uint32_t child : n.children) {
        c.children.push_back(mapped[child]);
        c.can_be_unknown |= nodes_[mapped[child]].can_be_unknown;
      }
      mapped[i] = intern(std::move(c));
    }
    return mapped.empty() ? intern(compiled_node{}) : mapped.back();
  }

 private:
  bool can_be_missing(value_ref r) const {
    // Every input column has a validity bitmap, required or not (a caller may leave a
    // required value unset); decisions are never unknown.
    return r.kind != source_kind::decision;
  }

  uint32_t intern(compiled_node c) {
    auto key = std::make_tuple(static_cast<int>(c.op), c.children, c.pred, c.value);
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    nodes_.push_back(std::move(c));
    uint32_t id = static_cast<uint32_t>(nodes_.size() - 1);
    index_.emplace(std::move(key), id);
    return id;
  }

  std::vector<compiled_node>& nodes_;
  const model& m_;
  std::map<std::tuple<int, std::vector<uint32_t>, uint32_t, bool>, uint32_t> index_;
};

}  // namespace

program compile(model m) {
  program p;
  p.m = std::move(m);
  const model& mm = p.m;
  for (const predicate& pred : mm.predicates) p.preds.push_back(compile_pred(mm, pred));

  node_interner interner(p.nodes, mm);
  for (uint32_t d : mm.evaluation_order) {
    const decision_info& info = mm.decisions[d];
    compiled_decision cd;
    cd.decision = d;
    cd.gathers = info.gathers();
    cd.counts = cd.gathers && info.aggregate == collect_aggregate::count;
    for (uint32_t index : info.trial_order()) {
      const rule_info& r = info.rules[index];
      compiled_rule cr;
      cr.index = static_cast<uint16_t>(index);
      cr.node = interner.add(r.cond);
      cr.then = r.then;
      cr.missable_fields = r.missable_fields;
      cd.rules.push_back(std::move(cr));
    }
    cd.fallback = info.fallback;
    p.plan.push_back(std::move(cd));
  }

  // Lists: one table per key field.
  p.list_slot.resize(mm.lists.size());
  for (uint32_t li = 0; li < mm.lists.size(); ++li) {
    const list_info& l = mm.lists[li];
    auto it = std::find_if(p.key_indexes.begin(), p.key_indexes.end(),
                           [&](const key_index& k) { return k.key_field == l.key_field; });
    if (it == p.key_indexes.end()) {
      p.key_indexes.emplace_back();
      p.key_indexes.back().key_field = l.key_field;
      it = p.key_indexes.end() - 1;
    }
    p.list_slot[li] = {static_cast<uint32_t>(it - p.key_indexes.begin()),
                       static_cast<uint32_t>(it->lists.size())};
    it->lists.push_back(li);
  }
  for (key_index& k : p.key_indexes) {
    size_t width = k.lists.size();
    for (size_t pos = 0; pos < width; ++pos) {
      const list_info& l = mm.lists[k.lists[pos]];
      // Insert in a stable order (sorted keys) so the table layout is reproducible.
      std::vector<std::pair<std::string, uint16_t>> entries(l.entries.begin(), l.entries.end());
      std::sort(entries.begin(), entries.end());
      for (const auto& [key, code] : entries) {
        uint32_t e = k.table.insert(key);
        if (k.codes.size() < (e + 1) * width) k.codes.resize((e + 1) * width, no_code);
        k.codes[e * width + pos] = code;
      }
    }
  }

  p.evaluate_always.assign(mm.decisions.size(), false);
  for (size_t d = 0; d < mm.decisions.size(); ++d) p.evaluate_always[d] = mm.decisions[d].output;
  for (const predicate& pred : mm.predicates)
    if (pred.subject.kind == source_kind::decision) p.evaluate_always[pred.subject.index] = true;

  p.key_index_of_field.assign(mm.fields.size(), -1);
  for (size_t k = 0; k < p.key_indexes.size(); ++k)
    p.key_index_of_field[p.key_indexes[k].key_field] = static_cast<int>(k);

  for (const named_set_info& s : mm.named_sets) p.matchers.emplace_back(s.aliases);

  // The missing-field bitset of a row has one bit per field (bit = field index).
  const size_t fields = mm.fields.size();
  p.missing_row_bits = fields <= 8    ? 8
                       : fields <= 16 ? 16
                       : fields <= 32 ? 32
                                      : (fields + 63) / 64 * 64;
  return p;
}

std::string program::dump() const {
  std::ostringstream out;
  out << "program " << m.name << " " << m.version << "\n";
  out << "predicates:\n";
  for (size_t i = 0; i < preds.size(); ++i) {
    const compiled_pred& c = preds[i];
    out << "  p" << i << " " << m.name_of(c.subject) << " ";
    switch (c.kind) {
      case pred_kind::code_in_set: {
        out << "in {";  // the codes that make it true (negation already folded in)
        bool first = true;
        for (size_t bit = 1; bit < c.bits.size() * 64; ++bit) {
          if (!((c.bits[bit / 64] >> (bit % 64)) & 1)) continue;
          uint16_t code = static_cast<uint16_t>(bit - 1);
          const domain* d = m.domain_of(c.subject);
          std::string label;
          if (d && code < d->size()) {
            label = d->labels[code];
          } else if (c.subject.kind == source_kind::field &&
                     m.fields[c.subject.index].type == value_type::string) {
            const auto& lits = m.fields[c.subject.index].string_literals.labels;
            label = code < lits.size() ? "\"" + lits[code] + "\"" : "(other text)";
          } else if (m.type_of(c.subject) == value_type::boolean) {
            label = code ? "true" : "false";
          } else {
            label = std::to_string(code);
          }
          out << (first ? "" : " ") << label;
          first = false;
        }
        out << "}";
        break;
      }
      case pred_kind::int_range:
        out << (c.negated ? "outside [" : "in [") << c.int_lo << ", " << c.int_hi << "]";
        break;
      case pred_kind::dec_range:
        out << (c.negated ? "outside [" : "in [") << decimal_to_string(c.dec_lo) << ", "
            << decimal_to_string(c.dec_hi) << "]";
        break;
      case pred_kind::is_missing:
        out << (c.negated ? "is-present" : "is-missing");
        break;
    }
    out << "\n";
  }
  out << "nodes:\n";
  for (size_t i = 0; i < nodes.size(); ++i) {
    const compiled_node& n = nodes[i];
    out << "  n" << i << " ";
    switch (n.op) {
      case node_op::and_:
        out << "and";
        break;
      case node_op::or_:
        out << "or";
        break;
      case node_op::not_:
        out << "not";
        break;
      case node_op::constant:
        out << (n.value ? "true" : "false");
        break;
      case node_op::pred:
        out << "p" << n.pred;
        break;
    }
    for (uint32_t c : n.children) out << " n" << c;
    out << "\n";
  }
  out << "decisions:\n";
  for (const compiled_decision& cd : plan) {
    const decision_info& d = m.decisions[cd.decision];
    out << "  " << d.name << (d.output ? "" : " (helper)") << "\n";
    if (cd.gathers)
      out << (cd.counts ? "    (counts every match)\n" : "    (collects every match)\n");
    else if (d.ranked())
      out << "    (tried by rank of outcome)\n";
    for (const compiled_rule& cr : cd.rules)
      out << "    " << d.rules[cr.index].id << ": n" << cr.node << " -> "
          << m.outcome_text(d, cr.then, true) << "\n";
    if (cd.fallback) out << "    default -> " << m.outcome_text(d, *cd.fallback, false) << "\n";
  }
  for (const key_index& k : key_indexes) {
    out << "list table on " << m.fields[k.key_field].name << ": " << k.table.size()
        << " keys, lists";
    for (uint32_t l : k.lists) out << " " << m.lists[l].name;
    out << "\n";
  }
  for (size_t i = 0; i < matchers.size(); ++i)
    out << "named set " << m.named_sets[i].name << ": " << matchers[i].states() << " states, "
        << matchers[i].byte_classes() << " byte classes\n";
  return out.str();
}

}  // namespace chanrules::detail
