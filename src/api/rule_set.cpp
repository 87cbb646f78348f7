// chanrules::rule_set: the pipeline load -> parse -> check -> graph -> compile, and classify.
#include <chanrules/rule_set.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "analysis/analysis.h"
#include "check/checker.h"
#include "common/paths.h"
#include "compile/name_matcher.h"
#include "exec/batch_impl.h"
#include "graph/decision_graph.h"
#include "load/loader.h"

namespace chanrules {

namespace detail {
struct rule_set_access {
  static std::shared_ptr<rule_set> make(std::shared_ptr<const program> prog) {
    std::shared_ptr<rule_set> rules(new rule_set());
    rules->program_ = std::move(prog);
    return rules;
  }
};
}  // namespace detail

namespace {

// Diagnostics in file order (then by severity), so output reads top to bottom.
void sort_diagnostics(std::vector<diagnostic>& diags) {
  std::stable_sort(diags.begin(), diags.end(), [](const diagnostic& a, const diagnostic& b) {
    if (a.location.file != b.location.file) return a.location.file < b.location.file;
    if (a.location.line != b.location.line) return a.location.line < b.location.line;
    return a.location.column < b.location.column;
  });
}

load_result run_pipeline(const detail::source_ptr& file, const std::string& base_dir,
                         const load_options& options) {
  load_result result;
  detail::load_settings load_settings;
  load_settings.yaml.max_bytes = options.max_yaml_bytes;
  load_settings.yaml.max_depth = options.max_yaml_depth;
  load_settings.allow_outside_paths = options.allow_outside_paths;
  detail::check_settings check_settings;
  check_settings.expr.max_length = options.max_condition_length;
  check_settings.expr.max_depth = options.max_condition_depth;
  check_settings.allow_outside_paths = options.allow_outside_paths;
  check_settings.max_rules = options.max_rules;
  check_settings.max_list_entries = options.max_list_entries;

  try {
    auto ast = detail::load_document(file, base_dir, load_settings, result.diagnostics);
    if (!ast || has_errors(result.diagnostics)) {
      sort_diagnostics(result.diagnostics);
      return result;
    }
    auto model = detail::check(*ast, check_settings, result.diagnostics);
    if (!model || !detail::build_graph(*model, result.diagnostics) ||
        has_errors(result.diagnostics)) {
      sort_diagnostics(result.diagnostics);
      return result;
    }
    // A named set's minimised automaton can outgrow its table, which is known only once it
    // is built (the checker refuses the limits it can tell beforehand): the error is placed
    // at the set, found by the fingerprint of its aliases.
    struct set_site {
      std::string name;
      detail::source_pos pos;
      uint64_t fingerprint;
    };
    std::vector<set_site> sites;
    for (const detail::named_set_info& s : model->named_sets)
      sites.push_back({s.name, s.pos, detail::name_matcher::fingerprint(s.aliases)});
    std::shared_ptr<detail::program> prog;
    try {
      prog = std::make_shared<detail::program>(detail::compile(std::move(*model)));
    } catch (const detail::name_matcher::limit_error& e) {
      auto site = std::find_if(sites.begin(), sites.end(),
                               [&](const set_site& s) { return s.fingerprint == e.fingerprint; });
      if (site == sites.end()) throw;  // not a set of this rule set: a bug, E-internal below
      result.diagnostics.push_back(detail::make_diagnostic(
          severity::error, "E-limit", site->pos,
          "named set '" + site->name + "' is too large for its matching automaton: " + e.what(),
          "use fewer or shorter aliases, split the entries over several named sets on the same "
          "field, or move names that are matched whole to a list file",
          site->name.size()));
      sort_diagnostics(result.diagnostics);
      return result;
    }
    // Declared contracts (`hit: unique`, `complete: true`) are proven on every load: a rule
    // set that breaks one never classifies anything.
    bool contracts = false;
    for (const auto& d : prog->m.decisions)
      contracts |= d.hit == detail::hit_policy::unique || d.complete;
    if (contracts && options.prove_contracts) {
      detail::analysis_settings settings;
      settings.contracts_only = true;
      settings.max_steps = options.max_analysis_steps;
      for (auto& f : detail::analyze(*prog, settings))
        result.diagnostics.push_back(std::move(f.diag));
      if (has_errors(result.diagnostics)) {
        sort_diagnostics(result.diagnostics);
        return result;
      }
    }
    result.rules = detail::rule_set_access::make(std::move(prog));
  } catch (const std::bad_alloc&) {
    result.diagnostics.push_back(detail::make_diagnostic(
        severity::error, "E-memory", detail::source_pos{file, 0},
        "out of memory while loading the rule set", "check the limits in load_options"));
  } catch (const std::exception& e) {
    // Every stage reports problems as diagnostics; reaching this is a bug in chanrules,
    // reported as an error rather than a crash.
    result.diagnostics.push_back(
        detail::make_diagnostic(severity::error, "E-internal", detail::source_pos{file, 0},
                                std::string("internal error while loading: ") + e.what(),
                                "please report this rule set to the chanrules maintainers"));
  }
  sort_diagnostics(result.diagnostics);
  return result;
}

}  // namespace

load_result rule_set::load(const std::string& path, const load_options& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string file = path;
  if (fs::is_directory(path, ec)) file = (fs::path(path) / "ruleset.yaml").string();
  std::string why;
  auto text = detail::read_file(file, why, options.max_yaml_bytes + 1);
  if (!text) {
    load_result r;
    diagnostic d;
    d.code = "E-file";
    d.location.file = file;
    d.message = "cannot read the rule set: " + why;
    d.hint = "name a rule-set folder holding ruleset.yaml, or a YAML file";
    // Too large: the same diagnostic as for a file within the read margin (yaml_tree.cpp).
    auto size = fs::file_size(file, ec);
    if (!ec && size > options.max_yaml_bytes) {
      d.code = "E-yaml-size";
      d.message = "the file is " + std::to_string(size) + " bytes; the limit is " +
                  std::to_string(options.max_yaml_bytes);
      d.hint = "raise the limit in the load options if this file is genuine";
    }
    r.diagnostics.push_back(std::move(d));
    return r;
  }
  std::string base = fs::path(file).parent_path().string();
  auto source = std::make_shared<const detail::source_file>(file, std::move(*text));
  return run_pipeline(source, base.empty() ? "." : base, options);
}

load_result rule_set::load_string(std::string_view yaml, const std::string& name,
                                  const std::string& base_dir, const load_options& options) {
  auto source = std::make_shared<const detail::source_file>(name, std::string(yaml));
  return run_pipeline(source, base_dir, options);
}

rule_set::~rule_set() = default;

const std::string& rule_set::name() const { return program_->m.name; }
const std::string& rule_set::version() const { return program_->m.version; }
const std::string& rule_set::effective() const { return program_->m.effective; }
size_t rule_set::field_count() const { return program_->m.fields.size(); }
const std::string& rule_set::field_name(size_t i) const { return program_->m.fields.at(i).name; }
bool rule_set::field_required(size_t i) const { return program_->m.fields.at(i).required; }
bool rule_set::field_unique(size_t i) const { return program_->m.fields.at(i).unique; }
size_t rule_set::decision_count() const { return program_->m.decisions.size(); }
const std::string& rule_set::decision_name(size_t i) const {
  return program_->m.decisions.at(i).name;
}
bool rule_set::decision_is_output(size_t i) const { return program_->m.decisions.at(i).output; }

std::vector<size_t> rule_set::output_decisions() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < program_->m.decisions.size(); ++i)
    if (program_->m.decisions[i].output) out.push_back(i);
  return out;
}

