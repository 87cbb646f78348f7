// The batch executor: runs the compiled program over a batch, one vector of
// CHANRULES_VECTOR_SIZE rows at a time, with conditions evaluated into bit masks.
//
// Three-valued logic over masks: every condition node yields T (true) and U (unknown) words;
// F is ~T & ~U. A first-hit chain is a CASE: `active` holds the rows not yet decided, each
// rule takes `active & T`, rows with `active & U` are noted as decided with missing data and
// stay active, and the chain stops as soon as no row is active. Predicates and condition
// nodes are memoised per vector, so a test shared by several rules or decisions runs once.
// Nothing here allocates per row or looks at text except list probes and name matching,
// which touch each row's key once per vector.
#include <algorithm>
#include <bit>
#include <cstring>

#include "exec/batch_impl.h"
#include "exec/kernels.h"

#ifndef CHANRULES_VECTOR_SIZE
#define CHANRULES_VECTOR_SIZE 1024
#endif

namespace chanrules::detail {

namespace {

constexpr size_t kVector = CHANRULES_VECTOR_SIZE;
static_assert(kVector % 64 == 0 && kVector >= 64, "vector size must be a multiple of 64");
constexpr size_t kWords = kVector / 64;

struct mask {
  uint64_t t[kWords];
  uint64_t u[kWords];
};

class executor {
 public:
  executor(const program& p, const batch_impl& b, classification& out) : p_(p), b_(b), out_(out) {
    pred_masks_.resize(p.preds.size());
    pred_done_.resize(p.preds.size());
    node_masks_.resize(p.nodes.size());
    node_done_.resize(p.nodes.size());
    list_codes_.assign(p.m.lists.size(), std::vector<uint16_t>(kVector));
    list_done_.resize(p.key_indexes.size());
    set_codes_.resize(p.m.named_sets.size());
    set_done_.resize(p.m.named_sets.size());
    plan_of_.resize(p.m.decisions.size());
    for (const compiled_decision& d : p.plan) plan_of_[d.decision] = &d;
    decided_.resize(p.m.decisions.size());
    // Results of the current vector are built here, in cache, and copied to the
    // classification once the vector is done (see flush_vector).
    row_bits_ = result_access::missing_row_bits(out);
    const size_t decisions = p.m.decisions.size();
    vec_outcomes_.assign(decisions, std::vector<uint16_t>(kVector));
    vec_rules_.assign(decisions, std::vector<uint16_t>(kVector));
    vec_missing_.assign(decisions, std::vector<uint64_t>(kVector * row_bits_ / 64));
    fields_ = p.m.fields.size();
    miss_rows_.assign(decisions * fields_, row_set{});
    miss_touched_.resize(decisions);
    miss_flag_.assign(decisions * fields_, 0);
    if (row_bits_ < 64) {
      // spread_[g]: bit i of g moved to bit i * row_bits_ (row i of a group, field 0).
      const size_t per_word = 64 / row_bits_;
      spread_.assign(size_t{1} << per_word, 0);
      for (size_t g = 0; g < spread_.size(); ++g)
        for (size_t i = 0; i < per_word; ++i)
          if ((g >> i) & 1) spread_[g] |= uint64_t{1} << (i * row_bits_);
    }
  }

  void run() {
    for (size_t start = 0; start < b_.rows; start += kVector) {
      start_vector(start);
      // Outputs and helpers tested by conditions for every row; helpers used only through
      // `from` for the rows that copy them (see ensure_decision and program.h).
      uint64_t all[kWords];
      for (size_t w = 0; w < words_; ++w) all[w] = row_mask(w);
      for (const compiled_decision& d : p_.plan)
        if (p_.evaluate_always[d.decision]) ensure_decision(d.decision, all);
      flush_vector();
    }
  }

 protected:
  // Starts the vector of rows [start, start + kVector): forgets the memoised masks and the
  // decisions of the vector before.
  void start_vector(size_t start) {
    start_ = start;
    n_ = std::min(kVector, b_.rows - start);
    words_ = (n_ + 63) / 64;
    std::fill(pred_done_.begin(), pred_done_.end(), 0);
    std::fill(node_done_.begin(), node_done_.end(), 0);
    std::fill(list_done_.begin(), list_done_.end(), 0);
    std::fill(set_done_.begin(), set_done_.end(), 0);
    for (auto& d : decided_) std::fill(std::begin(d.w), std::end(d.w), 0);
    for (size_t d = 0; d < p_.m.decisions.size(); ++d) {
      // Output decisions write every row; helpers only the rows that needed them.
      if (!p_.m.decisions[d].output) {
        std::fill_n(vec_outcomes_[d].data(), n_, no_code);
        std::fill_n(vec_rules_[d].data(), n_, classification::no_rule);
      }
      std::fill_n(vec_missing_[d].data(), (n_ * row_bits_ + 63) / 64, 0);
      for (uint32_t f : miss_touched_[d]) {
        std::fill_n(miss_rows_[d * fields_ + f].w, kWords, uint64_t{0});
        miss_flag_[d * fields_ + f] = 0;
      }
      miss_touched_[d].clear();
    }
  }

