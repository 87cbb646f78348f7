// Per-stage benchmarks on the shipped 2009 rule set and on a generated large rule set
// (scripts/gen_large_ruleset.py: 1,000 rules, 20 decisions, a 100,000-entry list, 50
// named-set aliases), so that a regression in any stage shows up where it happens:
//
//   BM_Yaml        YAML text -> rule-set document (yaml-cpp events, shapes checked)
//   BM_Parse       every rule's condition text -> condition AST (Spirit X3)
//   BM_Check       document -> checked model (names, types, literals; list files read)
//   BM_Graph       decision graph: cycles, evaluation order, lint (Boost.Graph)
//   BM_Compile     checked model -> flat program (predicates, hash-consed nodes, tables,
//                  name automata)
//   BM_Load        rule_set::load: all of the above from the folder, as users call it
//   BM_Analyze     rule_set::analyze (what `chanrules check` adds): time, and the questions
//                  left undecided and the rules found unreachable as counters
//   BM_Fill        records' text -> a batch (batch::add_record)
//   BM_Classify    rule_set::classify over batches of a given size (the Arg), result reused
//   BM_CsvRead     CSV text -> records (io::csv_reader over an in-memory export)
//   BM_CsvWrite    records + classes -> CSV text (io::csv_writer)
//   BM_EndToEnd    classify_csv: file -> file on one thread (read, validate, classify, write)
//   BM_NameMatcherBuild/N/kind  one named set's automaton (name_matcher) built from one alias
//                  of about N bytes (kind 0: "x" repeated, 1: Chinese characters) or, kind 2,
//                  from 4,094 entries; 10,917 bytes is near the state limit
//
// Records come from the generator of `chanrules bench --generate` (src/cli/bench_data.h),
// so both rule sets get data that exercises their own fields, lists and named sets. Results
// are checked against explain() on a sample before any timing.
//
// Rule sets: rules/channel-2009 and the build's generated bench/large-ruleset; more with
// --rules=DIR (repeatable). Records: --records=N (default 100000; BM_Classify's batch sizes
// go up to that count).
#include <benchmark/benchmark.h>
#include <chanrules/csv.h>
#include <unistd.h>

#include <chanrules/chanrules.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_data.h"
#include "check/checker.h"
#include "common/source.h"
#include "compile/name_matcher.h"
#include "compile/program.h"
#include "expr/ast.h"
#include "graph/decision_graph.h"
#include "io/byte_stream.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"
#include "load/loader.h"

namespace {

namespace cr = chanrules;
namespace dt = chanrules::detail;

size_t g_records = 100000;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "bench_stages: %s\n", why.c_str());
  std::exit(1);
}

// Everything one rule set's benchmarks need, built once.
struct subject {
  std::string dir;
  std::string yaml_path;
  std::shared_ptr<const cr::rule_set> rules;
  dt::source_ptr source;
  std::optional<dt::ruleset_ast> ast;
  std::optional<dt::model> checked;  // after check and graph (evaluation order set)
  std::vector<std::string> conditions;
  cr::cli::record_table records;
  std::string csv;  // the records as an export
  std::string csv_path;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string to_csv(const cr::rule_set& rules, const cr::cli::record_table& t) {
  cr::io::string_sink sink;
  cr::io::csv_writer w(sink);
  std::vector<std::string_view> header;
  for (size_t f = 0; f < rules.field_count(); ++f) header.push_back(rules.field_name(f));
  w.write_record(header);
  std::vector<std::string_view> cells;
  for (size_t r = 0; r < t.rows(); ++r) {
    t.row(r, cells);
    w.write_record(cells);
  }
  w.flush();
  return sink.release();
}

void verify(const cr::rule_set& rules, const cr::batch& b, const cr::classification& c) {
  for (size_t row = 0; row < b.size(); row += std::max<size_t>(1, b.size() / 200)) {
    cr::explanation e = rules.explain(b, row);
    for (const auto& d : e.decisions)
      for (size_t i = 0; i < rules.decision_count(); ++i)
        if (rules.decision_name(i) == d.name && c.outcome(i, row) != d.outcome)
          die("classify and explain disagree on row " + std::to_string(row) + ", decision " +
              d.name);
  }
}

cr::batch fill(const cr::rule_set& rules, const cr::cli::record_table& t, size_t from, size_t n) {
  cr::batch b(rules, n);
  std::vector<std::string_view> cells;
  for (size_t r = from; r < from + n; ++r) {
    t.row(r, cells);
    std::string why;
    if (!b.add_record(cells, &why)) die("generated record " + std::to_string(r) + ": " + why);
  }
  return b;
}

subject& get(const std::string& dir) {
  static std::map<std::string, std::unique_ptr<subject>> cache;
  auto& slot = cache[dir];
  if (slot) return *slot;
  slot = std::make_unique<subject>();
  subject& s = *slot;
  s.dir = dir;
  s.yaml_path = (std::filesystem::path(dir) / "ruleset.yaml").string();
  auto loaded = cr::rule_set::load(dir);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fputs(cr::format(d).c_str(), stderr);
    die(dir + " does not load");
  }
  s.rules = loaded.rules;
  s.source = std::make_shared<const dt::source_file>(s.yaml_path, read_text(s.yaml_path));
  std::vector<cr::diagnostic> diags;
  s.ast = dt::load_document(s.source, dir, {}, diags);
  if (!s.ast) die(dir + ": load_document failed");
  for (const auto& d : s.ast->decisions)
    for (const auto& r : d.rules) s.conditions.push_back(r.when.text);
  s.checked = dt::check(*s.ast, {}, diags);
  if (!s.checked || !dt::build_graph(*s.checked, diags)) die(dir + ": check failed");
  s.records = cr::cli::generate_records(*s.rules, g_records, {});
  cr::batch b = fill(*s.rules, s.records, 0, s.records.rows());
  verify(*s.rules, b, s.rules->classify(b));
  s.csv = to_csv(*s.rules, s.records);
  return s;
}

