// libFuzzer target: classify_csv() with the shipped rule set (rules/channel-2009) over fuzzed
// exports, end to end: decode, read, validate, classify, write output and rejects.
//
// Input: one flags byte, then the export. Flag bits: 0 prepend the contract's header line
// (so that fuzzed bytes are rows, not a header); 1-2 batch size (1, 3, 64, 16384);
// 3 --reasons; 4 --excel-safe; 5-6 encoding (auto, UTF-8, GB18030, auto).
//
// Each input is classified twice, with the chosen batch size and with 16384 rows per batch.
// Invariants: the two runs give the same summary and byte-identical output and rejects (a
// row's result never depends on its batch); on success rows_out + rows_rejected == rows_in
// and the rejects file holds one record per rejected row; on failure neither the output
// nor the rejects file exists; either way no temporary file is left behind.
#include <chanrules/csv.h>
#include <chanrules/rule_set.h>
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "io/byte_stream.h"
#include "io/csv_reader.h"

using namespace chanrules;

namespace {

const char* kHeader =
    "customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units,se_permission,"
    "coolpad_coop_months,coolpad_continuous_pickup,coolpad_avg_monthly_units,segment,operator,"
    "operator_role\n";

const rule_set& rules() {
  static const load_result loaded =
      rule_set::load(std::string(CHANRULES_SOURCE_DIR) + "/rules/channel-2009");
  if (!loaded.ok()) fuzz::fuzz_fail("rules/channel-2009 does not load");
  return *loaded.rules;
}

// A private folder for the files of one fuzzing process, removed at exit.
const std::string& work_dir() {
  static const std::string dir = [] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string pattern = base + "/chanrules-fuzz-classify-XXXXXX";
    if (!mkdtemp(pattern.data())) fuzz::fuzz_fail("cannot make a work folder in " + base);
    return pattern;
  }();
  return dir;
}

void remove_work_dir() {
  const std::string& dir = work_dir();
  for (const char* name : {"in.csv", "out.csv", "out.csv.rejects.csv"})
    ::unlink((dir + "/" + name).c_str());
  ::rmdir(dir.c_str());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Names in the work folder other than the input, output and rejects: leftovers.
std::string leftovers() {
  std::string out;
  DIR* d = ::opendir(work_dir().c_str());
  if (!d) return "(cannot list the work folder)";
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != ".." && name != "in.csv" && name != "out.csv" &&
        name != "out.csv.rejects.csv")
      out += name + " ";
  }
  ::closedir(d);
  return out;
}

struct run_result {
  csv_summary summary;
  std::string output, rejects;
};

run_result run(const std::string& in, const csv_options& options) {
  std::string out = work_dir() + "/out.csv", rej = out + ".rejects.csv";
  ::unlink(out.c_str());
  ::unlink(rej.c_str());
  run_result r;
  r.summary = classify_csv(rules(), in, out, rej, options);
  fuzz::fuzz_require(leftovers().empty(), "files left behind: " + leftovers());
  if (!r.summary.ok) {
    fuzz::fuzz_require(!r.summary.error.empty(), "failed without an error message");
    fuzz::fuzz_require(!exists(out) && !exists(rej), "a failed run left an output file");
    return r;
  }
  fuzz::fuzz_require(r.summary.rows_out + r.summary.rows_rejected == r.summary.rows_in,
                     "rows out + rows rejected != rows in");
  r.output = slurp(out);
  r.rejects = slurp(rej);
  // One rejects record per rejected row, after the rejects file's header.
  io::string_source source(r.rejects);
  io::csv_reader reader(source);
  uint64_t records = 0;
  while (reader.next()) {
    fuzz::fuzz_require(reader.ok(), "the rejects file is not valid CSV: " + reader.error());
    fuzz::fuzz_require(reader.size() == 4, "a rejects record without 4 fields");
    ++records;
  }
  fuzz::fuzz_require(records == r.summary.rows_rejected + 1,
                     "rejects file has " + std::to_string(records) + " records for " +
                         std::to_string(r.summary.rows_rejected) + " rejected rows");
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)rules();
  (void)work_dir();
  std::atexit(remove_work_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = data[0];
  std::string text = (flags & 1) ? kHeader : "";
  text.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string in = work_dir() + "/in.csv";
  {
    std::ofstream f(in, std::ios::binary | std::ios::trunc);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!f) fuzz::fuzz_fail("cannot write " + in);
  }

  static const size_t kBatchRows[] = {1, 3, 64, 16384};
  static const input_encoding kEncodings[] = {input_encoding::automatic, input_encoding::utf8,
                                              input_encoding::gb18030, input_encoding::automatic};
  csv_options options;
  options.batch_rows = kBatchRows[(flags >> 1) & 3];
  options.reasons = flags & 8;
  options.excel_safe = flags & 16;
  options.encoding = kEncodings[(flags >> 5) & 3];
  run_result a = run(in, options);
  options.batch_rows = 16384;
  run_result b = run(in, options);

  fuzz::fuzz_require(a.summary.ok == b.summary.ok, "success depends on the batch size");
  fuzz::fuzz_require(
      a.summary.error == b.summary.error,
      "error depends on the batch size: " + a.summary.error + " | " + b.summary.error);
  fuzz::fuzz_require(a.summary.rows_in == b.summary.rows_in &&
                         a.summary.rows_out == b.summary.rows_out &&
                         a.summary.rows_rejected == b.summary.rows_rejected,
                     "row counts depend on the batch size");
  fuzz::fuzz_require(a.output == b.output, "output depends on the batch size");
  fuzz::fuzz_require(a.rejects == b.rejects, "rejects depend on the batch size");
  // The input is never touched.
  fuzz::fuzz_require(slurp(in) == text, "the input file changed");
  return 0;
}
