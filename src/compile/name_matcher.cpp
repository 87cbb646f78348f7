// Aho-Corasick construction for name_matcher.
#include "compile/name_matcher.h"

#include <algorithm>
#include <deque>
#include <stdexcept>

namespace chanrules::detail {

namespace {

// ASCII byte for a full-width form (EF BC 81..BF, EF BD 80..9E) or the ideographic space
// (E3 80 80), else 0.
unsigned fold_wide(unsigned a, unsigned b, unsigned c) {
  if (a == 0xE3 && b == 0x80 && c == 0x80) return ' ';
  if (a != 0xEF) return 0;
  if (b == 0xBC && c >= 0x81 && c <= 0xBF) return 0x21 + (c - 0x81);
  if (b == 0xBD && c >= 0x80 && c <= 0x9E) return 0x60 + (c - 0x80);
  return 0;
}

}  // namespace

std::string name_matcher::normalize(std::string_view text) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned c = *p;
    if ((c == 0xEF || c == 0xE3) && end - p >= 3) {
      unsigned folded = fold_wide(p[0], p[1], p[2]);
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
  // 1. Aho-Corasick over normalized bytes (the reference semantics): trie, failure links,
  //    complete transition function `go_to`, and per state the smallest entry matched.
  std::vector<std::vector<int32_t>> trie(1, std::vector<int32_t>(256, -1));
  std::vector<uint32_t> out(1, kNone);
  for (size_t entry = 0; entry < aliases.size(); ++entry) {
    for (const std::string& alias : aliases[entry]) {
      std::string norm = normalize(alias);
      if (norm.empty()) continue;
      uint32_t s = 0;
      for (unsigned char c : norm) {
        if (trie[s][c] < 0) {
          trie[s][c] = static_cast<int32_t>(trie.size());
          trie.emplace_back(256, -1);
          out.push_back(kNone);
        }
        s = static_cast<uint32_t>(trie[s][c]);
      }
      out[s] = std::min<uint32_t>(out[s], static_cast<uint32_t>(std::min<size_t>(entry, kNone - 1)));
    }
  }
  if (aliases.size() >= kNone) throw std::length_error("a named set holds at most 4094 entries");
  const size_t n = trie.size();
  std::vector<uint32_t> go_to(n * 256, 0), fail(n, 0);
  std::deque<uint32_t> queue;
  for (unsigned c = 0; c < 256; ++c)
    if (trie[0][c] >= 0) {
      go_to[c] = static_cast<uint32_t>(trie[0][c]);
      queue.push_back(go_to[c]);
    }
  while (!queue.empty()) {
    uint32_t s = queue.front();
    queue.pop_front();
    out[s] = std::min(out[s], out[fail[s]]);
    for (unsigned c = 0; c < 256; ++c) {
      int32_t t = trie[s][c];
      if (t >= 0) {
        fail[static_cast<size_t>(t)] = go_to[fail[s] * 256 + c];
        go_to[s * 256 + c] = static_cast<uint32_t>(t);
        queue.push_back(static_cast<uint32_t>(t));
      } else {
        go_to[s * 256 + c] = go_to[fail[s] * 256 + c];
      }
    }
  }
  // Lower-case letters in the text read like their upper-case forms were never there:
  // normalized aliases are lower case, so map 'A'..'Z' onto 'a'..'z'.
  auto step_norm = [&](uint32_t s, unsigned c) {
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    return go_to[s * 256 + c];
  };

  // 2. The raw-byte automaton. Its states are (state, pending prefix) pairs; prefixes are
  //    the starts of the three-byte sequences that fold: EF, EF BC, EF BD, E3, E3 80.
  //    A prefix that turns out not to fold is replayed byte by byte, as the on-the-fly
  //    normalizer in normalize() does.
  enum prefix : uint32_t { none, ef, ef_bc, ef_bd, e3, e3_80, prefixes };
  const std::vector<std::vector<unsigned>> bytes_of = {{}, {0xEF}, {0xEF, 0xBC}, {0xEF, 0xBD},
                                                       {0xE3}, {0xE3, 0x80}};
  states_ = n * prefixes;
  if (states_ * 256 > kStateMask) throw std::length_error("named set too large for its automaton");
  auto id = [&](uint32_t s, uint32_t pre) { return static_cast<uint32_t>(s * prefixes + pre); };
  delta_.assign(states_ * 256, 0);
  for (uint32_t s = 0; s < n; ++s) {
    for (uint32_t pre = none; pre < prefixes; ++pre) {
      for (unsigned b = 0; b < 256; ++b) {
        uint32_t next_state, next_pre = none, best = kNone;
        std::vector<unsigned> pending = bytes_of[pre];
        pending.push_back(b);
        // Does the pending sequence stay a possible fold prefix, or complete one?
        if (pending.size() == 1 && (b == 0xEF || b == 0xE3)) {
          next_state = s;
          next_pre = b == 0xEF ? ef : e3;
        } else if (pending.size() == 2 &&
                   ((pending[0] == 0xEF && (b == 0xBC || b == 0xBD)) ||
                    (pending[0] == 0xE3 && b == 0x80))) {
          next_state = s;
          next_pre = pending[0] == 0xE3 ? e3_80 : (b == 0xBC ? ef_bc : ef_bd);
        } else if (pending.size() == 3 && fold_wide(pending[0], pending[1], pending[2]) != 0) {
          next_state = step_norm(s, fold_wide(pending[0], pending[1], pending[2]));
          best = out[next_state];
        } else {
          // Not a fold: every pending byte is an ordinary byte. The last one may itself
          // start a new fold prefix.
          next_state = s;
          size_t count = pending.size();
          bool restart = (b == 0xEF || b == 0xE3) && count > 1;
          if (restart) --count;
          for (size_t i = 0; i < count; ++i) {
            next_state = step_norm(next_state, pending[i]);
            best = std::min(best, out[next_state]);
          }
          if (restart) next_pre = b == 0xEF ? ef : e3;
        }
        delta_[id(s, pre) * 256 + b] = (id(next_state, next_pre) * 256) | (best << kOutputShift);
      }
    }
  }
}

void name_matcher::match_many(const char* arena, const uint32_t* offsets, const uint32_t* lengths,
                              const bool* present, size_t count, uint16_t* out) const {
  constexpr size_t kLanes = 8;
  const uint32_t* delta = delta_.data();
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const unsigned char* p[kLanes];
    size_t len[kLanes];
    uint32_t state[kLanes], best[kLanes];
    size_t common = SIZE_MAX;
    for (size_t l = 0; l < kLanes; ++l) {
      p[l] = reinterpret_cast<const unsigned char*>(arena) + offsets[i + l];
      len[l] = present[i + l] ? lengths[i + l] : 0;
      common = std::min(common, len[l]);
      state[l] = 0;
      best[l] = kNone;
    }
    // Lock-step over the length all eight share: no per-lane checks, eight independent
    // chains of table loads in flight.
    for (size_t k = 0; k < common; ++k) {
      for (size_t l = 0; l < kLanes; ++l) {
        uint32_t e = delta[state[l] + p[l][k]];
        state[l] = e & kStateMask;
        best[l] = std::min(best[l], e >> kOutputShift);
      }
    }
    for (size_t l = 0; l < kLanes; ++l) {
      uint32_t st = state[l], b = best[l];
      for (size_t k = common; k < len[l]; ++k) {
        uint32_t e = delta[st + p[l][k]];
        st = e & kStateMask;
        b = std::min(b, e >> kOutputShift);
      }
      out[i + l] = b == kNone ? no_match : static_cast<uint16_t>(b);
    }
  }
  for (; i < count; ++i)
    out[i] = present[i] ? match(std::string_view(arena + offsets[i], lengths[i])) : no_match;
}

}  // namespace chanrules::detail