  // Copies the vector's results to their place in the classification. A vector starts on
  // a word boundary of the missing-field bitsets (kVector rows * 8..64k bits). (Streaming
  // stores were tried here: no measurable difference, so plain copies.)
  void flush_vector() {
    for (size_t d = 0; d < p_.m.decisions.size(); ++d) {
      lay_out_missing(d);
      std::memcpy(result_access::outcomes(out_)[d].data() + start_, vec_outcomes_[d].data(),
                  n_ * sizeof(uint16_t));
      std::memcpy(result_access::rules(out_)[d].data() + start_, vec_rules_[d].data(),
                  n_ * sizeof(uint16_t));
      std::memcpy(result_access::missing(out_)[d].data() + start_ * row_bits_ / 64,
                  vec_missing_[d].data(), (n_ * row_bits_ + 63) / 64 * sizeof(uint64_t));
    }
  }

  uint64_t row_mask(size_t w) const {
    size_t left = n_ - w * 64;
    return left >= 64 ? ~uint64_t{0} : ((uint64_t{1} << left) - 1);
  }

  const uint64_t* valid_words(uint32_t field) const {
    return b_.columns[field].valid.data() + start_ / 64;
  }

  // --- value sources -------------------------------------------------------------------
  // Codes of an enum-like value for the current vector (no_code = no value).
  const uint16_t* codes_of(value_ref r) {
    switch (r.kind) {
      case source_kind::field:
        return b_.columns[r.index].codes.data() + start_;
      case source_kind::list:
        fill_list(p_.list_slot[r.index].first);
        return list_codes_[r.index].data();
      case source_kind::named_set:
        fill_set(r.index);
        return set_codes_[r.index].data();
      case source_kind::decision: {
        // A condition on a decision's value reads it for every row of the vector.
        uint64_t all[kWords];
        for (size_t w = 0; w < words_; ++w) all[w] = row_mask(w);
        ensure_decision(r.index, all);
        return vec_outcomes_[r.index].data();
      }
    }
    return nullptr;
  }

  // Rows whose value is unknown because an input is missing.
  uint64_t missing_word(value_ref r, size_t w) const {
    uint32_t field;
    switch (r.kind) {
      case source_kind::field:
        field = r.index;
        break;
      case source_kind::list:
        field = p_.m.lists[r.index].key_field;
        break;
      case source_kind::named_set:
        field = p_.m.named_sets[r.index].field;
        break;
      default:
        return 0;
    }
    return ~valid_words(field)[w] & row_mask(w);
  }

  void fill_list(uint32_t index) {
    if (list_done_[index]) return;
    list_done_[index] = 1;
    const key_index& k = p_.key_indexes[index];
    const column& col = b_.columns[k.key_field];
    // The key's table entry was looked up when the batch was filled.
    const uint32_t* entries = col.key_entry.data() + start_;
    const uint64_t* valid = valid_words(k.key_field);
    size_t width = k.lists.size();
    for (size_t pos = 0; pos < width; ++pos) {
      uint32_t list = k.lists[pos];
      uint16_t* codes = list_codes_[list].data();
      const bool membership = p_.m.lists[list].membership;
      for (size_t i = 0; i < n_; ++i) {
        uint32_t entry = entries[i];
        uint16_t code = entry == string_table::not_found ? no_code : k.codes[entry * width + pos];
        if (membership) {
          bool present = (valid[i >> 6] >> (i & 63)) & 1;
          code = !present ? no_code : (code == no_code ? 0 : 1);
        }
        codes[i] = code;
      }
    }
  }

  void fill_set(uint32_t index) {
    if (set_done_[index]) return;
    set_done_[index] = 1;
    const column& col = b_.columns[p_.m.named_sets[index].field];
    auto& codes = set_codes_[index];
    codes.resize(kVector);
    bool present[kVector];
    for (size_t i = 0; i < n_; ++i) present[i] = col.is_valid(start_ + i);
    p_.matchers[index].match_many(col.arena.data(), col.arena.size(), col.str_off.data() + start_,
                                  col.str_len.data() + start_, present, n_, codes.data());
  }