std::vector<size_t> rule_set::evaluation_order() const {
  return {program_->m.evaluation_order.begin(), program_->m.evaluation_order.end()};
}

const std::vector<std::string>& rule_set::outcome_labels(size_t decision) const {
  return program_->m.decisions.at(decision).outcomes.labels;
}

classification rule_set::classify(const batch& rows) const {
  classification out;
  classify(rows, out);
  return out;
}

void rule_set::classify(const batch& rows, classification& out) const {
  const detail::batch_impl& b = detail::batch_access::of(rows);
  // The batch's own program describes its column layout (it is this rule set's program
  // unless the caller mixed rule sets up, which must not read columns wrongly).
  detail::result_access::prepare(out, b.prog, b.rows);
  detail::execute(*b.prog, b, out);
}

std::vector<analysis_finding> rule_set::analyze(const analysis_options& options) const {
  detail::analysis_settings settings;
  settings.max_steps = options.max_steps;
  settings.max_total_steps = options.max_total_steps;
  settings.samples = options.samples;
  settings.aimed_samples = options.aimed_samples;
  std::vector<analysis_finding> out;
  for (detail::finding& f : detail::analyze(*program_, settings)) {
    const detail::decision_info& d = program_->m.decisions[f.decision];
    analysis_finding a;
    switch (f.kind) {
      case detail::finding_kind::unreachable_rule:
        a.kind = "unreachable";
        break;
      case detail::finding_kind::unused_default:
        a.kind = "unused-default";
        break;
      case detail::finding_kind::overlap:
        a.kind = "overlap";
        break;
      case detail::finding_kind::gap:
        a.kind = "gap";
        break;
      case detail::finding_kind::undecided:
        a.kind = "undecided";
        break;
    }
    a.decision = d.name;
    if (f.rule >= 0) a.rule_id = d.rules[static_cast<size_t>(f.rule)].id;
    for (uint32_t r : f.others) a.other_rule_ids.push_back(d.rules[r].id);
    a.example.insert(f.example.begin(), f.example.end());
    if (!a.example.empty()) {
      // Classify the counter-example: a gap must reach the default (or no rule); of two
      // overlapping rules the earlier one must fire.
      explanation e = explain(a.example);
      for (const auto& trace : e.decisions) {
        if (trace.name != d.name || !e.problems.empty()) continue;
        if (f.kind == detail::finding_kind::gap)
          a.example_verified = trace.rule_id == "default" || trace.rule_id.empty();
        if (f.kind == detail::finding_kind::overlap)
          a.example_verified = !a.other_rule_ids.empty() && trace.rule_id == a.other_rule_ids[0];
      }
    }
    a.diag = std::move(f.diag);
    out.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const analysis_finding& x, const analysis_finding& y) {
                     return x.diag.location.line < y.diag.location.line;
                   });
  return out;
}

