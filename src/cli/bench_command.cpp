// `chanrules bench RULES [DATA.csv | --generate N]`: Google Benchmark (the library) over the
// three costs a rule set has for its users — compiling it, filling a batch from text, and
// classifying the batch — with a table for people, Google Benchmark's JSON for tools, and a
// regression gate against an earlier JSON for CI. Public API only.
#include "bench_command.h"

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <chanrules/chanrules.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench_data.h"
#include "perf_counter.h"

namespace chanrules::cli {

const char* const kBenchHelp =
    "usage: chanrules bench RULES [DATA.csv | --generate N] [options]\n"
    "\n"
    "Benchmarks a rule set with Google Benchmark: compiling it (load, check, compile), filling\n"
    "a batch from the records' text, and classifying the batch, on one thread. Prints a table\n"
    "(time per operation, records/s, ns/record, memory per record, noise) from the medians of\n"
    "the repetitions (CPU time).\n"
    "\n"
    "data (one of):\n"
    "  DATA.csv            records from a CSV export (UTF-8; rows the rule set would reject\n"
    "                      are counted and left out)\n"
    "  --generate N        N records synthesised from the rule set's own fields: enum values,\n"
    "                      numbers and dates around the values its conditions test, listed and\n"
    "                      unlisted keys, names that hit and miss its named sets, missing\n"
    "                      optional values (default: --generate 100000)\n"
    "  --seed S            seed of --generate (default 1); the same seed gives the same records\n"
    "  --write-data FILE   also write the records benchmarked as a CSV export (e.g. to run\n"
    "                      'chanrules classify' on them)\n"
    "\n"
    "options:\n"
    "  --repetitions K     runs of each benchmark (default 5); medians and noise come from them\n"
    "  --min-time SECONDS  minimum time of each run (default 0.5)\n"
    "  --json FILE|-       also write Google Benchmark's JSON (its compare.py reads it)\n"
    "  --baseline OLD.json compare with an earlier --json run: fail (exit 1) when classify's\n"
    "                      records/s dropped more than the threshold; say so when the runs\n"
    "                      are too noisy to judge (exit 0)\n"
    "  --threshold PCT     allowed drop in records/s (default 10)\n"
    "  --instructions      count user-space instructions per classified record with\n"
    "                      perf_event_open (stable where time is not; gated too when both runs\n"
    "                      have them); says why when the machine cannot count them\n"
    "\n"
    "Exit codes: 0 done (and the gate passed or could not judge); 1 the rule set, the data or\n"
    "the baseline cannot be used, or the gate found a regression; 2 bad command line.\n";

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

struct bench_options {
  std::string rules;
  std::string data;  // CSV path, or empty for generated records
  size_t generate = 100000;
  bool generate_given = false;
  uint64_t seed = 1;
  std::string json;
  std::string baseline;
  double threshold = 10;
  int repetitions = 5;
  double min_time = 0.5;
  bool instructions = false;
  std::string write_data;
};

int usage_error(const std::string& message) {
  std::cerr << "chanrules bench: " << message << "\n"
            << "Run 'chanrules bench --help' for usage.\n";
  return kUsage;
}

std::optional<uint64_t> whole_number(const std::string& s, uint64_t max) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

std::optional<double> decimal_number(std::string s) {
  if (!s.empty() && s.back() == '%') s.pop_back();
  if (s.empty() || s.size() > 20) return std::nullopt;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  return std::strtod(s.c_str(), nullptr);
}

// Returns kOk, or the exit code of a usage error already reported (kUsage), or -1 for --help.
int parse(int argc, char** argv, bench_options& o) {
  std::vector<std::string> positional;
  const std::vector<std::string> with_value = {"--generate", "--seed",      "--json",
                                               "--baseline", "--threshold", "--repetitions",
                                               "--min-time", "--write-data"};
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {
      for (++i; i < argc; ++i) positional.push_back(argv[i]);
      break;
    }
    if (s.size() < 2 || s[0] != '-') {
      positional.push_back(s);
      continue;
    }
    std::string name = s, value;
    bool inline_value = false;
    if (auto eq = s.find('='); eq != std::string::npos) {
      name = s.substr(0, eq);
      value = s.substr(eq + 1);
      inline_value = true;
    }
    if (name == "--help" || name == "-h") return -1;
    if (name == "--instructions") {
      if (inline_value) return usage_error("--instructions takes no value");
      o.instructions = true;
      continue;
    }
    if (std::find(with_value.begin(), with_value.end(), name) == with_value.end())
      return usage_error("unknown option " + name);
    if (!inline_value) {
      if (i + 1 >= argc) return usage_error("option " + name + " needs a value");
      value = argv[++i];
    }
    if (name == "--generate") {
      auto n = whole_number(value, 1'000'000'000);
      if (!n || *n == 0) return usage_error("--generate takes a whole number from 1 to 1000000000");
      o.generate = *n;
      o.generate_given = true;
    } else if (name == "--seed") {
      auto n = whole_number(value, UINT64_MAX);
      if (!n) return usage_error("--seed takes a whole number");
      o.seed = *n;
    } else if (name == "--json") {
      if (value.empty()) return usage_error("--json needs a file name, or - for standard output");
      o.json = value;
    } else if (name == "--baseline") {
      if (value.empty()) return usage_error("--baseline needs a file name");
      o.baseline = value;
    } else if (name == "--threshold") {
      auto v = decimal_number(value);
      if (!v || *v <= 0 || *v >= 100)
        return usage_error("--threshold takes a percentage above 0 and below 100");
      o.threshold = *v;
    } else if (name == "--repetitions") {
      auto n = whole_number(value, 1000);
      if (!n || *n == 0) return usage_error("--repetitions takes a whole number from 1 to 1000");
      o.repetitions = static_cast<int>(*n);
    } else if (name == "--write-data") {
      if (value.empty()) return usage_error("--write-data needs a file name");
      o.write_data = value;
    } else if (name == "--min-time") {
      auto v = decimal_number(value);
      if (!v || *v <= 0 || *v > 3600)
        return usage_error("--min-time takes seconds above 0 (e.g. 0.5), at most 3600");
      o.min_time = *v;
    }
  }
  if (positional.empty()) return usage_error("give the RULES path");
  if (positional.size() > 2) return usage_error("give RULES and at most one DATA.csv");
  o.rules = positional[0];
  if (positional.size() == 2) {
    if (o.generate_given) return usage_error("give either DATA.csv or --generate N, not both");
    o.data = positional[1];
  }
  if (!o.json.empty() && o.json == o.baseline)
    return usage_error("--json and --baseline name the same file");
  if (!o.write_data.empty() &&
      (o.write_data == o.data || o.write_data == o.json || o.write_data == o.baseline))
    return usage_error("--write-data must name a file of its own");
  return kOk;
}

// Bytes the allocator has handed out (small chunks plus mmapped ones).
size_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string seconds_text(double s) {
  if (s >= 1) return fixed(s, 2) + " s";
  if (s >= 1e-3) return fixed(s * 1e3, s >= 0.1 ? 0 : 2) + " ms";
  return fixed(s * 1e6, 1) + " us";
}

std::string rate_text(double per_s) {
  if (per_s >= 1e6) return fixed(per_s / 1e6, 2) + " M/s";
  if (per_s >= 1e3) return fixed(per_s / 1e3, 1) + " k/s";
  return fixed(per_s, 0) + " /s";
}

std::string bytes_text(double b) {
  if (b >= 10 * 1024 * 1024) return fixed(b / (1024 * 1024), 1) + " MiB";
  if (b >= 10 * 1024) return fixed(b / 1024, 1) + " KiB";
  return fixed(b, 0) + " B";
}

std::string percent(double fraction, bool sign = false) {
  std::string s = fixed(fraction * 100, std::fabs(fraction) < 0.1 ? 1 : 0) + "%";
  if (sign && fraction >= 0) s = "+" + s;
  return s;
}

// --- statistics ------------------------------------------------------------------------------

struct stats {
  size_t n = 0;
  double median = 0, mean = 0, cv = 0;  // cv: sample standard deviation / mean (n >= 2)
};

stats summarise(std::vector<double> v) {
  stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() >= 2 && s.mean > 0) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.cv = std::sqrt(ss / static_cast<double>(v.size() - 1)) / s.mean;
  }
  return s;
}