  // --- predicates ------------------------------------------------------------------------
  const mask& pred(uint32_t index) {
    mask& m = pred_masks_[index];
    if (pred_done_[index]) return m;
    pred_done_[index] = 1;
    const compiled_pred& c = p_.preds[index];
    switch (c.kind) {
      case pred_kind::code_in_set:
        code_in_set(c, m);
        break;
      case pred_kind::int_range:
        int_range(c, m);
        break;
      case pred_kind::dec_range:
        dec_range(c, m);
        break;
      case pred_kind::is_missing:
        is_missing(c, m);
        break;
    }
    return m;
  }

  void code_in_set(const compiled_pred& c, mask& m) {
    // The compiler folded `not in` and "no value is false" into the truth table.
    codes_to_mask(codes_of(c.subject), n_, c.bits.data(), c.bits.size(), m.t);
    for (size_t w = 0; w < words_; ++w) {
      uint64_t u = missing_word(c.subject, w);
      m.t[w] &= ~u;
      m.u[w] = u;
    }
  }

  void int_range(const compiled_pred& c, mask& m) {
    int_range_to_mask(b_.columns[c.subject.index].ints.data() + start_, n_, c.int_lo, c.int_hi,
                      c.negated, m.t);
    for (size_t w = 0; w < words_; ++w) {
      uint64_t u = missing_word(c.subject, w);
      m.t[w] &= ~u & row_mask(w);
      m.u[w] = u;
    }
  }

  void dec_range(const compiled_pred& c, mask& m) {
    const decimal_key* v = b_.columns[c.subject.index].decs.data() + start_;
    const decimal_key lo = c.dec_lo, hi = c.dec_hi;
    const uint64_t flip = c.negated ? 1 : 0;
    for (size_t w = 0; w < words_; ++w) {
      size_t base = w * 64, count = std::min<size_t>(64, n_ - base);
      uint64_t t = 0;
      for (size_t j = 0; j < count; ++j) {
        decimal_key x = v[base + j];
        t |= ((static_cast<uint64_t>(x >= lo) & static_cast<uint64_t>(x <= hi)) ^ flip) << j;
      }
      uint64_t u = missing_word(c.subject, w);
      m.t[w] = t & ~u & row_mask(w);
      m.u[w] = u;
    }
  }

  void is_missing(const compiled_pred& c, mask& m) {
    const value_ref r = c.subject;
    bool by_validity = r.kind == source_kind::field &&
                       p_.m.fields[r.index].type != value_type::enumeration &&
                       p_.m.fields[r.index].type != value_type::boolean &&
                       p_.m.fields[r.index].type != value_type::string;
    const uint16_t* codes = by_validity ? nullptr : codes_of(r);
    for (size_t w = 0; w < words_; ++w) {
      uint64_t absent;
      if (by_validity) {
        absent = ~valid_words(r.index)[w];
      } else {
        size_t base = w * 64, count = std::min<size_t>(64, n_ - base);
        absent = 0;
        for (size_t j = 0; j < count; ++j)
          absent |= static_cast<uint64_t>(codes[base + j] == no_code) << j;
      }
      if (c.negated) absent = ~absent;
      m.t[w] = absent & row_mask(w);
      m.u[w] = 0;
    }
  }

  // --- condition nodes ---------------------------------------------------------------------
  // Depth is bounded by the parser's nesting limit, so plain recursion is safe here.
  const mask& node(uint32_t index) {
    const compiled_node& n = p_.nodes[index];
    // A predicate node is its predicate's (memoised) mask: no copy.
    if (n.op == node_op::pred) return pred(n.pred);
    mask& m = node_masks_[index];
    if (node_done_[index]) return m;
    node_done_[index] = 1;
    switch (n.op) {
      case node_op::pred:
        break;  // handled above
      case node_op::constant:
        for (size_t w = 0; w < words_; ++w) {
          m.t[w] = n.value ? row_mask(w) : 0;
          m.u[w] = 0;
        }
        break;
      case node_op::not_: {
        const mask& c = node(n.children[0]);
        for (size_t w = 0; w < words_; ++w) {
          m.t[w] = ~c.t[w] & ~c.u[w] & row_mask(w);
          m.u[w] = c.u[w];
        }
        break;
      }
      case node_op::and_: {
        uint64_t t[kWords], f[kWords];
        for (size_t w = 0; w < words_; ++w) {
          t[w] = row_mask(w);
          f[w] = 0;
        }
        for (uint32_t child : n.children) {
          const mask& c = node(child);
          for (size_t w = 0; w < words_; ++w) {
            t[w] &= c.t[w];
            f[w] |= ~c.t[w] & ~c.u[w];
          }
        }
        for (size_t w = 0; w < words_; ++w) {
          m.t[w] = t[w];
          m.u[w] = ~t[w] & ~f[w] & row_mask(w);
        }
        break;
      }
      case node_op::or_: {
        uint64_t t[kWords], f[kWords];
        for (size_t w = 0; w < words_; ++w) {
          t[w] = 0;
          f[w] = row_mask(w);
        }
        for (uint32_t child : n.children) {
          const mask& c = node(child);
          for (size_t w = 0; w < words_; ++w) {
            t[w] |= c.t[w];
            f[w] &= ~c.t[w] & ~c.u[w];
          }
        }
        for (size_t w = 0; w < words_; ++w) {
          m.t[w] = t[w];
          m.u[w] = ~t[w] & ~f[w] & row_mask(w);
        }
        break;
      }
    }
    return m;
  }

