// The table of accepted unique values (see key_index.h).
#include "io/key_index.h"

#include <cstring>

namespace chanrules::io {

uint64_t key_index::find(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return 0;
  const uint32_t tag = tag_of(hash);
  const size_t mask = slots_.size() - 1;
  for (size_t i = static_cast<size_t>(hash) & mask;; i = (i + 1) & mask) {
    const slot& s = slots_[i];
    if (s.tag == 0) return 0;
    if (s.tag != tag) continue;
    uint64_t b = offsets_[s.entry], e = offsets_[s.entry + 1];
    if (e - b == key.size() && std::memcmp(arena_.data() + b, key.data(), key.size()) == 0)
      return lines_[s.entry];
  }
}

void key_index::insert(std::string_view key, uint64_t hash, uint64_t line) {
  // Keep the load at or under one half: probes stay short even for ids that share long
  // prefixes (the hash mixes every byte).
  if ((lines_.size() + 1) * 2 > slots_.size()) grow();
  const uint32_t entry = static_cast<uint32_t>(lines_.size());
  arena_.append(key);
  offsets_.push_back(arena_.size());
  lines_.push_back(line);
  low_.push_back(static_cast<uint32_t>(hash));
  const size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(hash) & mask;
  while (slots_[i].tag != 0) i = (i + 1) & mask;
  slots_[i] = {tag_of(hash), entry};
}

void key_index::grow() {
  // The tag holds the hash's high half, low_ the half that places the slot.
  std::vector<slot> bigger(slots_.empty() ? 1024 : slots_.size() * 2);
  const size_t mask = bigger.size() - 1;
  for (const slot& s : slots_) {
    if (s.tag == 0) continue;
    size_t i = static_cast<size_t>(low_[s.entry]) & mask;
    while (bigger[i].tag != 0) i = (i + 1) & mask;
    bigger[i] = s;
  }
  slots_ = std::move(bigger);
}

size_t key_index::memory_bytes() const noexcept {
  return slots_.capacity() * sizeof(slot) + arena_.capacity() +
         offsets_.capacity() * sizeof(uint64_t) + lines_.capacity() * sizeof(uint64_t) +
         low_.capacity() * sizeof(uint32_t);
}

void key_index::clear() {
  slots_ = {};
  arena_ = {};
  offsets_ = {0};
  lines_ = {};
  low_ = {};
}

}  // namespace chanrules::io