std::vector<std::pair<std::string, std::string>>& rule_sets() {
  static std::vector<std::pair<std::string, std::string>> sets = {
      {"2009", CHANRULES_SOURCE_DIR "/rules/channel-2009"},
      {"large", CHANRULES_LARGE_RULESET_DIR},
  };
  return sets;
}

void items(benchmark::State& state, size_t per_iteration) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(per_iteration));
}

void register_all() {
  for (const auto& [label, dir_ref] : rule_sets()) {
    const std::string dir = dir_ref;
    auto name = [&](const char* bm) { return std::string(bm) + "/" + label; };

    benchmark::RegisterBenchmark(name("BM_Yaml").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      for (auto _ : state) {
        std::vector<cr::diagnostic> diags;
        auto ast = dt::load_document(s.source, dir, {}, diags);
        benchmark::DoNotOptimize(ast);
      }
      state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.source->text().size()));
    })->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark(name("BM_Parse").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      for (auto _ : state)
        for (const auto& text : s.conditions) {
          auto ast = cr::expr::parse_condition(text);
          benchmark::DoNotOptimize(ast);
        }
      items(state, s.conditions.size());
    })->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark(name("BM_Check").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      for (auto _ : state) {
        std::vector<cr::diagnostic> diags;
        auto m = dt::check(*s.ast, {}, diags);
        benchmark::DoNotOptimize(m);
      }
      items(state, s.conditions.size());
    })->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark(name("BM_Graph").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      for (auto _ : state) {
        state.PauseTiming();
        dt::model m = *s.checked;  // the graph stage writes the evaluation order
        state.ResumeTiming();
        std::vector<cr::diagnostic> diags;
        benchmark::DoNotOptimize(dt::build_graph(m, diags));
        state.PauseTiming();
        { dt::model gone = std::move(m); }  // not timed: freeing the copy
        state.ResumeTiming();
      }
    })->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark(name("BM_Compile").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      for (auto _ : state) {
        state.PauseTiming();
        dt::model m = *s.checked;
        state.ResumeTiming();
        dt::program p = dt::compile(std::move(m));
        benchmark::DoNotOptimize(p.nodes.data());
        state.PauseTiming();
        { dt::program gone = std::move(p); }
        state.ResumeTiming();
      }
    })->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark(name("BM_Load").c_str(), [dir](benchmark::State& state) {
      for (auto _ : state) {
        auto r = cr::rule_set::load(dir);
        if (!r.ok()) state.SkipWithError("does not load");
        benchmark::DoNotOptimize(r.rules.get());
      }
    })->Unit(benchmark::kMillisecond);

    // The analysis of `chanrules check` (rule_set::analyze with its defaults), with what it
    // found as counters: a faster analysis that decides less is no improvement.
    benchmark::RegisterBenchmark(name("BM_Analyze").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      size_t undecided = 0, unreachable = 0;
      for (auto _ : state) {
        std::vector<cr::analysis_finding> found = s.rules->analyze();
        undecided = unreachable = 0;
        for (const auto& f : found) {
          undecided += f.kind == "undecided";
          unreachable += f.kind == "unreachable";
        }
        benchmark::DoNotOptimize(found.data());
      }
      state.counters["undecided"] = static_cast<double>(undecided);
      state.counters["unreachable"] = static_cast<double>(unreachable);
    })->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark(name("BM_Fill").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      cr::batch b(*s.rules, s.records.rows());
      std::vector<std::string_view> cells;
      for (auto _ : state) {
        b.clear();
        for (size_t r = 0; r < s.records.rows(); ++r) {
          s.records.row(r, cells);
          b.add_record(cells);
        }
        benchmark::DoNotOptimize(b.size());
      }
      items(state, s.records.rows());
    })->Unit(benchmark::kMillisecond);

    auto* classify =
        benchmark::RegisterBenchmark(name("BM_Classify").c_str(), [dir](benchmark::State& state) {
          subject& s = get(dir);
          const size_t size = static_cast<size_t>(state.range(0));
          const size_t total = s.records.rows() / size * size;
          if (total == 0) {
            state.SkipWithError("fewer records than one batch");
            return;
          }
          std::vector<cr::batch> batches;
          for (size_t from = 0; from < total; from += size)
            batches.push_back(fill(*s.rules, s.records, from, size));
          std::vector<cr::classification> results(batches.size());
          for (size_t i = 0; i < batches.size(); ++i) s.rules->classify(batches[i], results[i]);
          for (auto _ : state)
            for (size_t i = 0; i < batches.size(); ++i) {
              s.rules->classify(batches[i], results[i]);
              benchmark::DoNotOptimize(results[i].outcome_codes(0));
            }
          items(state, total);
        });
    classify->Unit(benchmark::kMillisecond);
    size_t size = 256;
    for (; size <= g_records; size *= 4) classify->Arg(static_cast<int64_t>(size));
    if (size / 4 != g_records) classify->Arg(static_cast<int64_t>(g_records));  // all in one

    benchmark::RegisterBenchmark(name("BM_CsvRead").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      size_t cells = 0;
      for (auto _ : state) {
        cr::io::csv_reader reader{std::string_view(s.csv)};
        while (reader.next()) cells += reader.size();
        benchmark::DoNotOptimize(cells);
      }
      items(state, s.records.rows() + 1);
      state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.csv.size()));
    })->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark(name("BM_CsvWrite").c_str(), [dir](benchmark::State& state) {
      subject& s = get(dir);
      cr::batch b = fill(*s.rules, s.records, 0, s.records.rows());
      cr::classification c = s.rules->classify(b);
      const auto outputs = s.rules->output_decisions();
      std::vector<std::string_view> cells;
      size_t bytes = 0;
      for (auto _ : state) {
        cr::io::string_sink sink;
        cr::io::csv_writer w(sink);
        for (size_t r = 0; r < s.records.rows(); ++r) {
          s.records.row(r, cells);
          for (size_t d : outputs) cells.push_back(c.outcome(d, r));
          w.write_record(cells);
        }
        w.flush();
        bytes = sink.str().size();
        benchmark::DoNotOptimize(bytes);
      }
      items(state, s.records.rows());
      state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
    })->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark(name("BM_EndToEnd").c_str(), [dir,
                                                               label](benchmark::State& state) {
      subject& s = get(dir);
      namespace fs = std::filesystem;
      fs::path tmp = fs::temp_directory_path() /
                     ("chanrules-bench-stages-" + label + "-" + std::to_string(::getpid()));
      fs::create_directories(tmp);
      std::string in = (tmp / "in.csv").string(), out = (tmp / "out.csv").string();
      std::ofstream(in, std::ios::binary) << s.csv;
      cr::csv_options options;
      options.jobs = 1;
      for (auto _ : state) {
        cr::csv_summary sum = cr::classify_csv(*s.rules, in, out, "", options);
        if (!sum.ok || sum.rows_rejected != 0) {
          state.SkipWithError(("classify_csv: " + sum.error).c_str());
          break;
        }
      }
      fs::remove_all(tmp);
      items(state, s.records.rows());
      state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.csv.size()));
    })->Unit(benchmark::kMillisecond);
  }
}