// The smallest relative change between two medians that noise alone makes unlikely: 2.5
// standard errors of the difference, a median's standard error being about 1.25 sigma/sqrt(n)
// for roughly normal noise. Negative when either side has a single run (noise unknown).
double noise_margin(const stats& a, const stats& b) {
  if (a.n < 2 || b.n < 2) return -1;
  double ea = 1.2533 * a.cv / std::sqrt(static_cast<double>(a.n));
  double eb = 1.2533 * b.cv / std::sqrt(static_cast<double>(b.n));
  return 2.5 * std::sqrt(ea * ea + eb * eb);
}

// --- the runs ------------------------------------------------------------------------------

// One run (repetition) of one benchmark, as Google Benchmark reported it.
struct sample {
  double cpu_seconds = 0;  // per iteration
  std::map<std::string, double> counters;
};

// Passes everything to the JSON reporter (when there is one) and keeps the runs for the
// table and the gate.
class collecting_reporter : public benchmark::BenchmarkReporter {
 public:
  explicit collecting_reporter(benchmark::BenchmarkReporter* json) : json_(json) {}

  bool ReportContext(const Context& context) override {
    return json_ ? json_->ReportContext(context) : true;
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    if (json_) json_->ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) {
        errors.push_back(r.benchmark_name() + ": " + r.error_message);
        continue;
      }
      if (r.run_type != Run::RT_Iteration) continue;
      sample s;
      s.cpu_seconds = r.iterations ? r.cpu_accumulated_time / static_cast<double>(r.iterations) : 0;
      for (const auto& [name, counter] : r.counters) s.counters[name] = counter.value;
      runs_[r.run_name.function_name].push_back(std::move(s));
    }
  }
  void Finalize() override {
    if (json_) json_->Finalize();
  }

  const std::vector<sample>& runs(const std::string& name) const {
    static const std::vector<sample> none;
    auto it = runs_.find(name);
    return it == runs_.end() ? none : it->second;
  }
  std::vector<double> values(const std::string& name, const std::string& counter) const {
    std::vector<double> v;
    for (const sample& s : runs(name)) {
      auto it = s.counters.find(counter);
      if (it != s.counters.end()) v.push_back(it->second);
    }
    return v;
  }
  std::vector<double> cpu_seconds(const std::string& name) const {
    std::vector<double> v;
    for (const sample& s : runs(name)) v.push_back(s.cpu_seconds);
    return v;
  }

  std::vector<std::string> errors;

 private:
  benchmark::BenchmarkReporter* json_;
  std::map<std::string, std::vector<sample>> runs_;
};

