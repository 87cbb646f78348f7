// Coverage internals shared inside the library: classify_csv (csv_classify.cpp) takes back
// the rows it finds to be duplicates only after they were covered.
#pragma once

#include <chanrules/coverage.h>

namespace chanrules::detail {

struct coverage_access {
  // Takes the counts of `part` (coverage of rows that were added to `from`) back out of
  // `from`. Throws coverage_mismatch for another rule set's coverage, std::logic_error when
  // `part` holds more than `from` (it was not added before).
  static void subtract(coverage& from, const coverage& part);
};

}  // namespace chanrules::detail
