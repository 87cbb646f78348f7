// Aho-Corasick construction for name_matcher.
#include "compile/name_matcher.h"

#include <algorithm>
#include <cstring>

#include "exec/kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <deque>
#include <map>
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

namespace {

// Raw spellings of one normalized character (lower-case ASCII or any other UTF-8 character).
std::vector<std::string> spellings(std::string_view ch) {
  std::vector<std::string> out = {std::string(ch)};
  if (ch.size() != 1) return out;
  unsigned c = static_cast<unsigned char>(ch[0]);
  auto wide = [](unsigned ascii) {
    unsigned cp = 0xFF01 + (ascii - 0x21);  // U+FF01..U+FF5E
    std::string s;
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
    return s;
  };
  if (c == ' ') out.push_back("\xE3\x80\x80");
  if (c >= 0x21 && c <= 0x7E) out.push_back(wide(c));
  if (c >= 'a' && c <= 'z') {
    out.push_back(std::string(1, static_cast<char>(c - 'a' + 'A')));
    out.push_back(wide(c - 'a' + 'A'));
  }
  return out;
}

// Every raw prefix (up to 3 bytes) that a spelling of `alias` can start with.
void raw_prefixes(const std::vector<std::string>& chars, size_t at, std::string so_far,
                  std::vector<std::string>& out) {
  if (so_far.size() >= 3 || at == chars.size()) {
    out.push_back(so_far.substr(0, 3));
    return;
  }
  for (const std::string& s : spellings(chars[at])) raw_prefixes(chars, at + 1, so_far + s, out);
}

}  // namespace

bool name_matcher::prefiltered(const char* arena, size_t arena_size, uint32_t offset,
                               uint32_t length) const {
  // The vector loads read up to 34 bytes past the start of a 32-byte block; near the end of
  // the arena the text is scanned from a padded copy.
  if (length > 4096) return true;  // rare: let the automaton decide
  alignas(32) char padded[4096 + 64] = {};
  std::memcpy(padded, arena + std::min<size_t>(offset, arena_size), length);
  const uint32_t zero = 0;
  const bool yes = true;
  bool scan = true;
  prefilter_many(padded, sizeof padded, &zero, &length, &yes, 1, &scan);
  return scan;
}

void name_matcher::build_prefilter(const std::vector<std::vector<std::string>>& aliases) {
  std::vector<std::string> prefixes;
  for (const auto& entry : aliases)
    for (const std::string& alias : entry) {
      std::string norm = normalize(alias);
      if (norm.empty()) continue;
      std::vector<std::string> chars;
      for (size_t i = 0; i < norm.size();) {
        unsigned char c = static_cast<unsigned char>(norm[i]);
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        chars.push_back(norm.substr(i, len));
        i += len;
      }
      raw_prefixes(chars, 0, "", prefixes);
    }
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  // One-byte prefixes (a one-letter alias) would make almost every position a candidate.
  if (prefixes.empty() || prefixes.size() > 64) return;
  for (const std::string& prefix : prefixes)
    if (prefix.size() < 2) return;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const uint8_t bucket = static_cast<uint8_t>(1u << (i % 8));
    for (size_t j = 0; j < 3; ++j) {
      if (j < prefixes[i].size()) {
        unsigned c = static_cast<unsigned char>(prefixes[i][j]);
        prefix_lo_[j][c & 15] |= bucket;
        prefix_lo_[j][16 + (c & 15)] |= bucket;
        prefix_hi_[j][c >> 4] |= bucket;
        prefix_hi_[j][16 + (c >> 4)] |= bucket;
      } else {
        for (size_t k = 0; k < 32; ++k) {
          prefix_lo_[j][k] |= bucket;
          prefix_hi_[j][k] |= bucket;
        }
      }
    }
  }
  prefilter_ = kernels_use_avx2();
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
namespace {
// Bucket bits of the prefixes whose byte at this offset can be q[k], for 32 positions.
__attribute__((target("avx2"))) inline __m256i nibble_lookup(const unsigned char* q, __m256i lo,
                                                             __m256i hi, __m256i low4) {
  __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
  __m256i l = _mm256_shuffle_epi8(lo, _mm256_and_si256(v, low4));
  __m256i h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
  return _mm256_and_si256(l, h);
}
}  // namespace