// classify() must agree with explain(), the independent row interpreter, before it is timed:
// a fast wrong engine must not produce a figure.
// Also measures the rules tried per record (up to the one that fired, in every decision
// evaluated for it), the work a row interpreter would do: the scale against which
// classify's cost per record should grow no faster than linearly.
bool verify(const rule_set& rules, const batch& b, const classification& c, std::string& why,
            double& rules_tried) {
  const size_t step = std::max<size_t>(1, b.size() / 256);
  size_t sampled = 0, tried = 0;
  for (size_t row = 0; row < b.size(); row += step) {
    explanation e = rules.explain(b, row);
    ++sampled;
    for (const auto& d : e.decisions) tried += d.rules.size();
    for (const auto& d : e.decisions)
      for (size_t i = 0; i < rules.decision_count(); ++i) {
        if (rules.decision_name(i) != d.name || c.outcome(i, row) == d.outcome) continue;
        why = "record " + std::to_string(row + 1) + ", decision " + d.name + ": classify gives '" +
              std::string(c.outcome(i, row)) + "', explain gives '" + d.outcome + "'";
        return false;
      }
  }
  rules_tried = sampled ? static_cast<double>(tried) / static_cast<double>(sampled) : 0;
  return true;
}

// --- the baseline --------------------------------------------------------------------------

