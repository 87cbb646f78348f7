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

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules::detail {

class name_matcher {
 public:
  static constexpr uint16_t no_match = 0xFFFF;

  // aliases[entry] = the texts that select that entry.
  explicit name_matcher(const std::vector<std::vector<std::string>>& aliases);
  name_matcher() = default;

  // Entry index of the first-declared entry one of whose aliases occurs in `text`.
  uint16_t match(std::string_view text) const {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    uint32_t state = 0;
    uint16_t best = no_match;
    while (p < end) {
      unsigned c = *p;
      if ((c == 0xEF || c == 0xE3) && end - p >= 3) {
        unsigned folded = fold_wide(p);
        if (folded != 0) {
          c = folded;
          p += 2;
        }
      }
      ++p;
      state = delta_[state * 256 + c];
      uint16_t out = output_[state];
      if (out < best) {
        best = out;
        if (best == 0) break;
      }
    }
    return best;
  }

  size_t states() const { return output_.size(); }

  // The folding applied to text before matching (exposed for tests and explanations).
  static std::string normalize(std::string_view text);

 private:
  // ASCII byte for a full-width form or ideographic space at p (3 bytes), else 0.
  static unsigned fold_wide(const unsigned char* p) {
    if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) return ' ';
    if (p[0] != 0xEF) return 0;
    // U+FF01..U+FF3F: EF BC 81..BF; U+FF40..U+FF5E: EF BD 80..9E
    if (p[1] == 0xBC && p[2] >= 0x81 && p[2] <= 0xBF) return 0x21 + (p[2] - 0x81);
    if (p[1] == 0xBD && p[2] >= 0x80 && p[2] <= 0x9E) return 0x60 + (p[2] - 0x80);
    return 0;
  }

  std::vector<uint32_t> delta_;    // states * 256
  std::vector<uint16_t> output_;   // per state: smallest entry matched here, or no_match
};

}  // namespace chanrules::detail
