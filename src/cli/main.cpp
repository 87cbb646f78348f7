// The chanrules command-line tool. Built on the public API only (include/chanrules/).
//
//   chanrules classify --rules DIR INPUT.csv -o OUT.csv [--rejects R.csv] [--reasons] ...
//   chanrules check RULES [--json] [--dump]
//   chanrules test RULES
//   chanrules explain RULES (--id ID INPUT.csv | key=value ...) [--json]
//   chanrules graph RULES [--format dot|svg|png] [-o FILE]
//   chanrules diff --old RULES_A --new RULES_B INPUT.csv [--changes CHANGES.csv] [--json]
//   chanrules coverage (merge A.json B.json -o OUT.json | show FILE.json)
//   chanrules bench RULES [DATA.csv | --generate N] [--json FILE] [--baseline OLD.json] ...
//
// Exit codes: 0 success; 1 the rule set has errors, a test failed, or classification failed
// (no output file written); 2 the command line is wrong; 130 interrupted.
#include <chanrules/coverage.h>
#include <chanrules/csv.h>
#include <chanrules/diff.h>
#include <chanrules/graph.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chanrules/chanrules.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench_command.h"
#include "coverage_output.h"

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr int kInterrupted = 130;

std::atomic<bool> g_cancel{false};

extern "C" void on_signal(int) { g_cancel.store(true); }

void install_signal_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed output pipe must become an EPIPE error we report, not a silent death.
  signal(SIGPIPE, SIG_IGN);
  // Likewise a file-size limit (ulimit -f): EFBIG is reported and the temporary output
  // removed, where SIGXFSZ would kill the process and leave the temporary file behind.
  signal(SIGXFSZ, SIG_IGN);
}

const char* kMainHelp =
    "chanrules - classify distributors with a YAML rule set\n"
    "\n"
    "usage: chanrules <command> [options]\n"
    "\n"
    "commands:\n"
    "  classify   classify a CSV export, writing classes and rejects\n"
    "  check      load, check and lint a rule set\n"
    "  test       run a rule set's own test cases\n"
    "  explain    show why one customer gets its classes\n"
    "  graph      draw the decision graph (Graphviz DOT, SVG or PNG)\n"
    "  diff       compare two rule sets on an export: class changes per decision\n"
    "  coverage   sum coverage files (classify/test --coverage), or show one as a table\n"
    "  bench      benchmark a rule set (compile, fill, classify); gate CI on a baseline\n"
    "  version    print the version\n"
    "\n"
    "Run 'chanrules <command> --help' for a command's options.\n"
    "Exit codes: 0 ok; 1 rule-set errors, failed tests or failed classification;\n"
    "2 bad command line; 130 interrupted.\n";

struct args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;
  std::string error;

  bool has(const std::string& name) const { return options.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = {}) const {
    auto it = options.find(name);
    return it == options.end() || it->second.empty() ? fallback : it->second.back();
  }
};