struct baseline_run {
  std::map<std::string, std::vector<double>> records_per_s;  // per benchmark
  std::map<std::string, std::vector<double>> cpu_seconds;
  std::vector<double> instructions;  // classify's instructions per record
  std::map<std::string, std::string> context;
};

double to_seconds(double value, const std::string& unit) {
  if (unit == "ns") return value * 1e-9;
  if (unit == "us") return value * 1e-6;
  if (unit == "ms") return value * 1e-3;
  return value;
}

bool read_baseline(const std::string& path, baseline_run& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open the baseline " + path + ": " + std::strerror(errno);
    return false;
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    error = "the baseline " + path + " is not JSON: " + e.what();
    return false;
  }
  if (!doc.is_object() || !doc.contains("benchmarks") || !doc["benchmarks"].is_array()) {
    error = "the baseline " + path +
            " is not Google Benchmark JSON (no \"benchmarks\" array); write one with "
            "'chanrules bench ... --json " +
            path + "'";
    return false;
  }
  if (doc.contains("context") && doc["context"].is_object())
    for (const auto& [key, value] : doc["context"].items())
      if (value.is_string()) out.context[key] = value.get<std::string>();
  // Per-repetition runs when the file has them; otherwise the median aggregates (files
  // written with --benchmark_report_aggregates_only).
  for (const char* wanted : {"iteration", "median"}) {
    for (const auto& b : doc["benchmarks"]) {
      if (!b.is_object() || !b.contains("run_name") || !b["run_name"].is_string()) continue;
      std::string type = b.value("run_type", "iteration");
      std::string kind = type == "aggregate" ? b.value("aggregate_name", "") : type;
      if (kind != wanted || b.value("error_occurred", false)) continue;
      std::string name = b["run_name"].get<std::string>();
      auto number = [&](const char* key) -> std::optional<double> {
        if (b.contains(key) && b[key].is_number()) return b[key].get<double>();
        return std::nullopt;
      };
      if (auto v = number("records_per_s")) out.records_per_s[name].push_back(*v);
      if (auto v = number("cpu_time"))
        out.cpu_seconds[name].push_back(to_seconds(*v, b.value("time_unit", "ns")));
      if (name == "classify")
        if (auto v = number("instructions_per_record")) out.instructions.push_back(*v);
    }
    if (!out.records_per_s["classify"].empty()) break;
    out = baseline_run{out.records_per_s, {}, {}, out.context};
  }
  if (out.records_per_s["classify"].empty()) {
    error = "the baseline " + path +
            " has no 'classify' benchmark with records_per_s; write it with 'chanrules bench "
            "RULES ... --json " +
            path + "'";
    return false;
  }
  return true;
}

