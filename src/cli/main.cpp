// The chanrules command-line tool. Built on the public API only (include/chanrules/).
//
//   chanrules classify --rules DIR INPUT.csv -o OUT.csv [--rejects R.csv] [--reasons] ...
//   chanrules check RULES [--json] [--dump]
//   chanrules test RULES
//   chanrules explain RULES (--id ID INPUT.csv | key=value ...) [--json]
//   chanrules graph RULES
//
// Exit codes: 0 success; 1 the rule set has errors, a test failed, or classification failed
// (no output file written); 2 the command line is wrong; 130 interrupted.
#include <chanrules/csv.h>
#include <signal.h>
#include <unistd.h>

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
    "  graph      print the decision graph (Graphviz DOT)\n"
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
    "  --quiet              no summary and no progress\n"
    "  INPUT.csv            the export ('-' for standard input)\n";

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

// Terminal columns a UTF-8 text takes (CJK characters take two), for aligned tables.
size_t display_width(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    w += len >= 3 ? 2 : 1;
    i += len;
  }
  return w;
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
        size_t width = display_width(label);
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
  std::snprintf(line, sizeof line, "\ntime %.3f s, %.0f rows/s, input %s\n", s.seconds, rate,
                s.encoding.c_str());
  out << line;
}

int cmd_classify(int argc, char** argv) {
  args a = parse_args(argc, argv, 2,
                      {"--rules", "--output", "--rejects", "--encoding", "--columns",
                       "--max-rejects", "--batch-rows"},
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
  std::string output = a.get("--output");
  std::string rejects = a.get("--rejects", output == "-" ? "" : output + ".rejects.csv");
  if (output == "-" && rejects == "-")
    return usage_error("classify", "output and rejects cannot both go to standard output");
  bool quiet = a.has("--quiet");

  int code = kOk;
  // Rule-set warnings (e.g. a list row ignored) are worth seeing on every run.
  auto rules = load_rules(a.get("--rules"), quiet, &code);
  if (!rules) return code;
  install_signal_handlers();
  options.cancel = &g_cancel;
  bool progress = !quiet && isatty(2);
  if (progress) {
    options.progress = [](const chanrules::csv_progress& p) {
      if (p.total_bytes > 0) {
        std::fprintf(stderr, "\r%llu rows, %.0f%%", static_cast<unsigned long long>(p.rows),
                     100.0 * static_cast<double>(p.bytes) / static_cast<double>(p.total_bytes));
      } else {
        std::fprintf(stderr, "\r%llu rows", static_cast<unsigned long long>(p.rows));
      }
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
  if (!quiet) {
    std::ostream& out = output == "-" ? std::cerr : std::cout;
    out << "chanrules classify: " << rules->name() << " " << rules->version() << " on "
        << a.positional[0] << " -> " << output;
    if (!rejects.empty()) out << " (rejects: " << rejects << ")";
    out << "\n\n";
    print_summary(out, s);
  }
  return kOk;
}

// --- check -------------------------------------------------------------------------------

const char* kCheckHelp =
    "usage: chanrules check RULES [--json] [--dump]\n"
    "\n"
    "Loads, checks and lints a rule set; prints errors and warnings as\n"
    "file:line:column with the source line, a caret and a hint. Exit 1 on errors.\n"
    "\n"
    "options:\n"
    "  --json   diagnostics as a JSON array\n"
    "  --dump   also print the compiled program\n";

int cmd_check(int argc, char** argv) {
  args a = parse_args(argc, argv, 2, {}, {"--help", "--json", "--dump"});
  if (a.has("--help")) {
    std::cout << kCheckHelp;
    return kOk;
  }
  if (!a.error.empty()) return usage_error("check", a.error);
  if (a.positional.size() != 1) return usage_error("check", "give exactly one RULES path");
  auto loaded = chanrules::rule_set::load(a.positional[0]);
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
  return loaded.ok() ? kOk : kFailed;
}

// --- test --------------------------------------------------------------------------------

const char* kTestHelp =
    "usage: chanrules test RULES [--verbose]\n"
    "\n"
    "Runs the rule set's own test cases. Prints each failure with what was expected, what\n"
    "came out and the explanation trace; ends with 'N passed, N failed'. Exit 1 if any fails.\n";

int cmd_test(int argc, char** argv) {
  args a = parse_args(argc, argv, 2, {}, {"--help", "--verbose"});
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
  return failed == 0 ? kOk : kFailed;
}

// --- explain -----------------------------------------------------------------------------

const char* kExplainHelp =
    "usage: chanrules explain RULES --id CUSTOMER_ID INPUT.csv [--key COLUMN] [--json]\n"
    "       chanrules explain RULES field=value ... [--json]\n"
    "\n"
    "Shows, for one customer, every decision: the rules tried in order, each condition with\n"
    "the value it saw and whether it held, the rule that fired and the missing values.\n";

int cmd_explain(int argc, char** argv) {
  args a = parse_args(argc, argv, 2, {"--id", "--key"}, {"--help", "--json"});
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
    chanrules::csv_lookup found =
        chanrules::find_csv_record(a.positional[1], a.get("--key", "customer_id"), a.get("--id"));
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
    "usage: chanrules graph RULES\n"
    "\n"
    "Prints the decision graph in Graphviz DOT: decisions with their rules, and an edge for\n"
    "every reference from one decision to another. Render it with: dot -Tsvg\n";

int cmd_graph(int argc, char** argv) {
  args a = parse_args(argc, argv, 2, {}, {"--help"});
  if (a.has("--help")) {
    std::cout << kGraphHelp;
    return kOk;
  }
  if (!a.error.empty()) return usage_error("graph", a.error);
  if (a.positional.size() != 1) return usage_error("graph", "give exactly one RULES path");
  int code = kOk;
  auto rules = load_rules(a.positional[0], true, &code);
  if (!rules) return code;
  std::cout << rules->graph_dot();
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
