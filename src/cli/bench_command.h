// `chanrules bench`: benchmark a rule set (compile, fill, classify) under Google Benchmark,
// optionally against a baseline run (a regression gate for CI). See docs/cli.md.
#pragma once

namespace chanrules::cli {

// The help text of `chanrules bench --help`.
extern const char* const kBenchHelp;

// Runs `chanrules bench ...`; argv[1] is "bench". Returns the process exit code: 0 success
// (and the gate passed or could not judge), 1 the rule set, the data or the baseline could
// not be used, or the gate found a regression; 2 the command line is wrong.
int run_bench(int argc, char** argv);

}  // namespace chanrules::cli
