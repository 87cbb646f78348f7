// A fixed workload for counting instructions (valgrind --tool=callgrind), which, unlike
// wall time on a shared machine, repeats exactly: 100,000 generated records classified 5
// times into a reused result. Used by bench/instructions.sh.
//
// For the 2009 rule set (any rule set with its fields) the records are the hand-made mix
// below, so that figures stay comparable with docs/performance.md; for any other rule set
// they come from the generator of `chanrules bench --generate` (seed 1).
//
// usage: classify_instructions RULES
#include <chanrules/chanrules.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_data.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: classify_instructions RULES\n");
    return 2;
  }
  auto loaded = chanrules::rule_set::load(argv[1]);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fputs(chanrules::format(d).c_str(), stderr);
    return 1;
  }
  const chanrules::rule_set& rules = *loaded.rules;
  std::mt19937 rng(7);
  // Names: mostly ordinary shops, one in twenty a named account (as in real exports).
  const std::vector<std::string> shops = {
      "\xe5\x8d\x8e\xe8\xbf\x85\xe9\x80\x9a\xe8\xae\xaf\xe5\x99\xa8\xe6\x9d\x90\xe5\xba\x97",
      "\xe5\xae\x8f\xe5\x9b\xbe\xe6\x89\x8b\xe6\x9c\xba\xe5\x8d\x96\xe5\x9c\xba",
      "\xe4\xb8\x9c\xe6\x96\xb9\xe6\x95\xb0\xe7\xa0\x81\xe5\x95\x86\xe8\xa1\x8c"};
  const std::vector<std::string> accounts = {"\xe5\x9b\xbd\xe7\xbe\x8e\xe7\x94\xb5\xe5\x99\xa8",
                                             "GOME shop"};
  const std::vector<std::string> networks = {"R", "R", "R", "R", "R", "R", "W", "S", "O", "O"};
  const std::vector<std::string> tiers = {"T1", "T2", "T3", "T4", "T5", "T6"};
  bool has_2009_fields = true;
  for (const char* name : {"customer_id", "customer_name", "network", "market_tier", "local_rank",
                           "gsm_monthly_units", "segment", "operator", "operator_role"})
    has_2009_fields &= chanrules::batch(rules).field(name) != chanrules::batch::npos;
  if (!has_2009_fields) {
    auto records = chanrules::cli::generate_records(rules, 100000, {});
    chanrules::batch b(rules, records.rows());
    std::vector<std::string_view> cells;
    for (size_t r = 0; r < records.rows(); ++r) {
      records.row(r, cells);
      if (!b.add_record(cells)) return 1;
    }
    chanrules::classification result;
    for (int k = 0; k < 5; ++k) rules.classify(b, result);
    std::printf("%zu generated rows classified 5 times\n", result.rows());
    return 0;
  }
  auto field = [&](const char* name) { return chanrules::batch(rules).field(name); };
  const size_t id = field("customer_id"), name = field("customer_name"), net = field("network"),
               tier = field("market_tier"), rank = field("local_rank"),
               units = field("gsm_monthly_units"), segment = field("segment"),
               op = field("operator"), role = field("operator_role");
  chanrules::batch b(rules);
  std::vector<std::string> cells(rules.field_count());
  std::vector<std::string_view> views(rules.field_count());
  for (int i = 0; i < 100000; ++i) {
    for (auto& c : cells) c.clear();
    cells[id].assign(1, 'C');
    cells[id] += std::to_string(100101 + i);
    cells[name] =
        (rng() % 20 == 0 ? accounts[rng() % 2] : shops[rng() % 3]) + std::to_string(i % 97);
    cells[net] = networks[rng() % 10];
    if (rng() % 10) cells[tier] = tiers[rng() % 6];
    if (rng() % 10) cells[rank] = std::to_string(1 + rng() % 6);
    if (rng() % 10) cells[units] = std::to_string(300 + rng() % 400);
    if (cells[net] == "S") cells[segment] = "online";
    if (cells[net] == "O") {
      cells[op] = "CMCC";
      cells[role] = "business_hall";
    }
    for (size_t f = 0; f < cells.size(); ++f) views[f] = cells[f];
    if (!b.add_record(views)) return 1;
  }
  chanrules::classification result;
  for (int k = 0; k < 5; ++k) rules.classify(b, result);
  std::printf("%zu rows classified 5 times\n", result.rows());
  return 0;
}
