// Concurrency: one compiled rule set used from many threads at once, and rule-set reload
// while classifying (include/chanrules/reload.h). Meant to run under ThreadSanitizer
// (CHANRULES_SANITIZE_THREAD=ON, build-tsan; see docs/reliability.md), where a data race
// fails the test; in the other builds it still checks the results.
//
// - ManyThreadsClassifyOneRuleSet: threads classify the shipped sample with batches of
//   different sizes (and explain rows) at the same time; every result equals the
//   single-threaded one.
// - ManyThreadsClassifyCsvAtOnce: classify_csv() from several threads, one output each; all
//   outputs equal the single-threaded output.
// - ReloadKeepsEveryBatchOnOneRuleSet: workers take one snapshot per batch while another
//   thread keeps swapping between two rule sets (set() and reload() from files); every row
//   of every batch must carry the label of the snapshot's own version, and both versions
//   must have been seen.
// - SnapshotOutlivesReload: a snapshot, its batches and results stay valid after the slot
//   moved on and nothing else holds the old rule set.
#include <chanrules/csv.h>
#include <chanrules/reload.h>
#include <chanrules/rule_set.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/byte_stream.h"
#include "io/csv_reader.h"

namespace chanrules {
namespace {

const std::string kDir = std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009";

// Threads per test: enough to overlap on 2 cores, few enough for ThreadSanitizer.
constexpr int kThreads = 6;

std::string describe(const std::vector<diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) out += format(d);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The sample export's records, as cells in the rule set's field order.
std::vector<std::vector<std::string>> sample_records(const rule_set& rules) {
  io::string_source source(slurp(kDir + "/sample/distributors.csv"));
  io::csv_reader reader(source);
  std::vector<std::vector<std::string>> records;
  std::vector<int> column(rules.field_count(), -1);
  if (!reader.next()) return records;
  for (size_t c = 0; c < reader.size(); ++c)
    for (size_t f = 0; f < rules.field_count(); ++f)
      if (reader[c] == rules.field_name(f)) column[f] = static_cast<int>(c);
  while (reader.next()) {
    if (!reader.ok()) continue;
    std::vector<std::string> cells(rules.field_count());
    for (size_t f = 0; f < cells.size(); ++f)
      if (column[f] >= 0) cells[f] = std::string(reader[static_cast<size_t>(column[f])]);
    records.push_back(std::move(cells));
  }
  return records;
}

// Every decision's outcome and rule for records [begin, end), classified in batches of
// `batch_rows`, as one string per row.
std::vector<std::string> classify_records(const rule_set& rules,
                                          const std::vector<std::vector<std::string>>& records,
                                          size_t batch_rows) {
  std::vector<std::string> rows_out;
  batch b(rules, batch_rows);
  classification result;
  std::vector<std::string_view> cells;
  auto flush = [&] {
    rules.classify(b, result);
    for (size_t r = 0; r < b.size(); ++r) {
      std::string text;
      for (size_t d = 0; d < rules.decision_count(); ++d)
        text += std::string(result.outcome(d, r)) + "/" + std::string(result.rule_id(d, r)) + ";";
      rows_out.push_back(text);
    }
    b.clear();
  };
  for (const auto& record : records) {
    cells.assign(record.begin(), record.end());
    std::string why;
    if (!b.add_record(cells, &why)) {
      rows_out.push_back("rejected: " + why);
      continue;
    }
    if (b.size() == batch_rows) flush();
  }
  if (b.size() > 0) flush();
  return rows_out;
}

TEST(Concurrency, ManyThreadsClassifyOneRuleSet) {
  load_result loaded = rule_set::load(kDir);
  ASSERT_TRUE(loaded.ok()) << describe(loaded.diagnostics);
  std::shared_ptr<const rule_set> rules = loaded.rules;
  auto records = sample_records(*rules);
  ASSERT_GT(records.size(), 300u);
  const std::vector<std::string> expected = classify_records(*rules, records, 1024);

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Different batch sizes per thread: vector boundaries fall in different places.
      static const size_t kSizes[] = {1, 7, 64, 100, 1024, 4096};
      for (int round = 0; round < 3; ++round) {
        auto got = classify_records(*rules, records, kSizes[(t + round) % 6]);
        if (got != expected) mismatches.fetch_add(1);
        // explain() shares the rule set too.
        std::map<std::string, std::string> record;
        for (size_t f = 0; f < rules->field_count(); ++f)
          record[rules->field_name(f)] = records[static_cast<size_t>(t * 13 + round)][f];
        if (rules->explain(record).decisions.empty()) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Concurrency, ManyThreadsClassifyCsvAtOnce) {
  load_result loaded = rule_set::load(kDir);
  ASSERT_TRUE(loaded.ok()) << describe(loaded.diagnostics);
  auto dir = std::filesystem::temp_directory_path() /
             ("chanrules-concurrency-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string input = kDir + "/sample/distributors.csv";
  std::string reference = (dir / "reference.csv").string();
  csv_summary ref = classify_csv(*loaded.rules, input, reference, reference + ".rejects.csv");
  ASSERT_TRUE(ref.ok) << ref.error;

  std::vector<csv_summary> summaries(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      csv_options options;
      options.batch_rows = t % 2 ? 3 : 16384;
      options.reasons = false;
      std::string out = (dir / ("out" + std::to_string(t) + ".csv")).string();
      summaries[static_cast<size_t>(t)] =
          classify_csv(*loaded.rules, input, out, out + ".rejects.csv", options);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    std::string out = (dir / ("out" + std::to_string(t) + ".csv")).string();
    EXPECT_TRUE(summaries[static_cast<size_t>(t)].ok) << summaries[static_cast<size_t>(t)].error;
    EXPECT_EQ(slurp(out), slurp(reference)) << "thread " << t;
    EXPECT_EQ(slurp(out + ".rejects.csv"), slurp(reference + ".rejects.csv")) << "thread " << t;
  }
  std::filesystem::remove_all(dir);
}

// Two versions of one small rule set; every row of version N gets the label "vN" from
// `which`, whatever its values, so a batch's labels show which rule set classified it.
// Version 2 also has one more field, so a batch made for one version cannot pass for the
// other's.
std::string versioned_rules(int version) {
  std::string v = std::to_string(version);
  std::string yaml = "chanrules: 1\nname: reload-test\nversion: \"" + v +
                     "\"\n"
                     "fields:\n"
                     "  customer_id: {type: string, required: true}\n"
                     "  network: {type: enum, values: [S, W, R, O]}\n";
  if (version == 2) yaml += "  units: {type: integer, min: 0}\n";
  yaml +=
      "decisions:\n"
      "  which:\n"
      "    rules:\n"
      "      - id: r\n"
      "        when: network == R\n"
      "        then: v" +
      v +
      "\n"
      "    default: v" +
      v + "\n";
  return yaml;
}

TEST(Concurrency, ReloadKeepsEveryBatchOnOneRuleSet) {
  auto dir =
      std::filesystem::temp_directory_path() / ("chanrules-reload-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string files[2] = {(dir / "v1.yaml").string(), (dir / "v2.yaml").string()};
  for (int v = 0; v < 2; ++v) std::ofstream(files[v]) << versioned_rules(v + 1);

  load_result first = rule_set::load(files[0]);
  ASSERT_TRUE(first.ok()) << describe(first.diagnostics);
  rule_set_slot slot(first.rules);

  constexpr int kSwaps = 40;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> batches{0};
  std::atomic<int> inconsistent{0};
  std::atomic<int> seen[2] = {0, 0};

  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads - 1; ++t) {
    workers.emplace_back([&, t] {
      while (!done.load()) {
        std::shared_ptr<const rule_set> rules = slot.get();  // one snapshot per batch
        const int version = std::stoi(rules->version());
        const std::string label = "v" + rules->version();
        batch b(*rules);
        for (int r = 0; r < 50 + t; ++r) {
          std::vector<std::string_view> cells(rules->field_count());
          std::string id = "C" + std::to_string(r);
          cells[0] = id;
          cells[1] = r % 2 ? "R" : "S";
          if (rules->field_count() > 2) cells[2] = "7";
          if (!b.add_record(cells)) inconsistent.fetch_add(1);
        }
        classification result = rules->classify(b);
        for (size_t r = 0; r < b.size(); ++r)
          if (result.outcome(0, r) != label) inconsistent.fetch_add(1);
        if (static_cast<size_t>(version + 1) != rules->field_count()) inconsistent.fetch_add(1);
        seen[version - 1].fetch_add(1);
        batches.fetch_add(1);
      }
    });
  }
  std::thread reloader([&] {
    for (int i = 0; i < kSwaps; ++i) {
      // Wait until workers have finished a few batches on the current version, so that
      // every version is really used, then swap: through reload() (loading the file) on odd
      // turns, set() with a freshly loaded rule set on even ones.
      uint64_t before = batches.load();
      while (batches.load() < before + 3) std::this_thread::yield();
      const std::string& next = files[(i + 1) % 2];
      if (i % 2) {
        load_result r = slot.reload(next);
        if (!r.ok()) inconsistent.fetch_add(1000);
      } else {
        load_result r = rule_set::load(next);
        if (!r.ok()) inconsistent.fetch_add(1000);
        slot.set(r.rules);
      }
    }
    done.store(true);
  });
  reloader.join();
  for (auto& th : workers) th.join();
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_GT(seen[0].load(), kSwaps / 2);
  EXPECT_GT(seen[1].load(), kSwaps / 2);

  // A reload that fails keeps the current rule set.
  std::shared_ptr<const rule_set> before = slot.get();
  std::ofstream(files[0]) << "chanrules: 1\nname: broken\n";
  load_result broken = slot.reload(files[0]);
  EXPECT_FALSE(broken.ok());
  EXPECT_FALSE(broken.diagnostics.empty());
  EXPECT_EQ(slot.get(), before);
  std::filesystem::remove_all(dir);
}

TEST(Concurrency, SnapshotOutlivesReload) {
  rule_set_slot slot(rule_set::load_string(versioned_rules(1), "v1.yaml").rules);
  ASSERT_NE(slot.get(), nullptr);
  std::shared_ptr<const rule_set> snapshot = slot.get();
  std::weak_ptr<const rule_set> weak = snapshot;
  batch b(*snapshot);
  ASSERT_TRUE(b.add_record({"C1", "R"}));
  slot.set(rule_set::load_string(versioned_rules(2), "v2.yaml").rules);
  EXPECT_EQ(slot.get()->version(), "2");
  EXPECT_FALSE(weak.expired());  // the snapshot keeps version 1 alive
  classification result = snapshot->classify(b);
  snapshot.reset();
  EXPECT_TRUE(weak.expired());  // nothing else held it
  // The batch and the result hold version 1's compiled program on their own.
  EXPECT_EQ(result.outcome(0, 0), "v1");
  EXPECT_EQ(result.outcome_labels(0).size(), 1u);
}

}  // namespace
}  // namespace chanrules