  // --- decisions ---------------------------------------------------------------------------
  // Decides `decision` for the rows in `want` that are not decided yet. Decisions refer to
  // each other only along the (acyclic) decision graph, so the recursion through `from`
  // and conditions on decision values ends; its depth is at most the number of decisions.
  void ensure_decision(uint32_t decision, const uint64_t* want) {
    const compiled_decision& d = *plan_of_[decision];
    uint64_t* done = decided_[decision].w;
    uint64_t active[kWords];
    uint64_t any = 0;
    for (size_t w = 0; w < words_; ++w) {
      active[w] = want[w] & ~done[w];
      done[w] |= active[w];
      any |= active[w];
    }
    if (!any) return;
    if (d.gathers) return gather(d, active);
    uint16_t* outcome = vec_outcomes_[decision].data();
    uint16_t* rule = vec_rules_[decision].data();
    for (size_t r = 0; r < d.rules.size() && any; ++r) {
      const compiled_rule& cr = d.rules[r];
      const mask& m = node(cr.node);
      if (p_.nodes[cr.node].can_be_unknown) note_missing(cr, active, m, decision);
      any = 0;
      if (!cr.then.from) {
        // A constant: one masked store of 64 rows, or one store per row when few hit.
        for (size_t w = 0; w < words_; ++w) {
          const uint64_t hit = active[w] & m.t[w];
          if (hit)
            masked_fill16_pair(outcome + w * 64, cr.then.code, rule + w * 64, cr.index, hit,
                               std::min<size_t>(64, n_ - w * 64));
          active[w] &= ~hit;
          any |= active[w];
        }
        continue;
      }
      // A copied value: rows where it has none do not fire (they stay active). Written
      // without a branch per row: such a row keeps what it had.
      const uint16_t* from = source_codes(cr.then.source, active, m.t);
      // (A source with no labels has nothing to copy: `has` is then always false.)
      static const uint16_t nothing = no_code;
      const uint16_t* remap = cr.then.remap.empty() ? &nothing : cr.then.remap.data();
      const bool inherits = cr.then.source.kind == source_kind::decision;
      for (size_t w = 0; w < words_; ++w) {
        uint64_t fired = 0;
        for (uint64_t h = active[w] & m.t[w]; h; h &= h - 1) {
          const unsigned j = static_cast<unsigned>(std::countr_zero(h));
          const size_t i = w * 64 + j;
          const uint16_t src = from[i];
          const bool has = src != no_code;
          fired |= static_cast<uint64_t>(has) << j;
          const uint16_t copied = remap[has ? src : 0];
          outcome[i] = has ? copied : outcome[i];
          rule[i] = has ? cr.index : rule[i];
        }
        if (inherits && fired) inherit_missing(cr.then.source.index, decision, w, fired);
        active[w] &= ~fired;
        any |= active[w];
      }
    }
    if (!any) return;
    // Rows no rule decided: the default, or nothing.
    const uint16_t* from = nullptr;
    if (d.fallback && d.fallback->from) from = source_codes(d.fallback->source, active, nullptr);
    for (size_t w = 0; w < words_; ++w) {
      if (!from) {
        fill_rows(outcome + w * 64, active[w], d.fallback ? d.fallback->code : no_code, w);
        fill_rows(rule + w * 64, active[w],
                  d.fallback ? classification::by_default : classification::no_rule, w);
        continue;
      }
      uint64_t copied = 0;
      for (uint64_t a = active[w]; a; a &= a - 1) {
        const unsigned j = static_cast<unsigned>(std::countr_zero(a));
        const size_t i = w * 64 + j;
        uint16_t src = from[i];
        outcome[i] = src == no_code ? no_code : d.fallback->remap[src];
        copied |= static_cast<uint64_t>(src != no_code) << j;
        rule[i] = src == no_code ? classification::no_rule : classification::by_default;
      }
      if (copied && d.fallback->source.kind == source_kind::decision)
        inherit_missing(d.fallback->source.index, decision, w, copied);
    }
  }