// Aliases at the sizes of the named-set limits: the minimisation is O(k n log n) in the
// states n; the Moore refinement it replaced needed a round per byte of a long alias.
void BM_NameMatcherBuild(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  std::vector<std::vector<std::string>> aliases;
  if (state.range(1) == 0) {
    aliases = {{std::string(bytes, 'x')}};
  } else if (state.range(1) == 1) {
    std::string cjk;
    for (unsigned i = 0; cjk.size() + 3 <= bytes; ++i) {
      const unsigned cp = 0x4E00 + (i * 7919u) % 0x5000;
      cjk += static_cast<char>(0xE0 | (cp >> 12));
      cjk += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      cjk += static_cast<char>(0x80 | (cp & 0x3F));
    }
    aliases = {{cjk}};
  } else {
    for (int i = 0; i < 4094; ++i)
      aliases.push_back({"\xe5\x9b\xbd" + std::to_string(i), "X" + std::to_string(i)});
  }
  for (auto _ : state) {
    dt::name_matcher m(aliases);
    benchmark::DoNotOptimize(m.states());
  }
  state.counters["raw_states"] = static_cast<double>(dt::name_matcher::automaton_states(aliases));
}
BENCHMARK(BM_NameMatcherBuild)
    ->ArgsProduct({{1000, 5000, 10917}, {0, 1}})
    ->Args({0, 2})
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // Our own flags, after Google Benchmark has taken its --benchmark_* ones.
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--rules=", 0) == 0) {
      std::string dir = a.substr(8);
      rule_sets().emplace_back(std::filesystem::path(dir).filename().string(), dir);
    } else if (a.rfind("--records=", 0) == 0) {
      g_records = std::strtoull(a.c_str() + 10, nullptr, 10);
      if (g_records < 256) die("--records must be at least 256");
    } else if (a == "--only-extra") {
      rule_sets().erase(rule_sets().begin(), rule_sets().begin() + 2);
    } else {
      die("unknown argument " + a +
          " (ours: --rules=DIR, --records=N, --only-extra; and Google Benchmark's flags)");
    }
  }
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
