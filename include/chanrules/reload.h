// chanrules::rule_set_slot: the current rule set of a long-running service, replaceable
// (reloaded) while other threads classify with it.
//
//   chanrules::rule_set_slot slot(chanrules::rule_set::load(dir).rules);
//   // any number of worker threads, per batch:
//   std::shared_ptr<const chanrules::rule_set> rules = slot.get();   // one snapshot
//   chanrules::batch rows(*rules);  ... fill ...
//   chanrules::classification result = rules->classify(rows);
//   // an admin thread, when the files change:
//   chanrules::load_result r = slot.reload(dir);  // on errors the old set stays current
//
// The consistency rule: a batch belongs to the rule set it was made for (its columns,
// enum codes and interned strings are that rule set's), so a worker takes ONE snapshot per
// batch with get() and uses it for building, classifying and reading that batch. A reload
// never changes a rule set (rule sets are immutable); it swaps which one get() returns.
// Snapshots already taken keep the old rule set alive (shared ownership) until their last
// batch is done, so every batch is classified wholly by the old or wholly by the new rule
// set, never by a mixture. classify_csv() takes a `const rule_set&`: hold a snapshot for
// the whole call and the whole file is classified by one rule set.
//
// Thread safety: every member may be called from any number of threads at once. get() and
// set() hold a mutex only while copying or swapping the pointer (a reference-count update);
// the old rule set is released outside it. (Not std::atomic<std::shared_ptr>: libstdc++ 12's
// load() releases its internal lock with relaxed order, which ThreadSanitizer rightly
// reports as a race with a concurrent store.) Tested under ThreadSanitizer by
// tests/concurrency_test.cpp.
#pragma once

#include <chanrules/rule_set.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace chanrules {

class rule_set_slot {
 public:
  // Starts with `initial` (may be null: get() then returns null until set()).
  explicit rule_set_slot(std::shared_ptr<const rule_set> initial = nullptr)
      : current_(std::move(initial)) {}
  rule_set_slot(const rule_set_slot&) = delete;
  rule_set_slot& operator=(const rule_set_slot&) = delete;

  // The current rule set: a snapshot that stays valid (and unchanged) however often the slot
  // is reloaded afterwards. Take one per batch.
  std::shared_ptr<const rule_set> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }

  // Makes `next` the current rule set for every later get(). Null is allowed.
  void set(std::shared_ptr<const rule_set> next) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      current_.swap(next);
    }
    // `next` now holds the previous rule set: freed here, outside the lock, if this was
    // its last owner (freeing a compiled program is not free).
  }

  // Loads `path` (see rule_set::load) and, only when it loads without errors, makes it the
  // current rule set. On errors the current rule set stays; either way the diagnostics are
  // returned.
  load_result reload(const std::string& path, const load_options& options = {}) {
    load_result loaded = rule_set::load(path, options);
    if (loaded.ok()) set(loaded.rules);
    return loaded;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const rule_set> current_;
};

}  // namespace chanrules
