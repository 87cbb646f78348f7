// In-memory classification throughput with the shipped 2009 rule set.
//
// BM_Classify: classify() over a prebuilt batch of generated records (name matching and
// list lookups included: they run inside classify). BM_FillAndClassify adds filling the
// batch from text cells, i.e. the whole in-memory path a caller pays. Records are generated
// deterministically with realistic shares (mostly R network, some named accounts, listed
// customers, missing values), and the result is verified against explain() on a sample
// before timing, so a fast wrong engine cannot pass.
#include <benchmark/benchmark.h>

#include <chanrules/chanrules.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

const chanrules::rule_set& rules() {
  static auto loaded = chanrules::rule_set::load(CHANRULES_SOURCE_DIR "/rules/channel-2009");
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fputs(chanrules::format(d).c_str(), stderr);
    std::abort();
  }
  return *loaded.rules;
}

// Cells of one generated record, in the rule set's field order.
using record = std::vector<std::string>;

std::vector<record> generate(size_t n, uint32_t seed) {
  const auto& r = rules();
  std::mt19937 rng(seed);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
  const std::vector<std::string> stems = {
      "\xe5\x8d\x8e\xe8\xbf\x85\xe9\x80\x9a\xe8\xae\xaf",                          // 华迅通讯
      "\xe9\x91\xab\xe8\xbe\xbe\xe6\x89\x8b\xe6\x9c\xba\xe5\x8d\x96\xe5\x9c\xba",  // 鑫达手机卖场
      "\xe4\xb8\x9c\xe6\x96\xb9\xe6\x95\xb0\xe7\xa0\x81\xe5\x95\x86\xe8\xa1\x8c",  // 东方数码商行
      "\xe5\xae\x8f\xe5\x9b\xbe\xe7\x94\xb5\xe5\x99\xa8",                          // 宏图电器
  };
  const std::vector<std::string> accounts = {
      "\xe5\x9b\xbd\xe7\xbe\x8e\xe7\x94\xb5\xe5\x99\xa8",  // 国美电器
      "\xe8\x8b\x8f\xe5\xae\x81\xe6\x98\x93\xe8\xb4\xad",  // 苏宁易购
      "GOME",
      "Suning",
      "\xe8\xbf\xaa\xe4\xbf\xa1\xe9\x80\x9a",  // 迪信通
  };
  const std::vector<std::string> cities = {"\xe5\x8c\x97\xe4\xba\xac", "\xe6\x88\x90\xe9\x83\xbd",
                                           "\xe6\x98\x86\xe6\x98\x8e", "\xe8\xa5\xbf\xe5\xae\x89"};
  const std::vector<std::string> networks = {"R", "R", "R", "R", "R", "R", "W", "S", "O", "O"};
  const std::vector<std::string> tiers = {"T1", "T2", "T3", "T4", "T5", "T6"};
  const std::vector<std::string> segments = {"it_retailer", "tv_shopping", "individual",
                                             "online",      "group_buy",   "other"};
  const std::vector<std::string> operators = {"CMCC", "CU", "CT"};
  const std::vector<std::string> roles = {"province_company", "business_hall", "city_platform",
                                          "fund_platform",    "key_account",   "contractor"};
  std::vector<record> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    record rec(r.field_count());
    auto set = [&](const char* name, std::string v) {
      for (size_t f = 0; f < r.field_count(); ++f)
        if (r.field_name(f) == name) rec[f] = std::move(v);
    };
    // Ids C000101..C000500 overlap the shipped manufacturer lists.
    set("customer_id",
        "C" + std::to_string(100101 + (i % 400 == 0 ? i / 400 % 400 : 1000 + i)).substr(0));
    set("customer_name", chance(0.05) ? pick(accounts) + pick(cities) + "\xe5\xba\x97"
                                      : pick(cities) + pick(stems) + std::to_string(i % 97));
    std::string network = pick(networks);
    set("network", network);
    if (chance(0.95)) set("market_tier", pick(tiers));
    if (chance(0.9)) set("local_rank", std::to_string(1 + rng() % 6));
    if (chance(0.9)) set("gsm_monthly_units", std::to_string(300 + rng() % 400));
    if (chance(0.5)) set("se_permission", chance(0.5) ? "DRA" : "DSA");
    if (chance(0.7)) set("coolpad_coop_months", std::to_string(rng() % 8));
    if (chance(0.7)) set("coolpad_continuous_pickup", chance(0.5) ? "true" : "N");
    if (chance(0.7)) set("coolpad_avg_monthly_units", std::to_string(rng() % 10) + ".5");
    if (network == "S") set("segment", pick(segments));
    if (network == "O") {
      set("operator", pick(operators));
      set("operator_role", pick(roles));
    }
    out.push_back(std::move(rec));
  }
  return out;
}

const std::vector<record>& records() {
  static std::vector<record> recs = generate(1'000'000, 20091019);
  return recs;
}

chanrules::batch fill(const std::vector<record>& recs) {
  const auto& r = rules();
  chanrules::batch b(r, recs.size());
  std::vector<std::string_view> cells(r.field_count());
  for (const auto& rec : recs) {
    for (size_t f = 0; f < rec.size(); ++f) cells[f] = rec[f];
    if (!b.add_record(cells)) std::abort();
  }
  return b;
}

// The batch engine must agree with the row interpreter before it is timed.
void verify(const chanrules::batch& b, const chanrules::classification& c) {
  const auto& r = rules();
  for (size_t row = 0; row < b.size(); row += 997) {
    chanrules::explanation e = r.explain(b, row);
    for (const auto& d : e.decisions) {
      for (size_t i = 0; i < r.decision_count(); ++i) {
        if (r.decision_name(i) != d.name) continue;
        if (c.outcome(i, row) != d.outcome) {
          std::fprintf(stderr, "verify: row %zu decision %s: batch %s, explain %s\n", row,
                       d.name.c_str(), std::string(c.outcome(i, row)).c_str(), d.outcome.c_str());
          std::abort();
        }
      }
    }
  }
}

void BM_Classify(benchmark::State& state) {
  const auto& r = rules();
  chanrules::batch b = fill(records());
  chanrules::classification c = r.classify(b);
  verify(b, c);
  // Steady state of a stream of batches: the result's memory is reused.
  for (auto _ : state) {
    r.classify(b, c);
    benchmark::DoNotOptimize(c.outcome_codes(0));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * b.size()));
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * b.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Classify)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FillAndClassify(benchmark::State& state) {
  const auto& r = rules();
  const auto& recs = records();
  for (auto _ : state) {
    chanrules::batch b = fill(recs);
    chanrules::classification c = r.classify(b);
    benchmark::DoNotOptimize(c.outcome_codes(0));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * recs.size()));
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * recs.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FillAndClassify)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