// Parses --name value, --name=value and flags. `flags` take no value.
args parse_args(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags) {
  args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {
      for (++i; i < argc; ++i) a.positional.push_back(argv[i]);
      break;
    }
    if (s.size() > 1 && s[0] == '-' && s != "-") {
      std::string name = s, value;
      bool inline_value = false;
      if (auto eq = s.find('='); eq != std::string::npos) {
        name = s.substr(0, eq);
        value = s.substr(eq + 1);
        inline_value = true;
      }
      if (name == "-o") name = "--output";
      if (name == "-h") name = "--help";
      if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
        a.options[name].push_back("1");
      } else if (std::find(with_value.begin(), with_value.end(), name) != with_value.end()) {
        if (!inline_value) {
          if (i + 1 >= argc) {
            a.error = "option " + name + " needs a value";
            return a;
          }
          value = argv[++i];
        }
        a.options[name].push_back(value);
      } else {
        a.error = "unknown option " + name;
        return a;
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

int usage_error(const std::string& command, const std::string& message) {
  std::cerr << "chanrules " << command << ": " << message << "\n"
            << "Run 'chanrules " << command << " --help' for usage.\n";
  return kUsage;
}

std::shared_ptr<const chanrules::rule_set> load_rules(const std::string& path, bool quiet_warnings,
                                                      int* exit_code) {
  auto loaded = chanrules::rule_set::load(path);
  for (const auto& d : loaded.diagnostics)
    if (d.level == chanrules::severity::error || !quiet_warnings) std::cerr << chanrules::format(d);
  if (!loaded.ok()) {
    size_t errors = 0;
    for (const auto& d : loaded.diagnostics) errors += d.level == chanrules::severity::error;
    std::cerr << "chanrules: the rule set " << path << " has " << errors << " error"
              << (errors == 1 ? "" : "s") << "\n";
    *exit_code = kFailed;
  }
  return loaded.rules;
}

// --- classify ----------------------------------------------------------------------------

const char* kClassifyHelp =
    "usage: chanrules classify --rules RULES INPUT.csv -o OUTPUT.csv [options]\n"
    "\n"
    "Classifies every row of a CSV export. Each input row becomes one output row (input\n"
    "columns byte for byte unless --excel-safe, then one column per output decision), or one\n"
    "row of the rejects file (line, column, reason, record). Files are written atomically.\n"
    "\n"
    "options:\n"
    "  --rules RULES        rule-set folder (holding ruleset.yaml) or YAML file (required)\n"
    "  -o, --output FILE    output CSV ('-' for standard output) (required)\n"
    "  --rejects FILE       rejected rows (default: OUTPUT.rejects.csv; with -o -, none is\n"
    "                       written unless given)\n"
    "  --encoding ENC       auto (default), utf-8 or gb18030\n"
    "  --columns A,B        only these output decisions, in this order\n"
    "  --reasons            add <decision>_rule and <decision>_missing columns\n"
    "  --excel-safe         neutralise written cells starting with = + - @\n"
    "  --max-rejects N      fail once more than N rows are rejected\n"
    "  --batch-rows N       rows classified together (default 16384)\n"
    "  --format FMT         output as csv (default) or jsonl (one JSON object per row);\n"
    "                       the rejects file is CSV either way\n"
    "  --jobs N             threads that parse and classify (default: one per core)\n"
    "  --chunk-bytes N      input bytes per piece of work (default 1048576)\n"
    "  --unique-memory MB   memory for the customer ids seen so far (default 64); beyond\n"
    "                       it they spill to temporary files beside the output\n"
    "  --max-field-bytes N  longest field, in bytes as written (default 1048576)\n"
    "  --max-record-bytes N longest record, in bytes without its line end (default\n"
    "                       16777216, at most 1073741824)\n"
    "  --max-fields N       most fields in one record (default 65536)\n"
    "                       A record over one of these limits is rejected (a header over\n"
    "                       one fails the run); they bound memory whatever the input\n"
    "  --quiet              no summary and no progress bar\n"
    "  --coverage FILE      write the coverage of the rows written (per rule: matched,\n"
    "                       won, false, unknown; see 'chanrules coverage') to FILE as JSON,\n"
    "                       and print it as a table after the summary\n"
    "  INPUT.csv            the export ('-' for standard input)\n"
    "\n"
    "On a terminal, a progress bar on standard error shows rows, rows/s, percent and ETA.\n";

// ASCII digits only (no sign, no trailing text), within 64 bits.
std::optional<uint64_t> whole_number(const std::string& s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// --max-field-bytes, --max-record-bytes and --max-fields (classify and diff) into the
// options' reader limits. Returns why one is unusable, or an empty string.
template <class Options>
std::string read_record_limits(const args& a, Options& options) {
  struct limit {
    const char* flag;
    size_t* value;
    uint64_t most;
  };
  const limit limits[] = {
      {"--max-field-bytes", &options.max_field_size, uint64_t{1} << 30},
      {"--max-record-bytes", &options.max_record_size, uint64_t{1} << 30},
      {"--max-fields", &options.max_fields, uint64_t{1} << 24},
  };
  for (const limit& l : limits) {
    if (!a.has(l.flag)) continue;
    auto n = whole_number(a.get(l.flag));
    if (!n || *n < 1 || *n > l.most)
      return std::string(l.flag) + " takes a whole number from 1 to " + std::to_string(l.most);
    *l.value = static_cast<size_t>(*n);
  }
  return {};
}

// Width of the terminal on standard error (80 when it cannot be told).
int terminal_columns() {
  struct winsize ws;
  if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void print_summary(std::ostream& out, const chanrules::csv_summary& s) {
  out << "rows in       " << s.rows_in << "\n";
  out << "rows out      " << s.rows_out << "\n";
  out << "rows rejected " << s.rows_rejected << "\n";
  out << "check         rows out + rows rejected = " << (s.rows_out + s.rows_rejected)
      << (s.rows_out + s.rows_rejected == s.rows_in ? " = rows in" : " != rows in (BUG)") << "\n";
  out << "decided with missing data: " << s.rows_with_missing << " rows\n";
  for (const auto& r : s.first_rejects)
    out << "  reject line " << r.line << (r.column.empty() ? "" : " [" + r.column + "]") << ": "
        << r.reason << "\n";
  for (const auto& d : s.decisions) {
    out << "\n" << d.name << "\n";
    for (const auto& [label, count] : d.counts)
      if (count > 0) {
        size_t width = chanrules::cli::display_width(label);
        out << "  " << label << std::string(width < 16 ? 16 - width : 1, ' ');
        char number[32];
        std::snprintf(number, sizeof number, "%10llu\n", static_cast<unsigned long long>(count));
        out << number;
      }
    if (d.no_outcome > 0) {
      char number[32];
      std::snprintf(number, sizeof number, "%10llu\n",
                    static_cast<unsigned long long>(d.no_outcome));
      out << "  (no outcome)    " << number;
    }
    if (d.with_missing > 0) out << "  decided with missing data: " << d.with_missing << "\n";
  }
  char line[256];
  double rate = s.seconds > 0 ? static_cast<double>(s.rows_in) / s.seconds : 0;
  double mb_rate = s.seconds > 0 ? static_cast<double>(s.input_bytes) / 1e6 / s.seconds : 0;
  std::snprintf(line, sizeof line, "\ntime %.3f s, %.0f rows/s, %.1f MB/s, %u thread%s, input %s\n",
                s.seconds, rate, mb_rate, s.jobs, s.jobs == 1 ? "" : "s", s.encoding.c_str());
  out << line;
}

int cmd_classify(int argc, char** argv) {
  args a =
      parse_args(argc, argv, 2,
                 {"--rules", "--output", "--rejects", "--encoding", "--columns", "--max-rejects",
                  "--batch-rows", "--format", "--jobs", "--chunk-bytes", "--unique-memory",
                  "--coverage", "--max-field-bytes", "--max-record-bytes", "--max-fields"},
                 {"--help", "--reasons", "--excel-safe", "--quiet"});
  if (a.has("--help")) {
    std::cout << kClassifyHelp;
    return kOk;
  }
  if (!a.error.empty()) return usage_error("classify", a.error);
  if (!a.has("--rules")) return usage_error("classify", "--rules is required");
  if (!a.has("--output")) return usage_error("classify", "-o/--output is required");
  if (a.positional.size() != 1) return usage_error("classify", "give exactly one INPUT.csv");
  chanrules::csv_options options;
  std::string enc = a.get("--encoding", "auto");
  if (enc == "auto") {
    options.encoding = chanrules::input_encoding::automatic;
  } else if (enc == "utf-8" || enc == "utf8" || enc == "UTF-8") {
    options.encoding = chanrules::input_encoding::utf8;
  } else if (enc == "gb18030" || enc == "GB18030") {
    options.encoding = chanrules::input_encoding::gb18030;
  } else {
    return usage_error("classify", "--encoding must be auto, utf-8 or gb18030");
  }
  options.reasons = a.has("--reasons");
  options.excel_safe = a.has("--excel-safe");
  options.decisions = split_commas(a.get("--columns"));
  if (a.has("--columns") && options.decisions.empty())
    return usage_error("classify", "--columns names no decision");
  if (a.has("--max-rejects")) {
    auto n = whole_number(a.get("--max-rejects"));
    if (!n) return usage_error("classify", "--max-rejects takes a whole number");
    options.max_rejects = *n;
  }
  if (a.has("--batch-rows")) {
    auto n = whole_number(a.get("--batch-rows"));
    if (!n || *n > (uint64_t{1} << 24))
      return usage_error("classify", "--batch-rows takes a whole number up to 16777216");
    options.batch_rows = static_cast<size_t>(*n);
  }
  if (options.batch_rows == 0) return usage_error("classify", "--batch-rows must be at least 1");
  std::string format = a.get("--format", "csv");
  if (format == "csv") {
    options.format = chanrules::output_format::csv;
  } else if (format == "jsonl") {
    options.format = chanrules::output_format::jsonl;
  } else {
    return usage_error("classify", "--format must be csv or jsonl");
  }
  if (a.has("--jobs")) {
    auto n = whole_number(a.get("--jobs"));
    if (!n || *n < 1 || *n > 256)
      return usage_error("classify", "--jobs takes a whole number from 1 to 256");
    options.jobs = static_cast<unsigned>(*n);
  }
  if (a.has("--chunk-bytes")) {
    auto n = whole_number(a.get("--chunk-bytes"));
    if (!n || *n < 1 || *n > (uint64_t{1} << 30))
      return usage_error("classify", "--chunk-bytes takes a whole number from 1 to 1073741824");
    options.chunk_bytes = static_cast<size_t>(*n);
  }
  if (a.has("--unique-memory")) {
    auto n = whole_number(a.get("--unique-memory"));
    if (!n || *n > 1024 * 1024)
      return usage_error("classify", "--unique-memory takes a whole number of MB up to 1048576");
    options.unique_memory = static_cast<size_t>(*n) << 20;
  }
  if (std::string why = read_record_limits(a, options); !why.empty())
    return usage_error("classify", why);
  std::string output = a.get("--output");
  std::string rejects = a.get("--rejects", output == "-" ? "" : output + ".rejects.csv");
  if (output == "-" && rejects == "-")
    return usage_error("classify", "output and rejects cannot both go to standard output");
  bool quiet = a.has("--quiet");
  const std::string coverage_path = a.get("--coverage");
  if (a.has("--coverage") && (coverage_path.empty() || coverage_path == "-"))
    return usage_error("classify", "--coverage needs a file name");
  if (a.has("--coverage") && (coverage_path == output || coverage_path == rejects))
    return usage_error("classify", "--coverage names the output or rejects file");
  chanrules::coverage covered;
  if (a.has("--coverage")) options.coverage = &covered;

  int code = kOk;
  // Rule-set warnings (e.g. a list row ignored) are worth seeing on every run.
  auto rules = load_rules(a.get("--rules"), quiet, &code);
  if (!rules) return code;
  install_signal_handlers();
  options.cancel = &g_cancel;
  bool progress = !quiet && isatty(2);
  if (progress) {
    double shown_at = -1;
    options.progress = [shown_at](const chanrules::csv_progress& p) mutable {
      // A terminal redrawn more than ten times a second only costs time.
      if (shown_at >= 0 && p.seconds - shown_at < 0.1) return;
      shown_at = p.seconds;
      std::string line = chanrules::progress_line(p, terminal_columns());
      std::fprintf(stderr, "\r%s\033[K", line.c_str());
      std::fflush(stderr);
    };
  }
  chanrules::csv_summary s =
      chanrules::classify_csv(*rules, a.positional[0], output, rejects, options);
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!s.ok) {
    std::cerr << "chanrules classify: " << s.error << "\n";
    if (output == "-")
      std::cerr << "the output on standard output is incomplete\n";
    else
      std::cerr << "no output written (" << output << (rejects.empty() ? "" : ", " + rejects)
                << " left as they were)\n";
    return g_cancel.load() ? kInterrupted : kFailed;
  }
  for (const auto& w : s.warnings) std::cerr << "chanrules classify: warning: " << w << "\n";
  if (a.has("--coverage") && !chanrules::cli::save_coverage(covered, coverage_path, "classify"))
    return kFailed;
  if (!quiet) {
    std::ostream& out = output == "-" ? std::cerr : std::cout;
    out << "chanrules classify: " << rules->name() << " " << rules->version() << " on "
        << a.positional[0] << " -> " << output;
    if (!rejects.empty()) out << " (rejects: " << rejects << ")";
    out << "\n\n";
    print_summary(out, s);
    if (a.has("--coverage")) {
      out << "\n";
      chanrules::cli::print_coverage_table(out, covered);
    }
  }
  return kOk;
}

// --- check -------------------------------------------------------------------------------

const char* kCheckHelp =
    "usage: chanrules check RULES [--json] [--dump] [--strict] [--no-analysis]\n"
    "                       [--max-steps N]\n"
    "\n"
    "Loads, checks and lints a rule set, then analyses its decisions (rules that can never\n"
    "fire, unused defaults, and the 'hit: unique' and 'complete: true' contracts, with a\n"
    "counter-example record for each violation). Prints errors and warnings as\n"
    "file:line:column with the source line, a caret and a hint. Exit 1 on errors.\n"
    "\n"
    "options:\n"
    "  --json          diagnostics as a JSON array\n"
    "  --dump          also print the compiled program\n"
    "  --strict        the analysis' warnings are errors (exit 1)\n"
    "  --no-analysis   load, check and lint only\n"
    "  --max-steps N   search steps per question before the analysis gives up\n"
    "                  with W-undecided (default 2000)\n";

// Adds the analysis' findings to the load diagnostics. The graph stage's quick lint may
// already have reported the same unreachable rule: one report per place and code.
void add_analysis(const chanrules::rule_set& rules, bool strict, uint64_t max_steps,
                  std::vector<chanrules::diagnostic>& diags) {
  auto same = [](const chanrules::diagnostic& x, const chanrules::diagnostic& y) {
    return x.code == y.code && x.location.file == y.location.file &&
           x.location.line == y.location.line && x.location.column == y.location.column;
  };
  std::vector<chanrules::diagnostic> added;
  chanrules::analysis_options options;
  options.max_steps = max_steps;
  for (auto& f : rules.analyze(options)) {
    chanrules::diagnostic d = f.diag;
    if (strict && d.level == chanrules::severity::warning) d.level = chanrules::severity::error;
    diags.erase(std::remove_if(diags.begin(), diags.end(),
                               [&](const chanrules::diagnostic& old) { return same(old, d); }),
                diags.end());
    added.push_back(std::move(d));
  }
  diags.insert(diags.end(), added.begin(), added.end());
  std::stable_sort(diags.begin(), diags.end(), [](const auto& x, const auto& y) {
    if (x.location.file != y.location.file) return x.location.file < y.location.file;
    return x.location.line < y.location.line;
  });
}

int cmd_check(int argc, char** argv) {
  args a = parse_args(argc, argv, 2, {"--max-steps"},
                      {"--help", "--json", "--dump", "--strict", "--no-analysis"});
  if (a.has("--help")) {
    std::cout << kCheckHelp;
    return kOk;
  }
  if (!a.error.empty()) return usage_error("check", a.error);
  if (a.positional.size() != 1) return usage_error("check", "give exactly one RULES path");
  auto max_steps = whole_number(a.get("--max-steps", "2000"));
  if (!max_steps || *max_steps == 0)
    return usage_error("check", "--max-steps needs a whole number above 0");
  auto loaded = chanrules::rule_set::load(a.positional[0]);
  if (loaded.ok() && !a.has("--no-analysis"))
    add_analysis(*loaded.rules, a.has("--strict"), *max_steps, loaded.diagnostics);
  size_t errors = 0, warnings = 0;
  for (const auto& d : loaded.diagnostics) {
    errors += d.level == chanrules::severity::error;
    warnings += d.level == chanrules::severity::warning;
  }
  if (a.has("--json")) {
    std::cout << "[";
    for (size_t i = 0; i < loaded.diagnostics.size(); ++i)
      std::cout << (i ? ",\n " : "") << chanrules::to_json(loaded.diagnostics[i]);
    std::cout << "]\n";
  } else {
    for (const auto& d : loaded.diagnostics) std::cout << chanrules::format(d);
    std::cout << a.positional[0] << ": " << errors << " error" << (errors == 1 ? "" : "s") << ", "
              << warnings << " warning" << (warnings == 1 ? "" : "s") << "\n";
    if (loaded.ok() && a.has("--dump")) std::cout << loaded.rules->dump_program();
  }
  return loaded.ok() && errors == 0 ? kOk : kFailed;
}

// --- test --------------------------------------------------------------------------------

const char* kTestHelp =
    "usage: chanrules test RULES [--verbose] [--coverage [FILE.json]]\n"
    "\n"
    "Runs the rule set's own test cases. Prints each failure with what was expected, what\n"
    "came out and the explanation trace; ends with 'N passed, N failed'. Exit 1 if any fails.\n"
    "\n"
    "options:\n"
    "  --verbose              also list the tests that passed\n"
    "  --coverage [FILE]      then print how the test records cover the rule set (per rule:\n"
    "                         matched, won, false, unknown; rules never won); with FILE, also\n"
    "                         write it there as JSON (see 'chanrules coverage')\n";

int cmd_test(int argc, char** argv) {
  // --coverage takes an optional FILE: the argument after it, when another one is left for
  // RULES (`test RULES --coverage` and `test --coverage RULES` have no file).
  std::vector<char*> rest(argv, argv + argc);
  bool want_coverage = false;
  std::string coverage_path;
  for (size_t i = 2; i < rest.size(); ++i) {
    std::string s = rest[i];
    if (s == "--") break;
    if (s.rfind("--coverage=", 0) == 0) {
      want_coverage = true;
      coverage_path = s.substr(11);
      if (coverage_path.empty() || coverage_path == "-")
        return usage_error("test", "--coverage= needs a file name");
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i--));
      continue;
    }
    if (s != "--coverage") continue;
    want_coverage = true;
    size_t others = 0;
    for (size_t j = 2; j < rest.size(); ++j) others += j != i && rest[j][0] != '-';
    if (i + 1 < rest.size() && rest[i + 1][0] != '-' && others >= 2) {
      coverage_path = rest[i + 1];
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i + 1));
    }
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i--));
  }
  args a = parse_args(static_cast<int>(rest.size()), rest.data(), 2, {}, {"--help", "--verbose"});
  if (a.has("--help")) {
    std::cout << kTestHelp;
    return kOk;
  }
  if (!a.error.empty()) return usage_error("test", a.error);
  if (a.positional.size() != 1) return usage_error("test", "give exactly one RULES path");
  int code = kOk;
  auto rules = load_rules(a.positional[0], false, &code);
  if (!rules) return code;
  size_t passed = 0, failed = 0;
  for (const auto& t : rules->run_tests()) {
    if (t.passed) {
      ++passed;
      if (a.has("--verbose")) std::cout << "ok    " << t.name << "\n";
      continue;
    }
    ++failed;
    std::cout << "FAIL  " << t.name << "  (" << t.location.file << ":" << t.location.line << ")\n";
    for (const auto& f : t.failures) std::cout << "      " << f << "\n";
    std::istringstream trace(t.trace);
    for (std::string line; std::getline(trace, line);) std::cout << "      | " << line << "\n";
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  if (want_coverage) {
    chanrules::coverage covered = chanrules::cover_tests(*rules);
    std::cout << "\n";
    chanrules::cli::print_coverage_table(std::cout, covered);
    if (!coverage_path.empty() && !chanrules::cli::save_coverage(covered, coverage_path, "test"))
      return kFailed;
  }
  return failed == 0 ? kOk : kFailed;
}