  // hit: collect with a list or a count: every rule is tried for the `active` rows, and each
  // row's value is made of the outcomes of all rules that hold (a bit set over the items, or
  // its size). The rule reported is the first that holds; a rule left unknown by a missing
  // value marks the row, since the value could have held more outcomes. Rules give constants.
  void gather(const compiled_decision& d, const uint64_t* active) {
    uint16_t* outcome = vec_outcomes_[d.decision].data();
    uint16_t* rule = vec_rules_[d.decision].data();
    uint16_t sets[kVector];
    uint64_t none[kWords];  // active rows no rule has matched yet
    std::fill_n(sets, n_, uint16_t{0});
    for (size_t w = 0; w < words_; ++w) none[w] = active[w];
    for (const compiled_rule& cr : d.rules) {
      const mask& m = node(cr.node);
      if (p_.nodes[cr.node].can_be_unknown) note_missing(cr, active, m, d.decision);
      const uint16_t bit = static_cast<uint16_t>(1u << cr.then.code);
      for (size_t w = 0; w < words_; ++w) {
        const uint64_t hit = active[w] & m.t[w];
        for (uint64_t h = hit; h; h &= h - 1)
          sets[w * 64 + static_cast<size_t>(std::countr_zero(h))] |= bit;
        fill_rows(rule + w * 64, hit & none[w], cr.index, w);
        none[w] &= ~hit;
      }
    }
    for (size_t w = 0; w < words_; ++w) {
      for (uint64_t a = active[w]; a; a &= a - 1) {
        const size_t i = w * 64 + static_cast<size_t>(std::countr_zero(a));
        outcome[i] = d.counts ? static_cast<uint16_t>(std::popcount(sets[i])) : sets[i];
      }
      if (d.counts) {
        fill_rows(rule + w * 64, none[w], classification::no_rule, w);
        continue;
      }
      fill_rows(outcome + w * 64, none[w], d.fallback ? d.fallback->code : no_code, w);
      fill_rows(rule + w * 64, none[w],
                d.fallback ? classification::by_default : classification::no_rule, w);
    }
  }

  // dst[j] = value for the rows j set in `rows`; dst is word w's 64 rows.
  void fill_rows(uint16_t* dst, uint64_t rows, uint16_t value, size_t w) const {
    if (rows) masked_fill16(dst, rows, value, std::min<size_t>(64, n_ - w * 64));
  }

  // Codes of the value an outcome copies, for the rows `active & t` (t may be null: all
  // active rows). A decision is decided for exactly those rows first.
  const uint16_t* source_codes(value_ref source, const uint64_t* active, const uint64_t* t) {
    if (source.kind != source_kind::decision) return codes_of(source);
    uint64_t want[kWords];
    for (size_t w = 0; w < words_; ++w) want[w] = active[w] & (t ? t[w] : ~uint64_t{0});
    ensure_decision(source.index, want);
    return vec_outcomes_[source.index].data();
  }

  // Missing fields are gathered per decision and field as masks of the vector's rows (a
  // word at a time, however many rules are unknown for a row), and laid out per row, as
  // the classification keeps them, once the vector is done (lay_out_missing).
  uint64_t* missing_rows(size_t decision, uint32_t field) {
    const size_t at = decision * fields_ + field;
    if (!miss_flag_[at]) {
      miss_flag_[at] = 1;
      miss_touched_[decision].push_back(field);
    }
    return miss_rows_[at].w;
  }

  // A value copied from another decision brings along the missing fields that decision
  // was decided with, for the rows `rows` of word w: the copy is as uncertain as its source.
  void inherit_missing(uint32_t source, uint32_t decision, size_t w, uint64_t rows) {
    for (uint32_t f : miss_touched_[source]) {
      const uint64_t from = miss_rows_[source * fields_ + f].w[w] & rows;
      if (from) missing_rows(decision, f)[w] |= from;
    }
  }

  // Rows where the rule is unknown record which of its fields are missing: a word at a time
  // per field, touching only rows that really lack that field.
  void note_missing(const compiled_rule& cr, const uint64_t* active, const mask& m,
                    uint32_t decision) {
    for (size_t w = 0; w < words_; ++w) {
      const uint64_t unknown = active[w] & m.u[w];
      if (!unknown) continue;
      for (uint32_t f : cr.missable_fields) {
        const uint64_t rows = unknown & ~valid_words(f)[w];
        if (rows) missing_rows(decision, f)[w] |= rows;
      }
    }
  }

