// Coverage tables and the `chanrules coverage` command (see coverage_output.h).
#include "coverage_output.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string_view>
#include <vector>

namespace chanrules::cli {

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

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

// At most `width` columns: cut on a character boundary, with "..." after.
std::string fit(const std::string& s, size_t width) {
  if (display_width(s) <= width) return s;
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    size_t cw = len >= 3 ? 2 : 1;
    if (w + cw > width - 3) break;
    out.append(s, i, len);
    w += cw;
    i += len;
  }
  return out + "...";
}

std::string pad(const std::string& s, size_t width) {
  size_t w = display_width(s);
  return s + std::string(w < width ? width - w : 1, ' ');
}

std::string right(const std::string& s, size_t width) {
  size_t w = display_width(s);
  return std::string(w < width ? width - w : 1, ' ') + s;
}

std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

std::string rows_text(uint64_t n) { return std::to_string(n) + (n == 1 ? " row" : " rows"); }

constexpr size_t kCondition = 36;  // widest condition text shown
constexpr size_t kNumber = 10;

}  // namespace

void print_coverage_table(std::ostream& out, const coverage& c) {
  out << "coverage of " << c.rule_set_name() << " " << c.rule_set_version() << ": " << c.records()
      << (c.records() == 1 ? " record" : " records") << "\n";
  struct dead_rule {
    std::string decision, rule;
    uint64_t matched;
  };
  std::vector<dead_rule> dead;
  size_t rule_count = 0;
  // One width for the first column of every decision, so that the numbers line up.
  size_t first = std::max<size_t>(16, display_width("(no outcome)"));
  for (const decision_coverage& d : c.decisions())
    for (const rule_coverage& r : d.rules) {
      first = std::max(first, display_width(r.id));
      if (r.conditions.size() > 1)
        for (const condition_coverage& k : r.conditions)
          first = std::max(first, 2 + display_width(fit(k.text, kCondition)));
    }
  first += 2;
  for (const decision_coverage& d : c.decisions()) {
    out << "\n" << d.name;
    if (!d.output) out << " (helper)";
    out << ": " << rows_text(d.rows);
    if (d.rows != c.records())
      out << " of " << c.records() << " (decided only for the rows that copy it)";
    if (d.collects) out << " (hit: collect: a rule wins every row it matches)";
    out << "\n";
    out << "  " << pad("rule", first) << right("matched", kNumber) << right("won", kNumber)
        << right("share", kNumber) << right("false", kNumber) << right("unknown", kNumber) << "\n";
    for (const rule_coverage& r : d.rules) {
      ++rule_count;
      out << "  " << pad(r.id, first) << right(std::to_string(r.matched), kNumber)
          << right(std::to_string(r.won), kNumber) << right(percent(r.won, d.rows), kNumber)
          << right(std::to_string(r.false_rows), kNumber)
          << right(std::to_string(r.unknown_rows), kNumber);
      if (r.won == 0) {
        out << (r.matched == 0 ? "  never matched" : "  never won");
        dead.push_back({d.name, r.id, r.matched});
      }
      out << "\n";
      // A single condition's counts are the rule's own.
      if (r.conditions.size() > 1)
        for (const condition_coverage& k : r.conditions)
          out << "    " << pad(fit(k.text, kCondition), first - 2)
              << right(std::to_string(k.true_rows), kNumber) << std::string(2 * kNumber, ' ')
              << right(std::to_string(k.false_rows), kNumber)
              << right(std::to_string(k.unknown_rows), kNumber) << "\n";
    }
    if (d.has_default)
      out << "  " << pad("default", first) << std::string(kNumber, ' ')
          << right(std::to_string(d.by_default), kNumber)
          << right(percent(d.by_default, d.rows), kNumber) << "\n";
    if (!d.has_default || d.no_outcome > 0)
      out << "  " << pad("(no outcome)", first) << std::string(kNumber, ' ')
          << right(std::to_string(d.no_outcome), kNumber)
          << right(percent(d.no_outcome, d.rows), kNumber) << "\n";
    if (d.with_missing > 0)
      out << "  decided with missing data: " << rows_text(d.with_missing) << "\n";
  }
  out << "\n";
  if (dead.empty()) {
    out << "every rule won at least one row\n";
    return;
  }
  out << "rules that never won: " << dead.size() << " of " << rule_count << "\n";
  size_t width = 0;
  for (const auto& x : dead) width = std::max(width, display_width(x.decision));
  for (const auto& x : dead)
    out << "  " << pad(x.decision, width + 2) << x.rule
        << (x.matched == 0 ? "  (its condition never held)"
                           : "  (matched " + rows_text(x.matched) +
                                 ", all decided before it or without a value to copy)")
        << "\n";
}