// scan[i] = text i is present and a prefix may start in it, 32 positions per step, the
// nibble tables loaded once for all texts.
__attribute__((target("avx2"))) void name_matcher::prefilter_many(
    const char* arena, size_t arena_size, const uint32_t* offsets, const uint32_t* lengths,
    const bool* present, size_t count, bool* scan) const {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i lo0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(prefix_lo_[0]));
  const __m256i lo1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(prefix_lo_[1]));
  const __m256i lo2 = _mm256_load_si256(reinterpret_cast<const __m256i*>(prefix_lo_[2]));
  const __m256i hi0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(prefix_hi_[0]));
  const __m256i hi1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(prefix_hi_[1]));
  const __m256i hi2 = _mm256_load_si256(reinterpret_cast<const __m256i*>(prefix_hi_[2]));
  const unsigned char* base = reinterpret_cast<const unsigned char*>(arena);
  for (size_t i = 0; i < count; ++i) {
    if (!present[i]) {
      scan[i] = false;
      continue;
    }
    const size_t len = lengths[i];
    const size_t reach = (len + 31) / 32 * 32 + 34;
    if (static_cast<size_t>(offsets[i]) + reach > arena_size) {
      scan[i] = prefiltered(arena, arena_size, offsets[i], lengths[i]);  // near the end
      continue;
    }
    const unsigned char* text = base + offsets[i];
    const size_t starts = len >= 2 ? len - 1 : 0;
    bool hit = false;
    for (size_t at = 0; at < starts && !hit; at += 32) {
      __m256i r = _mm256_and_si256(nibble_lookup(text + at, lo0, hi0, low4),
                                   nibble_lookup(text + at + 1, lo1, hi1, low4));
      r = _mm256_and_si256(r, nibble_lookup(text + at + 2, lo2, hi2, low4));
      uint32_t candidates = ~static_cast<uint32_t>(
          _mm256_movemask_epi8(_mm256_cmpeq_epi8(r, _mm256_setzero_si256())));
      size_t left = starts - at;
      if (left < 32) candidates &= (1u << left) - 1;
      hit = candidates != 0;
    }
    scan[i] = hit;
  }
}
#else
void name_matcher::prefilter_many(const char*, size_t, const uint32_t*, const uint32_t*,
                                  const bool* present, size_t count, bool* scan) const {
  for (size_t i = 0; i < count; ++i) scan[i] = present[i];
}
#endif

size_t name_matcher::automaton_states(const std::vector<std::vector<std::string>>& aliases) {
  // The trie's nodes are the root and the distinct non-empty prefixes of the aliases; in
  // sorted order, each alias adds the prefixes longer than what it shares with the one
  // before.
  std::vector<std::string> sorted;
  for (const auto& entry : aliases)
    for (const std::string& alias : entry)
      if (std::string norm = normalize(alias); !norm.empty()) sorted.push_back(std::move(norm));
  std::sort(sorted.begin(), sorted.end());
  size_t nodes = 1;
  const std::string* prev = nullptr;
  for (const std::string& a : sorted) {
    size_t common = 0;
    if (prev) {
      const size_t n = std::min(a.size(), prev->size());
      while (common < n && a[common] == (*prev)[common]) ++common;
    }
    nodes += a.size() - common;
    prev = &a;
  }
  return nodes * states_per_node;
}

uint64_t name_matcher::fingerprint(const std::vector<std::vector<std::string>>& aliases) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, over lengths and bytes
  auto mix = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 0x100000001b3ULL;
    }
  };
  mix(aliases.size());
  for (const auto& entry : aliases) {
    mix(entry.size());
    for (const std::string& alias : entry) {
      mix(alias.size());
      for (unsigned char c : alias) {
        h ^= c;
        h *= 0x100000001b3ULL;
      }
    }
  }
  return h;
}