  // The row masks of decision d's missing fields into its per-row bitsets (bit = field).
  // With 8, 16 or 32 bits per row, an output word holds 8, 4 or 2 rows: a dense mask is
  // spread a group of rows at a time through spread_ (group bits -> one bit per row slot),
  // a sparse one row by row.
  void lay_out_missing(size_t d) {
    const size_t bits = row_bits_;
    uint64_t* out = vec_missing_[d].data();
    const size_t per_word = bits < 64 ? 64 / bits : 0;  // rows per output word
    for (uint32_t f : miss_touched_[d]) {
      const uint64_t* rows = miss_rows_[d * fields_ + f].w;
      for (size_t w = 0; w < words_; ++w) {
        uint64_t r = rows[w];
        if (per_word && std::popcount(r) > 12) {
          uint64_t* o = out + w * bits;  // 64 rows * bits / 64 words
          const uint64_t group = (uint64_t{1} << per_word) - 1;
          for (size_t k = 0; k < bits; ++k, r >>= per_word)
            if (r & group) o[k] |= spread_[r & group] << f;
          continue;
        }
        for (; r; r &= r - 1) {
          const size_t bit = (w * 64 + static_cast<size_t>(std::countr_zero(r))) * bits + f;
          out[bit / 64] |= uint64_t{1} << (bit % 64);
        }
      }
    }
  }

  const program& p_;
  const batch_impl& b_;
  classification& out_;
  size_t start_ = 0, n_ = 0, words_ = 0;
  std::vector<mask> pred_masks_;
  std::vector<uint8_t> pred_done_;
  std::vector<mask> node_masks_;
  std::vector<uint8_t> node_done_;
  std::vector<std::vector<uint16_t>> list_codes_;
  std::vector<uint8_t> list_done_;
  std::vector<std::vector<uint16_t>> set_codes_;
  std::vector<uint8_t> set_done_;
  std::vector<const compiled_decision*> plan_of_;
  struct row_set {
    uint64_t w[kWords];
  };
  std::vector<row_set> decided_;  // per decision: rows of the vector already decided
  // Per decision, the current vector's outcome codes, rule indices and missing-field bits.
  size_t row_bits_ = 8;
  std::vector<std::vector<uint16_t>> vec_outcomes_;
  std::vector<std::vector<uint16_t>> vec_rules_;
  std::vector<std::vector<uint64_t>> vec_missing_;
  // Per decision and field (decision * fields_ + field): the vector's rows decided with that
  // field missing; which fields a decision touched in this vector, and a flag for each.
  size_t fields_ = 0;
  std::vector<row_set> miss_rows_;
  std::vector<std::vector<uint32_t>> miss_touched_;
  std::vector<uint8_t> miss_flag_;
  std::vector<uint64_t> spread_;  // see lay_out_missing
};

// Rows set in both masks. The library is built for any x86-64, where std::popcount is a
// call into libgcc; CPUs with the POPCNT instruction (all but the first x86-64s) get it.
uint64_t count_and_portable(const uint64_t* a, const uint64_t* b, size_t words) {
  uint64_t n = 0;
  for (size_t w = 0; w < words; ++w) n += static_cast<uint64_t>(std::popcount(a[w] & b[w]));
  return n;
}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) uint64_t count_and_popcnt(const uint64_t* a, const uint64_t* b,
                                                            size_t words) {
  uint64_t n = 0;
  for (size_t w = 0; w < words; ++w) n += static_cast<uint64_t>(__builtin_popcountll(a[w] & b[w]));
  return n;
}
bool has_popcnt() {
  __builtin_cpu_init();  // this runs as a static initialiser, maybe before libgcc's own
  return __builtin_cpu_supports("popcnt");
}
const auto count_and = has_popcnt() ? count_and_popcnt : count_and_portable;
#else
const auto count_and = count_and_portable;
#endif

// The coverage pass (see cover() in batch_impl.h). It derives from the executor only to
// reuse its memoised predicate and condition masks (node(), pred()); classify's own loop is
// not involved and stays as it was. A condition that tests a decision's value reads it from
// the classification (take_decided_values).
class coverage_pass : private executor {
 public:
  coverage_pass(const program& p, const batch_impl& b, const classification& c,
                classification& scratch, coverage_counts& out)
      : executor(p, b, scratch), c_(c), counts_(out) {
    const size_t decisions = p.m.decisions.size();
    preds_of_.resize(decisions);
    copies_.assign(decisions, false);
    need_.resize(decisions);
    size_t most_rules = 0;
    for (size_t d = 0; d < decisions; ++d) {
      const decision_info& info = p.m.decisions[d];
      most_rules = std::max(most_rules, info.rules.size());
      for (const rule_info& r : info.rules) {
        std::vector<uint32_t> preds;
        for (const cond_node& n : r.cond.nodes)
          if (n.kind == cond_kind::pred) preds.push_back(n.pred);
        preds_of_[d].push_back(std::move(preds));
        if (copies_helper(r.then)) copies_[d] = true;
      }
      if (info.fallback && copies_helper(*info.fallback)) copies_[d] = true;
    }
    // Each predicate's condition node (nodes are hash-consed: one per predicate). Its mask is
    // read through node(), as classify reads it, and never through pred() directly: another
    // caller of pred() would change how the compiler inlines classify's loop.
    node_of_pred_.assign(p.preds.size(), 0);
    for (size_t i = 0; i < p.nodes.size(); ++i)
      if (p.nodes[i].op == node_op::pred) node_of_pred_[p.nodes[i].pred] = static_cast<uint32_t>(i);
    histogram_.resize(most_rules + 2);
    row_bits_of_result_ = result_access::missing_row_bits(c);
  }