// Compares this run with the baseline; prints the verdict to `out`. Returns true when the
// gate passes (or cannot judge).
bool gate(const collecting_reporter& now, const baseline_run& base, const bench_options& o,
          const std::map<std::string, std::string>& context, std::ostream& out) {
  const double threshold = o.threshold / 100;
  stats b = summarise(base.records_per_s.at("classify"));
  stats n = summarise(now.values("classify", "records_per_s"));
  double change = n.median / b.median - 1;
  double margin = noise_margin(b, n);

  out << "\nregression gate: classify records/s, median of " << n.n << " run(s) against " << b.n
      << " in " << o.baseline << ", threshold " << fixed(o.threshold, 1) << "%\n";
  for (const char* key : {"rules_name", "rules_version", "records", "data"}) {
    auto x = base.context.find(key);
    auto y = context.find(key);
    if (x != base.context.end() && y != context.end() && x->second != y->second)
      out << "  note: the baseline's " << key << " is '" << x->second << "', this run's '"
          << y->second << "'\n";
  }
  auto cv_text = [](const stats& s) { return s.n >= 2 ? "CV " + percent(s.cv) : "one run"; };
  out << "  baseline  " << rate_text(b.median) << "  (" << cv_text(b) << ")\n";
  out << "  this run  " << rate_text(n.median) << "  (" << cv_text(n) << ")\n";
  out << "  change    " << percent(change, true);
  if (margin >= 0) out << "  (noise margin +-" << percent(margin) << ")";
  out << "\n";
  // Informative: the other benchmarks.
  for (const char* other : {"fill", "compile"}) {
    auto it = base.cpu_seconds.find(other);
    auto mine = now.cpu_seconds(other);
    if (it == base.cpu_seconds.end() || it->second.empty() || mine.empty()) continue;
    double t0 = summarise(it->second).median, t1 = summarise(mine).median;
    out << "  " << other << " time: " << seconds_text(t0) << " -> " << seconds_text(t1) << " ("
        << percent(t1 / t0 - 1, true) << "; not gated)\n";
  }

  bool pass = true;
  if (-change > threshold) {
    if (margin < 0) {
      out << "FAIL: classify records/s dropped " << percent(-change) << ", more than the "
          << fixed(o.threshold, 1)
          << "% threshold (a single run on one side: its noise is unknown; use --repetitions "
             "of 3 or more)\n";
      pass = false;
    } else if (-change > margin) {
      out << "FAIL: classify records/s dropped " << percent(-change) << " (" << rate_text(b.median)
          << " -> " << rate_text(n.median) << "), more than the " << fixed(o.threshold, 1)
          << "% threshold and beyond the noise margin of +-" << percent(margin) << "\n";
      pass = false;
    } else {
      // Enough runs to reach a margin below the drop: n grows with (margin / drop)^2.
      double ratio = margin / -change;
      int needed =
          static_cast<int>(std::ceil(static_cast<double>(std::max(b.n, n.n)) * ratio * ratio));
      out << "CANNOT JUDGE: classify records/s dropped " << percent(-change) << ", more than the "
          << fixed(o.threshold, 1) << "% threshold, but the runs are too noisy to tell it from "
          << "noise (margin +-" << percent(margin) << "; " << cv_text(b) << " and " << cv_text(n)
          << "). Not failing. Rerun with more repetitions (about " << needed
          << ") or on a quieter machine, or gate on --instructions.\n";
    }
  } else {
    out << "PASS: classify records/s changed " << percent(change, true) << ", within the "
        << fixed(o.threshold, 1) << "% threshold";
    if (margin > threshold)
      out << " (but the noise margin +-" << percent(margin)
          << " exceeds the threshold: a smaller regression would go unseen)";
    out << "\n";
  }

  // Instruction counts hardly vary between runs: when both sides have them, they are gated
  // with the same threshold and no noise allowance.
  auto instructions = now.values("classify", "instructions_per_record");
  if (!base.instructions.empty() && !instructions.empty()) {
    double i0 = summarise(base.instructions).median, i1 = summarise(instructions).median;
    double grew = i1 / i0 - 1;
    out << "  instructions/record: " << fixed(i0, 1) << " -> " << fixed(i1, 1) << " ("
        << percent(grew, true) << ")\n";
    if (grew > threshold) {
      out << "FAIL: classify executes " << percent(grew) << " more instructions per record, more "
          << "than the " << fixed(o.threshold, 1) << "% threshold\n";
      pass = false;
    }
  } else if (o.instructions && !base.instructions.empty() != !instructions.empty()) {
    out << "  instructions/record: only " << (instructions.empty() ? "the baseline" : "this run")
        << " has them; not compared\n";
  }
  return pass;
}