name_matcher::name_matcher(const std::vector<std::vector<std::string>>& aliases) {
  // 0. The limits that do not need the automaton, before the trie (1 KiB per node) is built:
  //    a hostile set must not exhaust memory here. The checker has refused such sets
  //    already; this guards every other caller.
  if (aliases.size() > max_entries)
    throw limit_error(limit_error::limit::entries, aliases.size(), fingerprint(aliases),
                      "a named set holds at most " + std::to_string(max_entries) +
                          " entries; this one has " + std::to_string(aliases.size()));
  if (size_t states = automaton_states(aliases); states > max_states)
    throw limit_error(limit_error::limit::states, states, fingerprint(aliases),
                      "the automaton needs " + std::to_string(states) +
                          " states before minimisation; the limit is " +
                          std::to_string(max_states));

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
      out[s] =
          std::min<uint32_t>(out[s], static_cast<uint32_t>(std::min<size_t>(entry, kNone - 1)));
    }
  }
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
  const std::vector<std::vector<unsigned>> bytes_of = {{},           {0xEF}, {0xEF, 0xBC},
                                                       {0xEF, 0xBD}, {0xE3}, {0xE3, 0x80}};
  states_ = n * prefixes;  // at most max_states (checked above)
  static_assert(prefixes == states_per_node && max_entries == kNone - 1 && max_cells == kStateMask);
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
        } else if (pending.size() == 2 && ((pending[0] == 0xEF && (b == 0xBC || b == 0xBD)) ||
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
        delta_[id(s, pre) * 256 + b] = id(next_state, next_pre) | (best << kOutputShift);
      }
    }
  }
  // 3. Byte classes: bytes whose column (transition from every state) is identical.
  std::map<std::vector<uint32_t>, uint8_t> class_of_column;
  std::vector<unsigned> representative;
  for (unsigned b = 0; b < 256; ++b) {
    std::vector<uint32_t> column(states_);
    for (size_t st = 0; st < states_; ++st) column[st] = delta_[st * 256 + b];
    auto [it, inserted] =
        class_of_column.emplace(std::move(column), static_cast<uint8_t>(representative.size()));
    if (inserted) representative.push_back(b);
    class_of_[b] = it->second;
  }
  classes_ = representative.size();

  // 4. Minimise the states (Moore's partition refinement; outputs sit on transitions): two
  //    states are merged when, for every class, their transitions emit the same output and
  //    lead to merged states. The prefix states mostly collapse, which keeps the table small.
  std::vector<uint32_t> block(states_, 0);
  size_t blocks = 1;
  for (;;) {
    std::map<std::vector<uint32_t>, uint32_t> signature_block;
    std::vector<uint32_t> next_block(states_);
    for (size_t st = 0; st < states_; ++st) {
      std::vector<uint32_t> sig;
      sig.reserve(2 * classes_ + 1);
      sig.push_back(block[st]);
      for (size_t c = 0; c < classes_; ++c) {
        uint32_t cell = delta_[st * 256 + representative[c]];
        sig.push_back(cell >> kOutputShift);
        sig.push_back(block[cell & kStateMask]);
      }
      auto [it, inserted] =
          signature_block.emplace(std::move(sig), static_cast<uint32_t>(signature_block.size()));
      next_block[st] = it->second;
    }
    block.swap(next_block);
    if (signature_block.size() == blocks) break;
    blocks = signature_block.size();
  }
  // Renumber so the start state (state 0, prefix none) is block 0.
  std::vector<uint32_t> renumber(blocks, UINT32_MAX);
  std::vector<size_t> member(blocks);
  uint32_t next_id = 0;
  renumber[block[0]] = next_id++;
  member[0] = 0;
  for (size_t st = 0; st < states_; ++st)
    if (renumber[block[st]] == UINT32_MAX) {
      member[next_id] = st;
      renumber[block[st]] = next_id++;
    }
  states_ = blocks;
  if (states_ * classes_ > max_cells)
    throw limit_error(limit_error::limit::cells, states_ * classes_, fingerprint(aliases),
                      "the minimised automaton has " + std::to_string(states_) + " states x " +
                          std::to_string(classes_) +
                          " byte classes = " + std::to_string(states_ * classes_) +
                          " table cells; the limit is " + std::to_string(max_cells));
  std::vector<uint32_t> compact(states_ * classes_);
  for (size_t st = 0; st < states_; ++st)
    for (size_t c = 0; c < classes_; ++c) {
      uint32_t cell = delta_[member[st] * 256 + representative[c]];
      uint32_t next = renumber[block[cell & kStateMask]];
      uint32_t entry = cell >> kOutputShift;
      compact[st * classes_ + c] =
          static_cast<uint32_t>(next * classes_) | ((kNone - entry) << kOutputShift);
    }
  delta_ = std::move(compact);
  build_prefilter(aliases);
}