  void run() {
    for (size_t start = 0; start < b_.rows; start += kVector) {
      start_vector(start);
      take_decided_values();
      find_needed_rows();
      for (const compiled_decision& d : p_.plan) count(d);
    }
    counts_.records += b_.rows;
  }

 private:
  // A value copied from a helper that runs only for the rows that copy it.
  bool copies_helper(const outcome& o) const {
    return o.from && o.source.kind == source_kind::decision && !p_.evaluate_always[o.source.index];
  }

  // Of `rows` (word w of the vector), those that decision rule indices `idx` show were still
  // undecided when rule `r` was tried: decided by rule r or later, by the default, or not
  // at all (by_default and no_rule are above every rule index). Only first-hit and unique
  // decisions copy values in rules (ranked and collecting ones give constants), so a rule's
  // index is its place in the chain.
  uint64_t reached(const uint16_t* idx, size_t w, uint64_t rows, size_t r) const {
    uint64_t out = 0;
    for (; rows; rows &= rows - 1) {
      const unsigned j = static_cast<unsigned>(std::countr_zero(rows));
      if (idx[w * 64 + j] >= r) out |= uint64_t{1} << j;
    }
    return out;
  }

  // A condition may test a decision's value (outputs, and helpers tested so, which are
  // decided for every row). Those values are taken from the classification and the
  // decisions marked decided for the whole vector, so the executor's codes_of() reads them
  // instead of deciding the decisions again.
  void take_decided_values() {
    const size_t rows = n_;
    for (size_t d = 0; d < p_.m.decisions.size(); ++d) {
      if (!p_.evaluate_always[d]) continue;
      std::memcpy(vec_outcomes_[d].data(), c_.outcome_codes(d) + start_, rows * sizeof(uint16_t));
      for (size_t w = 0; w < words_; ++w) decided_[d].w[w] = row_mask(w);
    }
  }

  // The rows each decision was decided for in this vector. Outputs and helpers tested by
  // conditions: every row. Other helpers: the rows for which a rule copying their value was
  // reached with a true condition, or the copying default was reached (what the executor's
  // ensure_decision asks for), found from the classification's rule indices, dependents
  // before the helpers they copy (the plan in reverse).
  void find_needed_rows() {
    for (size_t d = 0; d < need_.size(); ++d)
      for (size_t w = 0; w < words_; ++w) need_[d].w[w] = p_.evaluate_always[d] ? row_mask(w) : 0;
    for (auto it = p_.plan.rbegin(); it != p_.plan.rend(); ++it) {
      const compiled_decision& d = *it;
      if (!copies_[d.decision]) continue;
      const uint64_t* need = need_[d.decision].w;
      uint64_t any = 0;
      for (size_t w = 0; w < words_; ++w) any |= need[w];
      if (!any) continue;
      const uint16_t* idx = result_access::rule_indices(c_, d.decision) + start_;
      for (size_t r = 0; r < d.rules.size(); ++r) {
        const compiled_rule& cr = d.rules[r];
        if (!copies_helper(cr.then)) continue;
        const mask& m = node(cr.node);
        uint64_t* helper = need_[cr.then.source.index].w;
        for (size_t w = 0; w < words_; ++w) helper[w] |= reached(idx, w, need[w] & m.t[w], r);
      }
      if (d.fallback && copies_helper(*d.fallback)) {
        uint64_t* helper = need_[d.fallback->source.index].w;
        for (size_t w = 0; w < words_; ++w) helper[w] |= reached(idx, w, need[w], d.rules.size());
      }
    }
  }

  static uint64_t count_in(const uint64_t* a, const uint64_t* rows, size_t words) {
    return count_and(a, rows, words);
  }