// --- explain -----------------------------------------------------------------------------

const char* kExplainHelp =
    "usage: chanrules explain RULES --id CUSTOMER_ID INPUT.csv [--key COLUMN] [--json]\n"
    "                 [--max-field-bytes N] [--max-record-bytes N] [--max-fields N]\n"
    "       chanrules explain RULES field=value ... [--json]\n"
    "\n"
    "Shows, for one customer, every decision: the rules tried in order, each condition with\n"
    "the value it saw and whether it held, the rule that fired and the missing values.\n"
    "With --id, INPUT.csv is read as classify reads it, with the same record limits.\n";

int cmd_explain(int argc, char** argv) {
  args a = parse_args(argc, argv, 2,
                      {"--id", "--key", "--max-field-bytes", "--max-record-bytes", "--max-fields"},
                      {"--help", "--json"});
  if (a.has("--help")) {
    std::cout << kExplainHelp;
    return kOk;
  }
  if (!a.error.empty()) return usage_error("explain", a.error);
  if (a.positional.empty()) return usage_error("explain", "give the RULES path");
  int code = kOk;
  auto rules = load_rules(a.positional[0], true, &code);
  if (!rules) return code;
  std::map<std::string, std::string> record;
  if (a.has("--id")) {
    if (a.positional.size() != 2) return usage_error("explain", "--id needs one INPUT.csv");
    // Find the record by classifying nothing: read the CSV through the library's reader by
    // way of classify_csv into memory would be wasteful; scan it with a small reader here.
    chanrules::csv_options read;
    if (std::string bad = read_record_limits(a, read); !bad.empty())
      return usage_error("explain", bad);
    chanrules::csv_lookup found = chanrules::find_csv_record(
        a.positional[1], a.get("--key", "customer_id"), a.get("--id"), read);
    if (!found.found) {
      std::cerr << "chanrules explain: " << found.error << "\n";
      return kFailed;
    }
    std::cerr << "record from " << a.positional[1] << " line " << found.line << "\n";
    // Extra export columns are passed through by classify; they are not fields to explain.
    for (auto& [name, text] : found.record)
      for (size_t f = 0; f < rules->field_count(); ++f)
        if (rules->field_name(f) == name) record[name] = text;
  } else {
    for (size_t i = 1; i < a.positional.size(); ++i) {
      const std::string& kv = a.positional[i];
      auto eq = kv.find('=');
      if (eq == std::string::npos)
        return usage_error("explain", "expected field=value, got '" + kv + "'");
      record[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  chanrules::explanation e = rules->explain(record);
  std::cout << (a.has("--json") ? e.to_json() + "\n" : e.to_text());
  return kOk;
}

// --- graph -------------------------------------------------------------------------------

const char* kGraphHelp =
    "usage: chanrules graph RULES [--format dot|svg|png] [-o FILE] [--coverage FILE.json]\n"
    "\n"
    "Prints the decision graph: decisions with their rules, and an edge for every reference\n"
    "from one decision to another. DOT is written by chanrules itself; svg and png are drawn\n"
    "by Graphviz's 'dot' program (found in PATH), which must be installed.\n"
    "\n"
    "options:\n"
    "  --format F          dot (default), svg or png\n"
    "  -o, --output FILE   write to FILE, atomically (default: standard output; png is not\n"
    "                      written to a terminal)\n"
    "  --coverage FILE     draw the evidence of a coverage file of this rule set (from\n"
    "                      'classify --coverage' or 'test --coverage'): each rule's matched\n"
    "                      and won rows and share, rules that never won in red and dashed,\n"
    "                      the rows copied along each edge\n"
    "\n"
    "Exit codes: 0 written; 1 rule-set errors, 'dot' missing or failed, or the file could not\n"
    "be written (then FILE is left as it was); 2 bad command line.\n";

int cmd_graph(int argc, char** argv) {
  args a = parse_args(argc, argv, 2, {"--format", "--output", "--coverage"}, {"--help"});
  if (a.has("--help")) {
    std::cout << kGraphHelp;
    return kOk;
  }
  if (!a.error.empty()) return usage_error("graph", a.error);
  if (a.positional.size() != 1) return usage_error("graph", "give exactly one RULES path");
  auto format = chanrules::parse_graph_format(a.get("--format", "dot"));
  if (!format) return usage_error("graph", "--format must be dot, svg or png");
  std::string output = a.get("--output", "-");
  if (output.empty()) return usage_error("graph", "-o/--output needs a file name");
  if (output == "-" && *format == chanrules::graph_format::png && isatty(1))
    return usage_error("graph", "will not write PNG to a terminal; use -o FILE");
  if (a.has("--coverage") && a.get("--coverage").empty())
    return usage_error("graph", "--coverage needs a file name");
  int code = kOk;
  auto rules = load_rules(a.positional[0], true, &code);
  if (!rules) return code;
  chanrules::graph_render_options render;
  std::optional<chanrules::coverage> evidence;
  if (a.has("--coverage")) {
    std::string why;
    evidence = chanrules::coverage::load(a.get("--coverage"), &why);
    if (!evidence) {
      std::cerr << "chanrules graph: " << why << "\n";
      return kFailed;
    }
    if (!evidence->matches(*rules, &why)) {
      std::cerr << "chanrules graph: " << a.get("--coverage") << ": " << why << "\n";
      return kFailed;
    }
    render.coverage = &*evidence;
  }
  std::cout.flush();
  auto r = chanrules::write_graph(*rules, *format, output, render);
  if (!r.ok) {
    std::cerr << "chanrules graph: " << r.error << "\n";
    if (output != "-") std::cerr << "no graph written (" << output << " left as it was)\n";
    return kFailed;
  }
  return kOk;
}

// --- diff --------------------------------------------------------------------------------

const char* kDiffHelp =
    "usage: chanrules diff --old RULES_A --new RULES_B INPUT.csv [--changes CHANGES.csv]\n"
    "                      [options]\n"
    "\n"
    "Classifies the export with both rule sets and shows, for every output decision they\n"
    "share, how many rows move from each old class to each new class (the matrix is cut to\n"
    "the classes a change touches; --json gives all of it).\n"
    "The rows whose class changed, and the rows only one rule set accepts, go to the changes\n"
    "file (line, the input columns, change, then <decision>_old, _new, _old_rule, _new_rule\n"
    "per decision, and reason), written atomically. Decisions only one rule set has are\n"
    "listed as added or removed. This is how to preview next year's standard or a new list.\n"
    "\n"
    "options:\n"
    "  --old RULES          the current rule set (required)\n"
    "  --new RULES          the changed rule set (required)\n"
    "  --changes FILE       write the changed rows ('-' for standard output; the summary\n"
    "                       then goes to standard error)\n"
    "  --key A,B            only these input columns in the changes file (default: all)\n"
    "  --decisions A,B      compare only these decisions (each in both rule sets)\n"
    "  --json               print the summary as JSON\n"
    "  --encoding ENC       auto (default), utf-8 or gb18030\n"
    "  --excel-safe         neutralise changes-file cells starting with = + - @\n"
    "  --batch-rows N       rows classified together (default 16384)\n"
    "  --max-field-bytes N, --max-record-bytes N, --max-fields N\n"
    "                       the record size limits, as for classify (a record over one\n"
    "                       is rejected by both rule sets)\n"
    "  --quiet              no rule-set warnings and no summary (--json still prints)\n"
    "  INPUT.csv            the export ('-' for standard input)\n"
    "\n"
    "A row one rule set rejects and the other accepts counts as the class '(rejected)' on\n"
    "that side. Exit codes: 0 compared (whether or not anything changed); 1 rule-set errors\n"
    "or the run failed (no changes file written); 2 bad command line; 130 interrupted.\n";

std::optional<chanrules::input_encoding> encoding_named(const std::string& name) {
  if (name == "auto") return chanrules::input_encoding::automatic;
  if (name == "utf-8" || name == "utf8" || name == "UTF-8") return chanrules::input_encoding::utf8;
  if (name == "gb18030" || name == "GB18030") return chanrules::input_encoding::gb18030;
  return std::nullopt;
}

// A class in the transition table: its label, or what stands for its absence.
std::string class_text(const std::string& label, bool rejected) {
  if (rejected) return "(rejected)";
  return label.empty() ? "(no outcome)" : label;
}

// Pads a label to `width` terminal columns (at least one space after it).
std::string padded(const std::string& text, size_t width) {
  size_t w = chanrules::cli::display_width(text);
  return text + std::string(w < width ? width - w : 1, ' ');
}

// The transition matrix of one decision, cut down to the classes a change touches: a row
// per old class that lost rows, a column per new class that gained rows (plus the column
// of each row's own class, for the rows that stayed). Every row outside it kept its class.
void print_transition_grid(std::ostream& out, const chanrules::decision_diff& d) {
  // Classes by their index in their rule set's order (labels, no outcome, rejected).
  std::vector<const chanrules::diff_transition*> row_of, column_of;
  auto add = [](std::vector<const chanrules::diff_transition*>& list, size_t index,
                const chanrules::diff_transition& t) {
    if (list.size() <= index) list.resize(index + 1, nullptr);
    if (!list[index]) list[index] = &t;
  };
  for (const auto& t : d.transitions)
    if (t.changed()) add(row_of, t.old_index, t);
  for (const auto& t : d.transitions)
    if (t.old_index < row_of.size() && row_of[t.old_index]) add(column_of, t.new_index, t);
  std::vector<size_t> rows, columns;
  for (size_t i = 0; i < row_of.size(); ++i)
    if (row_of[i]) rows.push_back(i);
  for (size_t i = 0; i < column_of.size(); ++i)
    if (column_of[i]) columns.push_back(i);
  auto row_label = [&](size_t i) {
    return class_text(row_of[i]->old_label, row_of[i]->old_rejected);
  };
  auto column_label = [&](size_t i) {
    return class_text(column_of[i]->new_label, column_of[i]->new_rejected);
  };
  auto count = [&d](size_t from, size_t to) -> uint64_t {
    for (const auto& t : d.transitions)
      if (t.old_index == from && t.new_index == to) return t.rows;
    return 0;
  };
  const std::string corner = "old \\ new";
  size_t first = chanrules::cli::display_width(corner);
  for (size_t r : rows) first = std::max(first, chanrules::cli::display_width(row_label(r)));
  first += 2;
  std::vector<size_t> widths;
  for (size_t c : columns) {
    size_t w = chanrules::cli::display_width(column_label(c));
    for (size_t r : rows) w = std::max(w, std::to_string(count(r, c)).size());
    widths.push_back(w + 2);
  }
  auto right = [](const std::string& text, size_t width) {
    size_t w = chanrules::cli::display_width(text);
    return std::string(w < width ? width - w : 0, ' ') + text;
  };
  out << "  " << padded(corner, first);
  for (size_t i = 0; i < columns.size(); ++i) out << right(column_label(columns[i]), widths[i]);
  out << "\n";
  uint64_t shown = 0;
  for (size_t r : rows) {
    out << "  " << padded(row_label(r), first);
    for (size_t i = 0; i < columns.size(); ++i) {
      uint64_t n = count(r, columns[i]);
      shown += n;
      out << right(n == 0 ? "." : std::to_string(n), widths[i]);
    }
    out << "\n";
  }
  uint64_t total = 0;
  for (const auto& t : d.transitions) total += t.rows;
  if (total == shown + 1) out << "  the other row keeps its class\n";
  if (total > shown + 1) out << "  the other " << total - shown << " rows keep their class\n";
}

void print_diff_summary(std::ostream& out, const chanrules::diff_summary& s, bool to_file) {
  auto line = [&out](const char* label, uint64_t n, const char* note) {
    char number[32];
    std::snprintf(number, sizeof number, "%10llu", static_cast<unsigned long long>(n));
    out << padded(label, 22) << number << (*note ? "  " : "") << note << "\n";
  };
  line("rows in", s.rows_in, "");
  line("compared", s.rows_compared, "accepted by both rule sets");
  line("rejected by both", s.rows_rejected_both, "not compared");
  line("rejected by old only", s.rows_rejected_old, "");
  line("rejected by new only", s.rows_rejected_new, "");
  uint64_t sum = s.rows_compared + s.rows_rejected_both + s.rows_rejected_old + s.rows_rejected_new;
  out << "check                 compared + rejected = " << sum
      << (sum == s.rows_in ? " = rows in" : " != rows in (BUG)") << "\n";
  line("changed", s.rows_changed, "compared rows whose class changed");
  if (to_file)
    line("written", s.rows_written, "rows of the changes file: changed + rejected by one");
  for (const auto& r : s.first_rejects) {
    out << "  line " << r.line << " rejected by "
        << (r.by_old && r.by_new ? "both"
            : r.by_old           ? "old only"
                                 : "new only")
        << (r.column.empty() ? "" : " [" + r.column + "]") << ": " << r.reason << "\n";
  }
  uint64_t classified = s.rows_compared + s.rows_rejected_old + s.rows_rejected_new;
  for (const auto& d : s.decisions) {
    out << "\n" << d.name << ": ";
    if (d.rows_changed == 0) {
      out << "no row changes class (" << classified << " rows)\n";
      continue;
    }
    out << d.rows_changed << " of " << classified << " rows change class\n";
    print_transition_grid(out, d);
  }
  auto only = [&out](const char* what, const char* side,
                     const std::vector<chanrules::decision_counts>& list) {
    for (const auto& d : list) {
      out << "\n" << what << " decision " << d.name << " (only in the " << side << " rule set)\n";
      for (const auto& [label, count] : d.counts) {
        if (count == 0) continue;
        char number[32];
        std::snprintf(number, sizeof number, "%10llu", static_cast<unsigned long long>(count));
        out << "    " << padded(label, 16) << number << "\n";
      }
      if (d.no_outcome > 0) {
        char number[32];
        std::snprintf(number, sizeof number, "%10llu",
                      static_cast<unsigned long long>(d.no_outcome));
        out << "    " << padded("(no outcome)", 16) << number << "\n";
      }
    }
  };
  only("removed", "old", s.removed);
  only("added", "new", s.added);
  char tail[128];
  std::snprintf(tail, sizeof tail, "\ntime %.3f s, input %s\n", s.seconds, s.encoding.c_str());
  out << tail;
}

int cmd_diff(int argc, char** argv) {
  args a = parse_args(argc, argv, 2,
                      {"--old", "--new", "--changes", "--key", "--decisions", "--encoding",
                       "--batch-rows", "--max-field-bytes", "--max-record-bytes", "--max-fields"},
                      {"--help", "--json", "--excel-safe", "--quiet"});
  if (a.has("--help")) {
    std::cout << kDiffHelp;
    return kOk;
  }
  if (!a.error.empty()) return usage_error("diff", a.error);
  if (!a.has("--old")) return usage_error("diff", "--old is required");
  if (!a.has("--new")) return usage_error("diff", "--new is required");
  if (a.positional.size() != 1) return usage_error("diff", "give exactly one INPUT.csv");
  chanrules::diff_options options;
  auto encoding = encoding_named(a.get("--encoding", "auto"));
  if (!encoding) return usage_error("diff", "--encoding must be auto, utf-8 or gb18030");
  options.encoding = *encoding;
  options.excel_safe = a.has("--excel-safe");
  options.key_columns = split_commas(a.get("--key"));
  if (a.has("--key") && options.key_columns.empty())
    return usage_error("diff", "--key names no column");
  options.decisions = split_commas(a.get("--decisions"));
  if (a.has("--decisions") && options.decisions.empty())
    return usage_error("diff", "--decisions names no decision");
  if (a.has("--batch-rows")) {
    auto n = whole_number(a.get("--batch-rows"));
    if (!n || *n == 0 || *n > (uint64_t{1} << 24))
      return usage_error("diff", "--batch-rows takes a whole number from 1 to 16777216");
    options.batch_rows = static_cast<size_t>(*n);
  }
  if (std::string why = read_record_limits(a, options); !why.empty())
    return usage_error("diff", why);
  std::string changes = a.get("--changes");
  if (a.has("--changes") && changes.empty())
    return usage_error("diff", "--changes needs a file name");
  bool json = a.has("--json"), quiet = a.has("--quiet");
  if (json && changes == "-")
    return usage_error("diff", "--json and --changes - cannot both use standard output");

  int code = kOk;
  auto old_rules = load_rules(a.get("--old"), quiet, &code);
  auto new_rules = load_rules(a.get("--new"), quiet, &code);
  if (!old_rules || !new_rules) return code;
  install_signal_handlers();
  options.cancel = &g_cancel;
  chanrules::diff_summary s =
      chanrules::diff_csv(*old_rules, *new_rules, a.positional[0], changes, options);
  if (!s.ok) {
    std::cerr << "chanrules diff: " << s.error << "\n";
    if (changes == "-")
      std::cerr << "the changes on standard output are incomplete\n";
    else if (!changes.empty())
      std::cerr << "no changes file written (" << changes << " left as it was)\n";
    return g_cancel.load() ? kInterrupted : kFailed;
  }
  for (const auto& w : s.warnings) std::cerr << "chanrules diff: warning: " << w << "\n";
  if (json) {
    std::cout << chanrules::to_json(s, *old_rules, *new_rules) << "\n";
  } else if (!quiet) {
    std::ostream& out = changes == "-" ? std::cerr : std::cout;
    out << "chanrules diff: " << old_rules->name() << " " << old_rules->version() << " -> "
        << new_rules->name() << " " << new_rules->version() << " on " << a.positional[0];
    if (!changes.empty()) out << " (changes: " << changes << ")";
    out << "\n\n";
    print_diff_summary(out, s, !changes.empty());
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    std::cout << kMainHelp;
    return argc < 2 ? kUsage : kOk;
  }
  std::string command = argv[1];
  try {
    if (command == "classify") return cmd_classify(argc, argv);
    if (command == "check") return cmd_check(argc, argv);
    if (command == "test") return cmd_test(argc, argv);
    if (command == "explain") return cmd_explain(argc, argv);
    if (command == "graph") return cmd_graph(argc, argv);
    if (command == "diff") return cmd_diff(argc, argv);
    if (command == "coverage") return chanrules::cli::run_coverage(argc, argv);
    if (command == "bench") return chanrules::cli::run_bench(argc, argv);
    if (command == "version" || command == "--version") {
      std::cout << "chanrules " << CHANRULES_VERSION_STRING << "\n";
      return kOk;
    }
  } catch (const std::exception& e) {
    std::cerr << "chanrules " << command << ": " << e.what() << "\n";
    return kFailed;
  }
  std::cerr << "chanrules: unknown command '" << command << "'\n" << kMainHelp;
  return kUsage;
}