bool write_file(const std::string& path, const std::string& text, std::string& error) {
  // A temporary file renamed into place: an interrupted run leaves the old file whole.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      error = "cannot write " + tmp + ": " + std::strerror(errno);
      std::remove(tmp.c_str());
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    error = "cannot write " + path + ": " + ec.message();
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

int run_bench(int argc, char** argv) {
  bench_options o;
  if (int rc = parse(argc, argv, o); rc != kOk) {
    if (rc == -1) {
      std::cout << kBenchHelp;
      return kOk;
    }
    return rc;
  }
  // With the JSON on standard output, the table and messages go to standard error.
  std::ostream& out = o.json == "-" ? std::cerr : std::cout;

  baseline_run base;
  if (!o.baseline.empty()) {
    std::string error;
    if (!read_baseline(o.baseline, base, error)) {
      std::cerr << "chanrules bench: " << error << "\n";
      return kFailed;
    }
  }

  // The rule set, and the memory it holds once loaded.
  size_t heap0 = heap_in_use();
  auto loaded = rule_set::load(o.rules);
  for (const auto& d : loaded.diagnostics)
    if (d.level == severity::error) std::cerr << format(d);
  if (!loaded.ok()) {
    std::cerr << "chanrules bench: " << o.rules << " has errors; run 'chanrules check " << o.rules
              << "'\n";
    return kFailed;
  }
  const size_t rule_set_bytes = heap_in_use() - std::min(heap0, heap_in_use());
  const rule_set& rules = *loaded.rules;

  // The records.
  record_table records;
  std::string data_text;
  if (o.data.empty()) {
    generator_options g;
    g.seed = o.seed;
    records = generate_records(rules, o.generate, g);
    data_text = std::to_string(records.rows()) +
                " records generated from the rule set's fields (seed " + std::to_string(o.seed) +
                ")";
  } else {
    csv_read_result r = read_csv_records(rules, o.data);
    if (!r.ok) {
      std::cerr << "chanrules bench: " << r.error << "\n";
      return kFailed;
    }
    if (r.records.rows() == 0) {
      std::cerr << "chanrules bench: " << o.data << " has no record the rule set accepts"
                << (r.first_reject.empty() ? "" : " (first rejected: " + r.first_reject + ")")
                << "\n";
      return kFailed;
    }
    data_text = std::to_string(r.records.rows()) + " records from " + o.data;
    if (r.rows_rejected)
      data_text += " (" + std::to_string(r.rows_rejected) +
                   " rejected and left out; first: " + r.first_reject + ")";
    records = std::move(r.records);
  }
  const size_t rows = records.rows();
  if (!o.write_data.empty()) {
    std::string error;
    if (!write_csv_records(rules, records, o.write_data, &error)) {
      std::cerr << "chanrules bench: " << error << "\n";
      return kFailed;
    }
  }

  // One batch filled once for classify; memory per record of the batch and of the result.
  size_t heap1 = heap_in_use();
  batch filled(rules, rows);
  std::vector<std::string_view> cells;
  for (size_t r = 0; r < rows; ++r) {
    records.row(r, cells);
    std::string why;
    if (!filled.add_record(cells, &why)) {
      std::cerr << "chanrules bench: record " << r + 1 << " is not valid for the rule set: " << why
                << (o.data.empty() ? " (a bug in the generator; please report it)" : "") << "\n";
      return kFailed;
    }
  }
  const size_t batch_bytes = heap_in_use() - std::min(heap1, heap_in_use());
  size_t heap2 = heap_in_use();
  classification result = rules.classify(filled);
  const size_t result_bytes = heap_in_use() - std::min(heap2, heap_in_use());
  // Allocators other than glibc's (AddressSanitizer's, for one) leave mallinfo2 at zero:
  // then the memory figures are unknown rather than 0 bytes.
  const bool memory_known = batch_bytes > 0;
  double rules_tried = 0;
  {
    std::string why;
    if (!verify(rules, filled, result, why, rules_tried)) {
      std::cerr << "chanrules bench: classify and explain disagree (" << why
                << "); not benchmarking a wrong result. Please report this rule set.\n";
      return kFailed;
    }
  }

  instruction_counter counter;
  const bool counting = o.instructions && counter.available();

  // Google Benchmark reads its settings from flags: repetitions and minimum time go in
  // through them (not per benchmark) so that benchmark names stay "classify", "fill" and
  // "compile" whatever the settings, and runs with different settings still compare.
  std::vector<std::string> flags = {
      "chanrules bench",
      "--benchmark_repetitions=" + std::to_string(o.repetitions),
      "--benchmark_min_time=" + fixed(o.min_time, 3),
  };
  // Interleaving the repetitions of the three benchmarks spreads slow phases of a shared
  // machine over all of them instead of one.
  if (o.repetitions > 1) flags.push_back("--benchmark_enable_random_interleaving=true");
  std::vector<char*> flag_ptrs;
  for (auto& f : flags) flag_ptrs.push_back(f.data());
  int flag_count = static_cast<int>(flag_ptrs.size());
  flag_ptrs.push_back(nullptr);
  benchmark::Initialize(&flag_count, flag_ptrs.data());

  std::map<std::string, std::string> context = {
      {"chanrules_version", CHANRULES_VERSION_STRING},
      {"rules", o.rules},
      {"rules_name", rules.name()},
      {"rules_version", rules.version()},
      {"records", std::to_string(rows)},
      {"data", o.data.empty() ? "generated, seed " + std::to_string(o.seed) : o.data},
      {"rules_tried_per_record", fixed(rules_tried, 1)},
  };
  if (o.instructions)
    context["instructions"] = counting ? "perf_event_open" : "unavailable: " + counter.why();
  for (const auto& [k, v] : context) benchmark::AddCustomContext(k, v);

  const std::string rules_path = o.rules;
  benchmark::RegisterBenchmark("compile", [&](benchmark::State& state) {
    for (auto _ : state) {
      auto again = rule_set::load(rules_path);
      if (!again.ok()) {
        state.SkipWithError("the rule set no longer loads");
        break;
      }
      benchmark::DoNotOptimize(again.rules.get());
    }
    if (memory_known) state.counters["rule_set_bytes"] = static_cast<double>(rule_set_bytes);
  })->Unit(benchmark::kMillisecond);

  batch scratch(rules, rows);
  benchmark::RegisterBenchmark("fill", [&](benchmark::State& state) {
    std::vector<std::string_view> row_cells;
    for (auto _ : state) {
      scratch.clear();
      for (size_t r = 0; r < rows; ++r) {
        records.row(r, row_cells);
        scratch.add_record(row_cells);
      }
      benchmark::DoNotOptimize(scratch.size());
    }
    const double done = static_cast<double>(state.iterations()) * static_cast<double>(rows);
    state.SetItemsProcessed(static_cast<int64_t>(done));
    state.counters["records_per_s"] = benchmark::Counter(done, benchmark::Counter::kIsRate);
    if (memory_known) state.counters["bytes_per_record"] = static_cast<double>(batch_bytes) / rows;
  })->Unit(benchmark::kMillisecond);

  benchmark::RegisterBenchmark("classify", [&](benchmark::State& state) {
    // The steady state of a stream of batches: the result's memory is reused.
    if (counting) counter.start();
    for (auto _ : state) {
      rules.classify(filled, result);
      benchmark::DoNotOptimize(result.outcome_codes(0));
    }
    const double done = static_cast<double>(state.iterations()) * static_cast<double>(rows);
    if (counting)
      state.counters["instructions_per_record"] = static_cast<double>(counter.stop()) / done;
    state.SetItemsProcessed(static_cast<int64_t>(done));
    state.counters["records_per_s"] = benchmark::Counter(done, benchmark::Counter::kIsRate);
    if (memory_known)
      state.counters["bytes_per_record"] =
          static_cast<double>(batch_bytes + result_bytes) / static_cast<double>(rows);
  })->Unit(benchmark::kMillisecond);

  std::ostringstream json_text;
  benchmark::JSONReporter json;
  json.SetOutputStream(&json_text);
  json.SetErrorStream(&std::cerr);
  collecting_reporter collector(o.json.empty() ? nullptr : &json);
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  for (const auto& e : collector.errors) std::cerr << "chanrules bench: " << e << "\n";
  if (!collector.errors.empty()) return kFailed;

  // The table.
  out << "chanrules bench: " << o.rules << " (" << rules.name() << " " << rules.version() << ")\n"
      << "data: " << data_text << "\n"
      << "runs: " << o.repetitions << " repetition" << (o.repetitions == 1 ? "" : "s")
      << " of at least " << fixed(o.min_time, 2) << " s each; medians of CPU time, one thread\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-10s %12s %12s %11s %18s %7s\n", "benchmark", "time/op",
                "records/s", "ns/record", "memory", "CV");
  out << line;
  for (const char* name : {"compile", "fill", "classify"}) {
    stats t = summarise(collector.cpu_seconds(name));
    if (t.n == 0) continue;
    std::string per_s = "-", ns = "-", memory, cv = t.n >= 2 ? percent(t.cv) : "-";
    if (std::string(name) == "compile") {
      memory = bytes_text(static_cast<double>(rule_set_bytes));
    } else {
      double r = static_cast<double>(rows);
      per_s = rate_text(r / t.median);
      ns = fixed(t.median / r * 1e9, 1);
      double bytes = std::string(name) == "fill" ? static_cast<double>(batch_bytes)
                                                 : static_cast<double>(batch_bytes + result_bytes);
      memory = fixed(bytes / r, 0) + " B/record";
    }
    if (!memory_known) memory = "n/a";
    std::snprintf(line, sizeof line, "%-10s %12s %12s %11s %18s %7s\n", name,
                  seconds_text(t.median).c_str(), per_s.c_str(), ns.c_str(), memory.c_str(),
                  cv.c_str());
    out << line;
  }
  out << "\ncompile: load, check and compile the rule set (memory: what the loaded rule set "
         "holds)\nfill: records' text into a batch (memory: the batch)\nclassify: the batch into "
         "a reused result (memory: batch + result)\n"
      << "rules tried per record: " << fixed(rules_tried, 1)
      << " (mean over a sample, as explain() tries them: up to the rule that fires)\n";
  if (!memory_known)
    out << "memory: n/a (the allocator in use does not report its use through mallinfo2)\n";
  if (o.instructions) {
    if (counting) {
      stats i = summarise(collector.values("classify", "instructions_per_record"));
      out << "instructions/record (classify, user space): " << fixed(i.median, 1) << "\n";
    } else {
      out << "instructions/record: not available: " << counter.why()
          << ".\n  Count them with callgrind instead: bench/instructions.sh in the chanrules "
             "sources shows how.\n";
    }
  }

  int rc = kOk;
  if (!o.baseline.empty() && !gate(collector, base, o, context, out)) rc = kFailed;

  if (!o.json.empty()) {
    if (o.json == "-") {
      std::cout << json_text.str();
      std::cout.flush();
    } else {
      std::string error;
      if (!write_file(o.json, json_text.str(), error)) {
        std::cerr << "chanrules bench: " << error << "\n";
        return kFailed;
      }
      out << "JSON: " << o.json << "\n";
    }
  }
  return rc;
}

}  // namespace chanrules::cli