  void count(const compiled_decision& d) {
    const uint64_t* need = need_[d.decision].w;
    uint64_t rows = 0;
    for (size_t w = 0; w < words_; ++w) rows += static_cast<uint64_t>(std::popcount(need[w]));
    if (rows == 0) return;
    coverage_counts::decision& out = counts_.decisions[d.decision];
    out.rows += rows;
    // Conditions: popcounts of the T and U masks over the rows decided.
    for (const compiled_rule& cr : d.rules) {
      coverage_counts::rule& rc = out.rules[cr.index];
      const mask& m = node(cr.node);
      rc.t += count_in(m.t, need, words_);
      rc.u += count_in(m.u, need, words_);
      // Every rule that holds adds its outcome to a collected value.
      if (d.gathers) rc.won += count_in(m.t, need, words_);
      const std::vector<uint32_t>& preds = preds_of_[d.decision][cr.index];
      for (size_t k = 0; k < preds.size(); ++k) {
        const mask& pm = node(node_of_pred_[preds[k]]);
        rc.pred_t[k] += count_in(pm.t, need, words_);
        rc.pred_u[k] += count_in(pm.u, need, words_);
      }
    }
    // Winners and defaults: a histogram of the classification's rule indices.
    const uint16_t* idx = result_access::rule_indices(c_, d.decision) + start_;
    const size_t n_rules = d.rules.size();
    std::fill_n(histogram_.begin(), n_rules + 2, 0);
    auto slot = [n_rules](uint16_t x) -> size_t {
      return x < n_rules ? x : n_rules + (x == classification::by_default ? 0 : 1);
    };
    if (rows == n_) {
      for (size_t i = 0; i < n_; ++i) ++histogram_[slot(idx[i])];
    } else {
      for (size_t w = 0; w < words_; ++w)
        for (uint64_t b = need[w]; b; b &= b - 1)
          ++histogram_[slot(idx[w * 64 + static_cast<size_t>(std::countr_zero(b))])];
    }
    if (!d.gathers)
      for (size_t r = 0; r < n_rules; ++r) out.rules[r].won += histogram_[r];
    out.by_default += histogram_[n_rules];
    out.no_outcome += histogram_[n_rules + 1];
    out.with_missing += rows_with_missing(d.decision, need);
  }

  // Rows of `need` that the classification shows decided with missing data.
  uint64_t rows_with_missing(uint32_t decision, const uint64_t* need) const {
    const uint64_t* bits = result_access::missing_bits(c_, decision);
    const size_t rb = row_bits_of_result_;
    uint64_t n = 0;
    for (size_t w = 0; w < words_; ++w) {
      for (uint64_t b = need[w]; b; b &= b - 1) {
        const size_t row = start_ + w * 64 + static_cast<size_t>(std::countr_zero(b));
        const size_t first = row * rb;
        bool any = false;
        if (rb >= 64) {
          for (size_t k = 0; k < rb / 64 && !any; ++k) any = bits[first / 64 + k] != 0;
        } else {
          any = ((bits[first / 64] >> (first % 64)) & ((uint64_t{1} << rb) - 1)) != 0;
        }
        n += any;
      }
    }
    return n;
  }

  const classification& c_;
  coverage_counts& counts_;
  std::vector<std::vector<std::vector<uint32_t>>> preds_of_;  // decision -> rule -> predicates
  std::vector<bool> copies_;   // per decision: some rule or the default copies from a helper
  std::vector<row_set> need_;  // per decision: rows of the vector it was decided for
  std::vector<uint32_t> node_of_pred_;
  std::vector<uint64_t> histogram_;
  size_t row_bits_of_result_ = 8;
};

}  // namespace

void execute(const program& p, const batch_impl& b, classification& out) {
  executor e(p, b, out);
  e.run();
}

coverage_counts make_coverage_counts(const program& p) {
  coverage_counts out;
  out.decisions.resize(p.m.decisions.size());
  for (size_t d = 0; d < p.m.decisions.size(); ++d) {
    for (const rule_info& r : p.m.decisions[d].rules) {
      coverage_counts::rule rc;
      size_t preds = 0;
      for (const cond_node& n : r.cond.nodes) preds += n.kind == cond_kind::pred;
      rc.pred_t.assign(preds, 0);
      rc.pred_u.assign(preds, 0);
      out.decisions[d].rules.push_back(std::move(rc));
    }
  }
  return out;
}

void cover(const program& p, const batch_impl& b, const classification& c, coverage_counts& out) {
  // The executor's vectors of decided values need a classification to size their
  // missing-field bits by; an empty one of the same program does.
  classification scratch;
  result_access::prepare(scratch, b.prog, 0);
  coverage_pass pass(p, b, c, scratch, out);
  pass.run();
}

}  // namespace chanrules::detail
