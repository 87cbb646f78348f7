// Aho-Corasick construction for name_matcher.
#include "compile/name_matcher.h"

#include <algorithm>
#include <cstring>

#include "exec/kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
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

// Hopcroft's algorithm. `table` is a complete automaton of n states over k classes with
// outputs on its transitions: table[st * k + c] holds the next state in the bits of
// `state_mask` and the output above them. Returns each state's block in the coarsest
// partition where the states of a block emit the same outputs and move to the same blocks:
// the blocks are the minimal automaton's states, as Moore's refinement finds them, in
// O(k n log n) rather than one pass over all states per distinction.
std::vector<uint32_t> minimise(const std::vector<uint32_t>& table, size_t n, size_t k,
                               uint32_t state_mask) {
  // The partition: elems holds the states block by block, block b at [first[b], end[b]).
  std::vector<uint32_t> elems(n), pos(n), block_of(n), first, end;
  // Initial blocks: the states with the same outputs (grouped by a hash of their outputs,
  // then compared exactly).
  {
    std::vector<uint64_t> hash(n);
    for (size_t st = 0; st < n; ++st) {
      uint64_t h = 0xcbf29ce484222325ULL;
      for (size_t c = 0; c < k; ++c) h = (h ^ (table[st * k + c] & ~state_mask)) * 0x100000001b3ULL;
      hash[st] = h ^ (h >> 29);
    }
    std::vector<uint32_t> by_hash(n);
    for (size_t st = 0; st < n; ++st) by_hash[st] = static_cast<uint32_t>(st);
    std::sort(by_hash.begin(), by_hash.end(), [&](uint32_t a, uint32_t b) {
      return hash[a] != hash[b] ? hash[a] < hash[b] : a < b;
    });
    auto same_outputs = [&](uint32_t a, uint32_t b) {
      for (size_t c = 0; c < k; ++c)
        if ((table[a * k + c] ^ table[b * k + c]) & ~state_mask) return false;
      return true;
    };
    size_t placed = 0;
    std::vector<uint32_t> rest, other;
    for (size_t i = 0; i < n;) {
      size_t j = i;
      while (j < n && hash[by_hash[j]] == hash[by_hash[i]]) ++j;
      rest.assign(by_hash.begin() + static_cast<ptrdiff_t>(i),
                  by_hash.begin() + static_cast<ptrdiff_t>(j));
      while (!rest.empty()) {  // one round unless hashes collide
        const uint32_t b = static_cast<uint32_t>(first.size());
        first.push_back(static_cast<uint32_t>(placed));
        other.clear();
        for (uint32_t st : rest) {
          if (same_outputs(rest[0], st)) {
            block_of[st] = b;
            pos[st] = static_cast<uint32_t>(placed);
            elems[placed++] = st;
          } else {
            other.push_back(st);
          }
        }
        end.push_back(static_cast<uint32_t>(placed));
        rest.swap(other);
      }
      i = j;
    }
  }
  // Transitions by target: in_edge[in_start[t], in_start[t + 1]) = (source << 8) | class.
  std::vector<uint32_t> in_start(n + 1, 0), in_edge(n * k);
  for (size_t cell = 0; cell < n * k; ++cell) ++in_start[(table[cell] & state_mask) + 1];
  for (size_t t = 0; t < n; ++t) in_start[t + 1] += in_start[t];
  {
    std::vector<uint32_t> at(in_start.begin(), in_start.end() - 1);
    for (size_t st = 0; st < n; ++st)
      for (size_t c = 0; c < k; ++c)
        in_edge[at[table[st * k + c] & state_mask]++] = static_cast<uint32_t>(st << 8 | c);
  }
  // Every block but the largest is a splitter to begin with (every state has a transition
  // on each class into the set of all states, so the largest block splits nothing that the
  // others do not). When a block is split, both halves stay splitters if it was one;
  // otherwise the smaller half becomes one (the partition is stable with respect to the
  // whole block already, so the other half follows): a state enters the worklist O(log n)
  // times.
  std::vector<uint32_t> work, marked(first.size(), 0), touched, by_class(k + 1), preds, at;
  std::vector<char> in_work(first.size(), 1);
  uint32_t largest = 0;
  for (uint32_t b = 0; b < first.size(); ++b)
    if (end[b] - first[b] > end[largest] - first[largest]) largest = b;
  for (uint32_t b = 0; b < first.size(); ++b)
    if (b != largest) work.push_back(b);
  if (n > 0) in_work[largest] = 0;
  while (!work.empty()) {
    const uint32_t splitter = work.back();
    work.pop_back();
    in_work[splitter] = 0;
    // The splitter's predecessors, grouped by class (taken before any block is split).
    std::fill(by_class.begin(), by_class.end(), 0);
    for (uint32_t i = first[splitter]; i < end[splitter]; ++i)
      for (uint32_t e = in_start[elems[i]]; e < in_start[elems[i] + 1]; ++e)
        ++by_class[(in_edge[e] & 255) + 1];
    for (size_t c = 0; c < k; ++c) by_class[c + 1] += by_class[c];
    preds.resize(by_class[k]);
    at.assign(by_class.begin(), by_class.end() - 1);
    for (uint32_t i = first[splitter]; i < end[splitter]; ++i)
      for (uint32_t e = in_start[elems[i]]; e < in_start[elems[i] + 1]; ++e)
        preds[at[in_edge[e] & 255]++] = in_edge[e] >> 8;
    for (size_t c = 0; c < k; ++c) {
      // Move each predecessor (one transition per class: no repeats) to the front of its
      // block, then cut the blocks that hold some but not all of them.
      touched.clear();
      for (uint32_t i = by_class[c]; i < by_class[c + 1]; ++i) {
        const uint32_t p = preds[i], b = block_of[p];
        const uint32_t to = first[b] + marked[b], q = elems[to];
        elems[pos[p]] = q;
        pos[q] = pos[p];
        elems[to] = p;
        pos[p] = to;
        if (marked[b]++ == 0) touched.push_back(b);
      }
      for (uint32_t b : touched) {
        const uint32_t m = marked[b];
        marked[b] = 0;
        if (m == end[b] - first[b]) continue;
        const uint32_t y = static_cast<uint32_t>(first.size());
        first.push_back(first[b]);
        end.push_back(first[b] + m);
        first[b] += m;
        marked.push_back(0);
        in_work.push_back(0);
        for (uint32_t i = first[y]; i < end[y]; ++i) block_of[elems[i]] = y;
        const uint32_t add = in_work[b] || end[y] - first[y] <= end[b] - first[b] ? y : b;
        in_work[add] = 1;
        work.push_back(add);
      }
    }
  }
  return block_of;
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

  // 1. Aho-Corasick over normalized bytes (the reference semantics): the trie's edges are
  //    written into the complete transition function `go_to` (kAbsent where there is none,
  //    until the failure links fill it in), and per state the smallest entry matched.
  constexpr uint32_t kAbsent = UINT32_MAX;
  std::vector<uint32_t> go_to(256, kAbsent), out(1, kNone);
  go_to.reserve(automaton_states(aliases) / states_per_node * 256);
  for (size_t entry = 0; entry < aliases.size(); ++entry) {
    for (const std::string& alias : aliases[entry]) {
      std::string norm = normalize(alias);
      if (norm.empty()) continue;
      uint32_t s = 0;
      for (unsigned char c : norm) {
        if (go_to[s * 256 + c] == kAbsent) {
          go_to[s * 256 + c] = static_cast<uint32_t>(out.size());
          go_to.insert(go_to.end(), 256, kAbsent);
          out.push_back(kNone);
        }
        s = go_to[s * 256 + c];
      }
      out[s] =
          std::min<uint32_t>(out[s], static_cast<uint32_t>(std::min<size_t>(entry, kNone - 1)));
    }
  }
  const size_t n = out.size();
  std::vector<uint32_t> fail(n, 0), queue;
  queue.reserve(n);
  for (unsigned c = 0; c < 256; ++c) {
    if (go_to[c] == kAbsent)
      go_to[c] = 0;
    else
      queue.push_back(go_to[c]);
  }
  // Breadth first: a state's failure state is shallower, so its row is complete already.
  for (size_t head = 0; head < queue.size(); ++head) {
    const uint32_t s = queue[head];
    out[s] = std::min(out[s], out[fail[s]]);
    for (unsigned c = 0; c < 256; ++c) {
      const uint32_t t = go_to[s * 256 + c];
      if (t != kAbsent) {
        fail[t] = go_to[fail[s] * 256 + c];
        queue.push_back(t);
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
  //    normalizer in normalize() does. Its cells are computed on demand (raw_cell), twice
  //    each at most: its 256-wide table is never stored.
  enum prefix : uint32_t { none, ef, ef_bc, ef_bd, e3, e3_80, prefixes };
  static constexpr unsigned pending_of[prefixes][2] = {{0, 0},       {0xEF, 0}, {0xEF, 0xBC},
                                                       {0xEF, 0xBD}, {0xE3, 0}, {0xE3, 0x80}};
  static constexpr size_t pending_size[prefixes] = {0, 1, 2, 2, 1, 2};
  states_ = n * prefixes;  // at most max_states (checked above)
  static_assert(prefixes == states_per_node && max_entries == kNone - 1 && max_cells == kStateMask);
  auto id = [&](uint32_t s, uint32_t pre) { return static_cast<uint32_t>(s * prefixes + pre); };
  // The transition of raw state `st` on byte b: the next raw state, and in the high bits
  // the smallest entry matched on the way.
  auto raw_cell = [&](uint32_t st, unsigned b) {
    const uint32_t s = st / prefixes, pre = st % prefixes;
    unsigned pending[3] = {pending_of[pre][0], pending_of[pre][1], 0};
    size_t count = pending_size[pre];
    pending[count++] = b;
    uint32_t next_state, next_pre = none, best = kNone;
    // Does the pending sequence stay a possible fold prefix, or complete one?
    if (count == 1 && (b == 0xEF || b == 0xE3)) {
      next_state = s;
      next_pre = b == 0xEF ? ef : e3;
    } else if (count == 2 && ((pending[0] == 0xEF && (b == 0xBC || b == 0xBD)) ||
                              (pending[0] == 0xE3 && b == 0x80))) {
      next_state = s;
      next_pre = pending[0] == 0xE3 ? e3_80 : (b == 0xBC ? ef_bc : ef_bd);
    } else if (count == 3 && fold_wide(pending[0], pending[1], pending[2]) != 0) {
      next_state = step_norm(s, fold_wide(pending[0], pending[1], pending[2]));
      best = out[next_state];
    } else {
      // Not a fold: every pending byte is an ordinary byte. The last one may itself start
      // a new fold prefix.
      next_state = s;
      const bool restart = (b == 0xEF || b == 0xE3) && count > 1;
      if (restart) --count;
      for (size_t i = 0; i < count; ++i) {
        next_state = step_norm(next_state, pending[i]);
        best = std::min(best, out[next_state]);
      }
      if (restart) next_pre = b == 0xEF ? ef : e3;
    }
    return id(next_state, next_pre) | (best << kOutputShift);
  };

  // The 256 cells of raw state `st`. Most bytes only end the pending prefix as ordinary
  // bytes: the state after the prefix is stepped once per row, and raw_cell decides the
  // bytes that may fold or start a new prefix.
  auto raw_row = [&](uint32_t st, uint32_t* row) {
    const uint32_t s = st / prefixes, pre = st % prefixes;
    uint32_t after = s, best = kNone;
    for (size_t i = 0; i < pending_size[pre]; ++i) {
      after = step_norm(after, pending_of[pre][i]);
      best = std::min(best, out[after]);
    }
    for (unsigned b = 0; b < 256; ++b) {
      const uint32_t next = step_norm(after, b);
      row[b] = id(next, none) | (std::min(best, out[next]) << kOutputShift);
    }
    row[0xEF] = raw_cell(st, 0xEF);
    row[0xE3] = raw_cell(st, 0xE3);
    if (pre == ef) {
      row[0xBC] = raw_cell(st, 0xBC);
      row[0xBD] = raw_cell(st, 0xBD);
    } else if (pre == e3) {
      row[0x80] = raw_cell(st, 0x80);
    } else if (pre != none) {
      for (unsigned b = 0x80; b < 0xC0; ++b)
        if (fold_wide(pending_of[pre][0], pending_of[pre][1], b) != 0) row[b] = raw_cell(st, b);
    }
  };

  // 3. Byte classes: bytes whose column (transition from every state) is identical. The
  //    partition of the 256 bytes is refined state by state: within a class, the bytes whose
  //    cell differs from the cell of the class's first byte move to a new class, one per
  //    distinct cell.
  uint32_t class_of[256] = {};
  uint32_t count = 1;
  {
    uint32_t row[256], first_cell[256];
    bool seen[256];
    struct split {
      uint32_t from, cell, to;
    };
    std::vector<split> splits;
    for (uint32_t st = 0; st < states_; ++st) {
      raw_row(st, row);
      std::fill(seen, seen + count, false);
      splits.clear();
      for (unsigned b = 0; b < 256; ++b) {
        const uint32_t c = class_of[b];
        if (!seen[c]) {
          seen[c] = true;
          first_cell[c] = row[b];
          continue;
        }
        if (row[b] == first_cell[c]) continue;
        auto it = std::find_if(splits.begin(), splits.end(),
                               [&](const split& x) { return x.from == c && x.cell == row[b]; });
        if (it == splits.end()) it = splits.insert(splits.end(), {c, row[b], count++});
        class_of[b] = it->to;
      }
    }
  }
  // Numbered in the order of their first byte, which represents the class.
  std::vector<unsigned> representative;
  {
    std::vector<int> number(count, -1);
    for (unsigned b = 0; b < 256; ++b) {
      int& k = number[class_of[b]];
      if (k < 0) {
        k = static_cast<int>(representative.size());
        representative.push_back(b);
      }
      class_of_[b] = static_cast<uint8_t>(k);
    }
  }
  classes_ = representative.size();
  const size_t k = classes_;
  std::vector<uint32_t> raw(states_ * k);
  for (uint32_t st = 0; st < states_; ++st) {
    uint32_t row[256];
    raw_row(st, row);
    for (size_t c = 0; c < k; ++c) raw[st * k + c] = row[representative[c]];
  }
  go_to = {};

  // 4. Minimise the states (outputs sit on transitions): two states are merged when, for
  //    every class, their transitions emit the same output and lead to merged states.
  //    Hopcroft's partition refinement, O(k n log n): a deep chain (one long alias) needs as
  //    many rounds of Moore's algorithm as it has states, and each round reads every state.
  std::vector<uint32_t> block = minimise(raw, states_, k, kStateMask);
  const size_t blocks = 1 + *std::max_element(block.begin(), block.end());
  // Renumber so the start state (state 0, prefix none) is block 0, the others in order of
  // their first state.
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
  delta_.assign(states_ * classes_, 0);
  for (size_t st = 0; st < states_; ++st)
    for (size_t c = 0; c < classes_; ++c) {
      uint32_t cell = raw[member[st] * k + c];
      uint32_t next = renumber[block[cell & kStateMask]];
      uint32_t entry = cell >> kOutputShift;
      delta_[st * classes_ + c] =
          static_cast<uint32_t>(next * classes_) | ((kNone - entry) << kOutputShift);
    }
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