void name_matcher::match_many(const char* arena, size_t arena_size, const uint32_t* offsets,
                              const uint32_t* lengths, const bool* present, size_t count,
                              uint16_t* out) const {
  // Texts are taken in order of length (a counting sort per chunk), then four at a time in
  // lock-step: four independent chains of table loads are in flight, and since the four
  // have nearly the same length, little is left for the one-at-a-time tails.
  constexpr size_t kChunk = 1024;
  constexpr size_t kLanes = 4;
  constexpr size_t kBuckets = 64;  // lengths from 63 bytes up share the last bucket
  const uint32_t* delta = delta_.data();
  const unsigned char* base = reinterpret_cast<const unsigned char*>(arena);
  for (size_t chunk = 0; chunk < count; chunk += kChunk) {
    const size_t n = std::min(kChunk, count - chunk);
    uint16_t start[kBuckets + 1] = {};
    bool scan[kChunk];
    if (prefilter_) {
      prefilter_many(arena, arena_size, offsets + chunk, lengths + chunk, present + chunk, n, scan);
    } else {
      std::copy(present + chunk, present + chunk + n, scan);
    }
    for (size_t i = 0; i < n; ++i) {
      size_t r = chunk + i;
      if (!scan[i]) {
        out[r] = no_match;
        continue;
      }
      ++start[std::min<size_t>(lengths[r], kBuckets - 1) + 1];
    }
    for (size_t b = 1; b <= kBuckets; ++b)
      start[b] = static_cast<uint16_t>(start[b] + start[b - 1]);
    const size_t present_count = start[kBuckets];
    uint32_t order[kChunk];
    for (size_t i = 0; i < n; ++i) {
      size_t r = chunk + i;
      if (scan[i])
        order[start[std::min<size_t>(lengths[r], kBuckets - 1)]++] = static_cast<uint32_t>(r);
    }
    size_t g = 0;
    for (; g + kLanes <= present_count; g += kLanes) {
      const unsigned char* p[kLanes];
      uint32_t state[kLanes], seen[kLanes];
      size_t common = SIZE_MAX;
      for (size_t l = 0; l < kLanes; ++l) {
        uint32_t r = order[g + l];
        p[l] = base + offsets[r];
        common = std::min<size_t>(common, lengths[r]);
        state[l] = 0;
        seen[l] = 0;
      }
      // Most names match nothing, so the loop only ORs the cells' output bits ("did any
      // alias end here?"); a name where one did is matched again exactly below. Text is
      // read eight bytes per load.
      size_t k = 0;
      for (; k + 8 <= common; k += 8) {
        uint64_t word[kLanes];
        for (size_t l = 0; l < kLanes; ++l) std::memcpy(&word[l], p[l] + k, 8);
        for (int b = 0; b < 8; ++b) {
          for (size_t l = 0; l < kLanes; ++l) {
            uint32_t cell = delta[state[l] + class_of_[static_cast<uint8_t>(word[l] >> (8 * b))]];
            state[l] = cell & kStateMask;
            seen[l] |= cell;
          }
        }
      }
      for (; k < common; ++k) {
        for (size_t l = 0; l < kLanes; ++l) {
          uint32_t cell = delta[state[l] + class_of_[p[l][k]]];
          state[l] = cell & kStateMask;
          seen[l] |= cell;
        }
      }
      for (size_t l = 0; l < kLanes; ++l) {
        uint32_t r = order[g + l];
        uint32_t st = state[l], any = seen[l];
        for (size_t j = common; j < lengths[r]; ++j) {
          uint32_t cell = delta[st + class_of_[p[l][j]]];
          st = cell & kStateMask;
          any |= cell;
        }
        out[r] = (any & ~kStateMask) == 0 ? no_match
                                          : match(std::string_view(arena + offsets[r], lengths[r]));
      }
    }
    for (; g < present_count; ++g) {
      uint32_t r = order[g];
      out[r] = match(std::string_view(arena + offsets[r], lengths[r]));
    }
  }
}

}  // namespace chanrules::detail