std::string rule_set::dump_program() const { return program_->dump(); }
std::string rule_set::graph_dot() const { return detail::to_dot(program_->m); }

// --- classification ------------------------------------------------------------------------

namespace detail {
void result_access::prepare(classification& c, std::shared_ptr<const program> prog, size_t rows) {
  // Sizes only: the executor initialises every cell of every decision, vector by vector,
  // while those cells are in cache anyway.
  size_t decisions = prog->m.decisions.size();
  c.missing_row_bits_ = prog->missing_row_bits;
  c.rows_ = rows;
  c.outcomes_.resize(decisions);
  c.rules_.resize(decisions);
  c.missing_.resize(decisions);
  for (size_t d = 0; d < decisions; ++d) {
    c.outcomes_[d].resize(rows);
    c.rules_[d].resize(rows);
    c.missing_[d].resize((rows * c.missing_row_bits_ + 63) / 64);
  }
  c.program_ = std::move(prog);
}
}  // namespace detail

size_t classification::decision_count() const { return outcomes_.size(); }

std::string_view classification::outcome(size_t decision, size_t row) const {
  uint16_t code = outcomes_.at(decision).at(row);
  if (code == no_outcome) return {};
  return program_->m.decisions[decision].outcomes.labels[code];
}

std::string_view classification::rule_id(size_t decision, size_t row) const {
  uint16_t r = rules_.at(decision).at(row);
  if (r == no_rule) return {};
  if (r == by_default) return "default";
  return program_->m.decisions[decision].rules[r].id;
}

bool classification::missing(size_t decision, size_t row) const {
  const auto& m = missing_.at(decision);
  if (row >= rows_) throw std::out_of_range("classification::missing: row out of range");
  const size_t first = row * missing_row_bits_;
  if (missing_row_bits_ >= 64) {
    for (size_t w = 0; w < missing_row_bits_ / 64; ++w)
      if (m[first / 64 + w]) return true;
    return false;
  }
  const uint64_t mask = (uint64_t{1} << missing_row_bits_) - 1;
  return ((m[first / 64] >> (first % 64)) & mask) != 0;
}

std::vector<std::string_view> classification::missing_fields(size_t decision, size_t row) const {
  std::vector<std::string_view> out;
  if (!missing(decision, row)) return out;
  const auto& m = missing_[decision];
  const size_t first = row * missing_row_bits_;
  for (size_t f = 0; f < program_->m.fields.size(); ++f) {
    size_t bit = first + f;
    if ((m[bit / 64] >> (bit % 64)) & 1) out.push_back(program_->m.fields[f].name);
  }
  return out;
}

const std::vector<std::string>& classification::outcome_labels(size_t decision) const {
  return program_->m.decisions.at(decision).outcomes.labels;
}

size_t classification::rows_with_missing(size_t decision) const {
  size_t n = 0;
  for (size_t row = 0; row < rows_; ++row) n += missing(decision, row);
  return n;
}

}  // namespace chanrules
