// Named-set matching: does a name contain one of the aliases, and which entry wins?
//
// Compiled to an Aho-Corasick automaton over UTF-8 bytes, as a dense transition table, so a
// name is matched in one pass whatever the number of aliases. Matching ignores the case of
// Latin letters (folded into the table: 'G' and 'g' lead to the same state) and reads
// full-width forms U+FF01..U+FF5E and the ideographic space U+3000 as their ASCII forms
// (decoded on the fly: they are three-byte sequences starting 0xEF / 0xE3).
// Each state knows the smallest entry index among all aliases ending there, so ties go to
// the entry declared first.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules::detail {

class name_matcher {
 public:
  static constexpr uint16_t no_match = 0xFFFF;

  // The automaton's limits. The checker refuses a named set over the first two (E-limit at
  // the set, see check_named_sets), which it can tell cheaply with automaton_states(); the
  // third is known only once the automaton is built and minimised.
  //  entries: a cell holds the entry matched in 12 bits, one value meaning "none".
  static constexpr size_t max_entries = 4094;
  //  states before minimisation: 6 per node of the trie of normalized aliases (the root
  //  and one per distinct beginning of an alias), each with a 256-cell row.
  static constexpr size_t max_states = 65536;
  static constexpr size_t states_per_node = 6;
  //  cells of the minimised table (states x byte classes): a cell holds the next state's
  //  offset in 20 bits.
  static constexpr size_t max_cells = (size_t{1} << 20) - 1;

  // What the constructor throws for aliases over a limit: which one, the value that is too
  // large, and the aliases' fingerprint() so that a caller that knows where each set came
  // from can tell which one it was.
  class limit_error : public std::length_error {
   public:
    enum class limit : uint8_t { entries, states, cells };
    limit_error(limit which, size_t value, uint64_t fingerprint, const std::string& what)
        : std::length_error(what), which(which), value(value), fingerprint(fingerprint) {}
    limit which;
    size_t value;
    uint64_t fingerprint;
  };

  // aliases[entry] = the texts that select that entry. Throws limit_error when they exceed
  // a limit above; the entries and states are checked before anything large is allocated.
  explicit name_matcher(const std::vector<std::vector<std::string>>& aliases);

  // States of the automaton before minimisation (states_per_node per trie node), from the
  // aliases alone: 1 + the distinct non-empty beginnings of the normalized aliases, times
  // states_per_node. Cheap (a sort), so the checker can refuse a set before it is built.
  static size_t automaton_states(const std::vector<std::vector<std::string>>& aliases);

  // A hash of the aliases (entries, their order, every byte), as carried by limit_error.
  static uint64_t fingerprint(const std::vector<std::vector<std::string>>& aliases);
  name_matcher() = default;

  // Entry index of the first-declared entry one of whose aliases occurs in `text`.
  uint16_t match(std::string_view text) const {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    uint32_t state = 0, best = kNone;
    for (size_t i = 0; i < text.size(); ++i) {
      uint32_t e = delta_[state + class_of_[p[i]]];
      state = e & kStateMask;
      best = std::min(best, kNone - (e >> kOutputShift));
      if (best == 0) break;  // the first entry cannot be beaten
    }
    return best == kNone ? no_match : static_cast<uint16_t>(best);
  }

  // Matches many texts at once: texts[i] = arena[offsets[i], offsets[i] + lengths[i]),
  // skipped (no_match) where `present` is false. Eight texts are scanned in lock-step, so
  // the automaton's dependent table loads of one text overlap with the others'.
  // `arena_size` bounds the arena: the prefilter reads a little past each text and must not
  // read past the arena.
  void match_many(const char* arena, size_t arena_size, const uint32_t* offsets,
                  const uint32_t* lengths, const bool* present, size_t count, uint16_t* out) const;

  // True when the SIMD prefilter is in use (see prefilter_).
  bool has_prefilter() const { return prefilter_; }

  size_t states() const { return states_; }
  size_t byte_classes() const { return classes_; }

  // The folding applied to text before matching (exposed for tests and explanations).
  static std::string normalize(std::string_view text);

 private:
  static constexpr uint32_t kOutputShift = 20;
  static constexpr uint32_t kStateMask = (1u << kOutputShift) - 1;
  static constexpr uint32_t kNone = 0xFFF;  // no entry matched
  // A cell's output bits hold kNone - entry, so "no entry" is 0 and ORing cells tells
  // whether anything matched at all.

  // The automaton reads raw UTF-8 bytes, one transition per byte, with no branches: case
  // folding is in the table, and full-width forms are folded by extra states that remember
  // a pending EF / EF BC / EF BD / E3 / E3 80 prefix. Bytes that every state treats alike
  // share a class (class_of_), which shrinks the table by an order of magnitude so it stays
  // in cache. Each cell holds the next state's offset (state * classes) in the low 20 bits
  // and, in the high 12 bits, kNone minus the smallest entry matched on arriving there.
  uint8_t class_of_[256] = {};
  std::vector<uint32_t> delta_;

  // Prefilter (Hyperscan's "Teddy" idea): every spelling of every alias (case and full-width
  // variants included) starts with one of a few 2- or 3-byte prefixes. Nibble tables tell,
  // 32 positions at a time with vpshufb, where such a prefix may start; a text with no
  // candidate position cannot match and skips the automaton. Prefixes are spread over 8
  // buckets (a bit each); a false candidate only costs an automaton run.
  bool prefilter_ = false;
  alignas(32) uint8_t prefix_lo_[3][32] = {};
  alignas(32) uint8_t prefix_hi_[3][32] = {};
  // The prefilter for a text near the end of the arena (scanned from a padded copy).
  bool prefiltered(const char* arena, size_t arena_size, uint32_t offset, uint32_t length) const;
  void prefilter_many(const char* arena, size_t arena_size, const uint32_t* offsets,
                      const uint32_t* lengths, const bool* present, size_t count, bool* scan) const;
  void build_prefilter(const std::vector<std::vector<std::string>>& aliases);
  size_t states_ = 0;
  size_t classes_ = 0;
};

}  // namespace chanrules::detail
