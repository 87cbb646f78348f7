// Comparing two rule sets on one CSV export: the impact of a change to the standard or to a
// manufacturer list, before it is issued (`chanrules diff`).
//
// Every record of the export is read once and validated and classified by both rule sets,
// a batch at a time (memory stays bounded whatever the file size: two batches, plus the
// values of `unique` fields already accepted, exactly as classify_csv keeps them). For
// every decision the two rule sets share, the result is a transition matrix: how many
// rows went from each old class to each new class. The rows whose class changed in any
// shared decision go, in input order, to a changes file written atomically.
//
// A record that one rule set accepts and the other rejects (a field's type, range, values
// or `required` changed) is not an error: it is counted on its own line of the summary, it
// appears in the matrices as a move from or to the pseudo-class "(rejected)", and it is
// written to the changes file with the reason. A record both reject is counted and never
// compared.
//
//   auto summary = chanrules::diff_csv(*old_rules, *new_rules, "export.csv", "changes.csv");
//   if (!summary.ok) std::cerr << summary.error;
//   for (const auto& d : summary.decisions) ... d.transitions ...
#pragma once

#include <chanrules/csv.h>
#include <chanrules/rule_set.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace chanrules {

struct diff_options {
  input_encoding encoding = input_encoding::automatic;
  // Decisions to compare, by name; each must exist in both rule sets. Empty: every output
  // decision of the old rule set that the new one also has as an output.
  std::vector<std::string> decisions;
  // Input columns that identify a customer in the changes file, in this order. Empty: every
  // input column, copied byte for byte (as classify does).
  std::vector<std::string> key_columns;
  // Neutralise cells starting with = + - @ (and tab or CR) in the changes file, as
  // csv_options::excel_safe does.
  bool excel_safe = false;
  // Rows validated and classified together, per rule set.
  size_t batch_rows = 16384;
  // Size limits on one input record, as csv_options has them (same defaults: 1 MiB per
  // field, 16 MiB per record, 65536 fields; each at least 1): a record over one is
  // rejected by both rule sets, with a reason naming the limit. `chanrules diff` sets them
  // with --max-field-bytes, --max-record-bytes, --max-fields.
  size_t max_field_size = size_t{1} << 20;
  size_t max_record_size = size_t{16} << 20;
  size_t max_fields = size_t{1} << 16;
  // Set from another thread (e.g. a signal handler's flag) to stop early with an error.
  const std::atomic<bool>* cancel = nullptr;
};

// One cell of a transition matrix: `rows` records went from old_label to new_label.
struct diff_transition {
  std::string old_label;      // the old class; "" when the decision gave no outcome
  std::string new_label;      // the new class; "" when the decision gave no outcome
  bool old_rejected = false;  // the old rule set rejected the record (old_label is "")
  bool new_rejected = false;  // the new rule set rejected the record (new_label is "")
  // Where the classes stand in their rule set's order: the label's position in
  // outcome_labels(), then one past the labels for no outcome, then two past for rejected.
  size_t old_index = 0;
  size_t new_index = 0;
  uint64_t rows = 0;
  bool changed() const {
    return old_rejected != new_rejected || (!old_rejected && old_label != new_label);
  }
};

// A decision both rule sets have.
struct decision_diff {
  std::string name;
  // The non-zero cells: old classes in the old rule set's label order, then no outcome,
  // then rejected; within one old class, new classes in the new rule set's order, likewise.
  std::vector<diff_transition> transitions;
  uint64_t rows_changed = 0;  // rows whose class differs (rejected counts as a class)
};

// A decision only one rule set has (added or removed), with its class counts over the
// records that rule set accepted.
struct decision_counts {
  std::string name;
  std::vector<std::pair<std::string, uint64_t>> counts;  // label -> rows, in label order
  uint64_t no_outcome = 0;
};

// A record that a rule set rejected, for the summary (the first few only).
struct diff_reject {
  uint64_t line = 0;
  bool by_old = false;
  bool by_new = false;
  std::string column;  // of the first rule set that rejected it
  std::string reason;
};

struct diff_summary {
  bool ok = false;
  std::string error;     // why the run failed (then no changes file was written)
  std::string encoding;  // "UTF-8" or "GB18030"
  uint64_t rows_in = 0;
  uint64_t rows_compared = 0;            // accepted by both rule sets
  uint64_t rows_rejected_both = 0;       // rejected by both: not compared
  uint64_t rows_rejected_old = 0;        // rejected by the old rule set only
  uint64_t rows_rejected_new = 0;        // rejected by the new rule set only
  uint64_t rows_changed = 0;             // accepted by both, a class changed in a compared decision
  uint64_t rows_written = 0;             // rows of the changes file (changed + rejected by one)
  std::vector<decision_diff> decisions;  // compared decisions, in the old rule set's order
  std::vector<decision_counts> added;    // output decisions only the new rule set has
  std::vector<decision_counts> removed;  // output decisions only the old rule set has
  std::vector<diff_reject> first_rejects;
  std::vector<std::string> warnings;  // e.g. an optional column absent from the input
  double seconds = 0;
};

// Reads `input_path` ("-" for standard input) and compares the two rule sets on it. Writes
// the changed rows to `changes_path` ("-" for standard output, empty for no file), with the
// columns:
//   line                  the line the record starts on
//   <key columns>         options.key_columns, or every input column
//   change                "changed", "rejected by old" or "rejected by new"
//   per compared decision <d>_old, <d>_new, <d>_old_rule, <d>_new_rule
//   reason                why a rule set rejected the record; empty for "changed"
// Never throws for bad input or I/O failures: they are reported in the summary.
diff_summary diff_csv(const rule_set& old_rules, const rule_set& new_rules,
                      const std::string& input_path, const std::string& changes_path,
                      const diff_options& options = {});

// The summary as one JSON object (keys: old, new, encoding, rows_in, rows_compared,
// rows_rejected_both, rows_rejected_old, rows_rejected_new, rows_changed, rows_written,
// decisions [{name, rows_changed, transitions [{old, new, rows}]}], added, removed
// [{name, counts {label: rows}, no_outcome}], rejects, warnings). In a transition a class
// is its label, "" for no outcome, and null when the rule set rejected the record.
std::string to_json(const diff_summary& summary, const rule_set& old_rules,
                    const rule_set& new_rules);

}  // namespace chanrules