bool save_coverage(const coverage& c, const std::string& path, const std::string& command) {
  std::string why;
  std::cout.flush();
  if (c.save(path, &why)) return true;
  std::cerr << "chanrules " << command << ": cannot write the coverage: " << why << "\n";
  if (path != "-") std::cerr << "no coverage written (" << path << " left as it was)\n";
  return false;
}

namespace {

const char* kCoverageHelp =
    "usage: chanrules coverage merge A.json B.json ... [-o OUT.json] [--table]\n"
    "       chanrules coverage show FILE.json\n"
    "\n"
    "Coverage files are written by 'chanrules classify --coverage FILE' and 'chanrules test\n"
    "--coverage FILE' (or by the library: chanrules::coverage::to_json). For each decision\n"
    "and rule they count the rows decided, matched, won, false and unknown, and for each\n"
    "condition its true, false and unknown rows.\n"
    "\n"
    "  merge   sums the files (e.g. one per partition, per day or per machine) into one:\n"
    "          every file must be coverage of the same rule set (name, version and\n"
    "          structure); written atomically to OUT.json (default: standard output)\n"
    "  show    prints a file as a table\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   merge: where the sum goes ('-': standard output)\n"
    "  --table             merge: also print the sum as a table (with -o FILE)\n"
    "\n"
    "Exit codes: 0 done; 1 a file cannot be read, is not a coverage file, or is coverage of\n"
    "another rule set (nothing is written then); 2 bad command line.\n";

int usage(const std::string& message) {
  std::cerr << "chanrules coverage: " << message << "\n"
            << "Run 'chanrules coverage --help' for usage.\n";
  return kUsage;
}

std::optional<coverage> read(const std::string& path) {
  std::string why;
  auto c = coverage::load(path, &why);
  if (!c) std::cerr << "chanrules coverage: " << why << "\n";
  return c;
}

}  // namespace

int run_coverage(int argc, char** argv) {
  std::vector<std::string> files;
  std::string output = "-";
  bool table = false, help = false, named_output = false;
  std::string sub = argc > 2 ? argv[2] : "";
  for (int i = 3; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "-o" || s == "--output") {
      if (i + 1 >= argc) return usage("option " + s + " needs a value");
      output = argv[++i];
      named_output = true;
    } else if (s.rfind("--output=", 0) == 0) {
      output = s.substr(9);
      named_output = true;
    } else if (s == "--table") {
      table = true;
    } else if (s == "--help" || s == "-h") {
      help = true;
    } else if (s.size() > 1 && s[0] == '-') {
      return usage("unknown option " + s);
    } else {
      files.push_back(s);
    }
  }
  if (help || sub == "--help" || sub == "-h") {
    std::cout << kCoverageHelp;
    return kOk;
  }
  if (sub == "show") {
    if (named_output || table) return usage("show takes only a FILE.json");
    if (files.size() != 1) return usage("show takes exactly one FILE.json");
    auto c = read(files[0]);
    if (!c) return kFailed;
    print_coverage_table(std::cout, *c);
    return kOk;
  }
  if (sub != "merge")
    return usage(sub.empty() ? "name a subcommand: merge or show"
                             : "unknown subcommand '" + sub + "'");
  if (files.empty()) return usage("merge needs at least one coverage file");
  if (output.empty()) return usage("-o/--output needs a file name");
  if (table && output == "-")
    return usage("--table and the sum on standard output do not mix; use -o FILE");
  coverage sum;
  for (const std::string& f : files) {
    auto c = read(f);
    if (!c) return kFailed;
    std::string why;
    if (!sum.merge(*c, &why)) {
      std::cerr << "chanrules coverage: " << f << ": " << why << "\n";
      if (output != "-") std::cerr << "nothing written (" << output << " left as it was)\n";
      return kFailed;
    }
  }
  if (!save_coverage(sum, output, "coverage")) return kFailed;
  if (table) print_coverage_table(std::cout, sum);
  return kOk;
}

}  // namespace chanrules::cli
