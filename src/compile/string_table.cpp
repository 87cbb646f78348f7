// string_table construction (lookups are inline in the header).
#include "compile/string_table.h"

namespace chanrules::detail {

uint32_t string_table::insert(std::string_view key) {
  uint32_t existing = find(key);
  if (existing != not_found) return existing;
  if ((size() + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2
  uint32_t entry = static_cast<uint32_t>(size());
  arena_.append(key);
  offsets_.push_back(static_cast<uint32_t>(arena_.size()));
  uint64_t h = hash_bytes(key);
  uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;
  size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(h) & mask;
  while (slots_[i].tag != 0) i = (i + 1) & mask;
  slots_[i] = slot{tag, entry};
  return entry;
}

void string_table::grow() {
  size_t n = slots_.empty() ? 16 : slots_.size() * 2;
  slots_.assign(n, slot{});
  size_t mask = n - 1;
  for (uint32_t e = 0; e < size(); ++e) {
    uint64_t h = hash_bytes(key(e));
    uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;
    size_t i = static_cast<size_t>(h) & mask;
    while (slots_[i].tag != 0) i = (i + 1) & mask;
    slots_[i] = slot{tag, e};
  }
}

}  // namespace chanrules::detail
