// Aho-Corasick construction for name_matcher.
#include "compile/name_matcher.h"

#include <algorithm>
#include <deque>

namespace chanrules::detail {

std::string name_matcher::normalize(std::string_view text) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
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
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    out += static_cast<char>(c);
  }
  return out;
}

name_matcher::name_matcher(const std::vector<std::vector<std::string>>& aliases) {
  // Trie over normalized (lower-case) bytes.
  std::vector<std::vector<int32_t>> go(1, std::vector<int32_t>(256, -1));
  output_.assign(1, no_match);
  for (size_t entry = 0; entry < aliases.size(); ++entry) {
    for (const std::string& alias : aliases[entry]) {
      std::string norm = normalize(alias);
      if (norm.empty()) continue;
      uint32_t s = 0;
      for (unsigned char c : norm) {
        if (go[s][c] < 0) {
          go[s][c] = static_cast<int32_t>(go.size());
          go.emplace_back(256, -1);
          output_.push_back(no_match);
        }
        s = static_cast<uint32_t>(go[s][c]);
      }
      output_[s] = std::min<uint16_t>(output_[s], static_cast<uint16_t>(entry));
    }
  }
  // Breadth-first: failure links, inherited outputs, full transition table.
  size_t n = go.size();
  std::vector<uint32_t> fail(n, 0);
  delta_.assign(n * 256, 0);
  std::deque<uint32_t> queue;
  for (unsigned c = 0; c < 256; ++c) {
    if (go[0][c] >= 0) {
      delta_[c] = static_cast<uint32_t>(go[0][c]);
      fail[static_cast<size_t>(go[0][c])] = 0;
      queue.push_back(static_cast<uint32_t>(go[0][c]));
    } else {
      delta_[c] = 0;
    }
  }
  while (!queue.empty()) {
    uint32_t s = queue.front();
    queue.pop_front();
    output_[s] = std::min(output_[s], output_[fail[s]]);
    for (unsigned c = 0; c < 256; ++c) {
      int32_t t = go[s][c];
      if (t >= 0) {
        fail[static_cast<size_t>(t)] = delta_[fail[s] * 256 + c];
        delta_[s * 256 + c] = static_cast<uint32_t>(t);
        queue.push_back(static_cast<uint32_t>(t));
      } else {
        delta_[s * 256 + c] = delta_[fail[s] * 256 + c];
      }
    }
  }
  // Case folding of the input: upper-case letters move like their lower-case forms.
  for (size_t s = 0; s < n; ++s)
    for (unsigned c = 'A'; c <= 'Z'; ++c) delta_[s * 256 + c] = delta_[s * 256 + c + ('a' - 'A')];
}

}  // namespace chanrules::detail
