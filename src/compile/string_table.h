// An immutable open-addressing hash table from strings to dense entry numbers.
//
// Built once when a rule set is compiled (manufacturer lists, keyed by customer id) and then
// probed for every row of every batch, so it is laid out for lookups: a power-of-two slot
// array of (hash tag, entry) pairs, keys in one contiguous arena, no pointers to chase.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules::detail {

inline uint64_t hash_bytes(std::string_view s) {
  // Multiply-mix over 8-byte words; the last word overlaps the previous one instead of
  // being copied byte by byte, and keys under 8 bytes are read as two overlapping halves,
  // so short ids such as "C000123" hash without a loop.
  const uint64_t k = 0x9E3779B97F4A7C15ull;
  const char* p = s.data();
  const size_t n = s.size();
  auto load64 = [](const char* q) {
    uint64_t w;
    std::memcpy(&w, q, 8);
    return w;
  };
  auto load32 = [](const char* q) {
    uint32_t w;
    std::memcpy(&w, q, 4);
    return uint64_t{w};
  };
  uint64_t h = 0x243F6A8885A308D3ull ^ (n * k);
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 < n; i += 8) {
      h = (h ^ load64(p + i)) * k;
      h ^= h >> 29;
    }
    h = (h ^ load64(p + n - 8)) * k;
  } else if (n >= 4) {
    h = (h ^ (load32(p) << 32 | load32(p + n - 4))) * k;
  } else if (n > 0) {
    uint64_t w = static_cast<unsigned char>(p[0]) |
                 uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
                 uint64_t{static_cast<unsigned char>(p[n - 1])} << 16;
    h = (h ^ w) * k;
  }
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return h;
}

class string_table {
 public:
  static constexpr uint32_t not_found = 0xFFFFFFFFu;

  // Adds a key if new; returns its entry number.
  uint32_t insert(std::string_view key);
  // Entry number of the key, or not_found.
  uint32_t find(std::string_view key) const {
    if (slots_.empty()) return not_found;
    uint64_t h = hash_bytes(key);
    uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;  // 0 marks an empty slot
    size_t mask = slots_.size() - 1;
    for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
      const slot& s = slots_[i];
      if (s.tag == 0) return not_found;
      if (s.tag == tag) {
        uint32_t b = offsets_[s.entry], e = offsets_[s.entry + 1];
        if (e - b == key.size() && equal(arena_.data() + b, key.data(), key.size())) return s.entry;
      }
    }
  }
  size_t size() const { return offsets_.size() - 1; }
  std::string_view key(uint32_t entry) const {
    return std::string_view(arena_).substr(offsets_[entry], offsets_[entry + 1] - offsets_[entry]);
  }
  size_t memory_bytes() const {
    return slots_.size() * sizeof(slot) + arena_.size() + offsets_.size() * 4;
  }

 private:
  // Short keys (ids) compare inline instead of through a call to memcmp.
  static bool equal(const char* a, const char* b, size_t n) {
    if (n <= 16) {
      for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
      return true;
    }
    return std::memcmp(a, b, n) == 0;
  }

  struct slot {
    uint32_t tag = 0;
    uint32_t entry = 0;
  };
  void grow();
  std::vector<slot> slots_;
  std::string arena_;
  std::vector<uint32_t> offsets_ = {0};
};

}  // namespace chanrules::detail
