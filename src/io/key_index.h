// The values of a unique field (customer ids) accepted so far, with the line each was first
// accepted on: classify_csv's duplicate detection.
//
// An open-addressing table over one arena of key bytes; the caller passes each key's hash
// (computed by the worker threads, so the writer thread only probes).
//
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chanrules::io {

class key_index {
 public:
  // The line a key was first accepted on, or 0 (lines start at 1).
  uint64_t find(std::string_view key, uint64_t hash) const;
  // Starts loading the slot a later find() of this hash probes first: the writer thread
  // looks its rows up one after another, and with millions of keys each probe would
  // otherwise wait for memory.
  void prefetch(uint64_t hash) const noexcept {
    if (!slots_.empty())
      __builtin_prefetch(&slots_[static_cast<size_t>(hash) & (slots_.size() - 1)]);
  }
  // Adds a key that find() does not know.
  void insert(std::string_view key, uint64_t hash, uint64_t line);
  size_t size() const noexcept { return lines_.size(); }
  // Bytes held (slots, key bytes, offsets, lines), counting reserved capacity.
  size_t memory_bytes() const noexcept;
  void clear();

 private:
  struct slot {
    uint32_t tag = 0;  // 0: empty
    uint32_t entry = 0;
  };
  static uint32_t tag_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32) | 1u; }
  void grow();

  std::vector<slot> slots_;
  std::string arena_;
  std::vector<uint64_t> offsets_ = {0};
  std::vector<uint64_t> lines_;
  std::vector<uint32_t> low_;  // low half of each key's hash (for growing)
};

}  // namespace chanrules::io
