// chanrules::coverage (include/chanrules/coverage.h): the structure of a rule set's decisions
// as text (so that a coverage file stands on its own), the counts from the executor's
// coverage pass (exec/executor.cpp, cover()), sums, and the JSON form.
#include <chanrules/coverage.h>
#include <chanrules/rule_set.h>

#include <cstdio>
#include <stdexcept>

#include "api/coverage_internal.h"
#include "common/paths.h"
#include "common/source.h"
#include "exec/batch_impl.h"
#include "io/byte_stream.h"
#include "io/csv_writer.h"
#include "io/json_reader.h"

namespace chanrules {

struct detail::coverage_state {
  std::string name, version, fingerprint;
  uint64_t records = 0;
  std::vector<decision_coverage> decisions;
  // The program the structure was last seen to match, so that add() compares fingerprints
  // once per program rather than once per batch. Null after from_json().
  std::shared_ptr<const detail::program> prog;
};

namespace {

using namespace detail;

// 64-bit FNV-1a over the structure, every text followed by a 0 byte (texts hold no 0 byte:
// they come from YAML or from a JSON file whose strings are checked below).
class fingerprinter {
 public:
  void add(std::string_view s) {
    for (char c : s) byte(static_cast<unsigned char>(c));
    byte(0);
  }
  void add(uint64_t n) { add(std::to_string(n)); }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
    return buf;
  }

 private:
  void byte(unsigned char c) {
    h_ ^= c;
    h_ *= 0x100000001b3ULL;
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

std::string fingerprint_of(const std::vector<decision_coverage>& decisions) {
  fingerprinter f;
  f.add("chanrules-coverage-1");
  f.add(decisions.size());
  for (const auto& d : decisions) {
    f.add(d.name);
    f.add(d.output ? "output" : "helper");
    f.add(d.has_default ? "default " + d.default_then : std::string("no default"));
    if (d.collects) f.add("collects");  // only then: older files keep their fingerprints
    f.add(d.rules.size());
    for (const auto& r : d.rules) {
      f.add(r.id);
      f.add(r.when);
      f.add(r.then);
      f.add(r.conditions.size());
      for (const auto& c : r.conditions) f.add(c.text);
    }
  }
  return f.hex();
}

// The structure of a program's decisions, with zero counts.
std::vector<decision_coverage> structure_of(const program& p) {
  const model& m = p.m;
  std::vector<decision_coverage> out;
  for (const decision_info& d : m.decisions) {
    decision_coverage dc;
    dc.name = d.name;
    dc.output = d.output;
    dc.has_default = d.fallback.has_value();
    dc.collects = d.gathers();
    if (d.fallback) dc.default_then = m.outcome_text(d, *d.fallback, false);
    for (const rule_info& r : d.rules) {
      rule_coverage rc;
      rc.id = r.id;
      rc.when = one_line(r.when_text);
      rc.then = m.outcome_text(d, r.then, true);
      for (const cond_node& n : r.cond.nodes)
        if (n.kind == cond_kind::pred) {
          condition_coverage cc;
          cc.text = one_line(m.predicates[n.pred].text);
          rc.conditions.push_back(std::move(cc));
        }
      dc.rules.push_back(std::move(rc));
    }
    out.push_back(std::move(dc));
  }
  return out;
}

std::unique_ptr<coverage_state> make_state(const std::shared_ptr<const program>& p) {
  auto s = std::make_unique<coverage_state>();
  s->name = p->m.name;
  s->version = p->m.version;
  s->decisions = structure_of(*p);
  s->fingerprint = fingerprint_of(s->decisions);
  s->prog = p;
  return s;
}

std::string describe(const coverage_state& s) {
  return s.name + " " + s.version + " (fingerprint " + s.fingerprint + ")";
}

// Why two coverages cannot be summed, or "" when they can.
std::string mismatch(const coverage_state& a, const coverage_state& b) {
  if (a.name != b.name || a.version != b.version)
    return "coverage of " + describe(a) + " cannot be summed with coverage of " + describe(b) +
           ": they are different rule sets";
  if (a.fingerprint != b.fingerprint)
    return "coverage of " + describe(a) + " cannot be summed with coverage of " + b.name + " " +
           b.version + " (fingerprint " + b.fingerprint +
           "): the rule set's decisions, rules, conditions or outcomes changed between the runs";
  // Equal fingerprints: the same structure, unless a hand-edited file collides.
  bool same = a.decisions.size() == b.decisions.size();
  for (size_t d = 0; same && d < a.decisions.size(); ++d) {
    const auto &x = a.decisions[d], &y = b.decisions[d];
    same = x.name == y.name && x.rules.size() == y.rules.size();
    for (size_t r = 0; same && r < x.rules.size(); ++r)
      same = x.rules[r].id == y.rules[r].id &&
             x.rules[r].conditions.size() == y.rules[r].conditions.size();
  }
  if (!same)
    return "coverage of " + describe(a) + " and of " + describe(b) +
           " have the same fingerprint but different decisions or rules";
  return "";
}

bool add_to(uint64_t& into, uint64_t n) { return !__builtin_add_overflow(into, n, &into); }

// Adds (or, with sign -1, subtracts) b's counts to a's; a and b have the same structure.
// Returns false when a sum would overflow (or a difference go below zero); `a` is then
// partly changed, so callers work on a copy.
bool combine(coverage_state& a, const coverage_state& b, int sign) {
  auto op = [sign](uint64_t& x, uint64_t y) {
    if (sign > 0) return add_to(x, y);
    if (y > x) return false;
    x -= y;
    return true;
  };
  bool ok = op(a.records, b.records);
  for (size_t d = 0; d < a.decisions.size(); ++d) {
    auto& x = a.decisions[d];
    const auto& y = b.decisions[d];
    ok = ok && op(x.rows, y.rows) && op(x.by_default, y.by_default) &&
         op(x.no_outcome, y.no_outcome) && op(x.with_missing, y.with_missing);
    for (size_t r = 0; r < x.rules.size(); ++r) {
      auto& xr = x.rules[r];
      const auto& yr = y.rules[r];
      ok = ok && op(xr.matched, yr.matched) && op(xr.false_rows, yr.false_rows) &&
           op(xr.unknown_rows, yr.unknown_rows) && op(xr.won, yr.won);
      for (size_t c = 0; c < xr.conditions.size(); ++c) {
        auto& xc = xr.conditions[c];
        const auto& yc = yr.conditions[c];
        ok = ok && op(xc.true_rows, yc.true_rows) && op(xc.false_rows, yc.false_rows) &&
             op(xc.unknown_rows, yc.unknown_rows);
      }
    }
  }
  return ok;
}

const std::string kEmpty;
const std::vector<decision_coverage> kNoDecisions;

// --- JSON ----------------------------------------------------------------------------------

void append_string(std::string& out, std::string_view s) { append_json_string(out, s); }

void append_counts(std::string& out, const char* name, uint64_t n) {
  out += ", \"";
  out += name;
  out += "\": ";
  out += std::to_string(n);
}

// A shape error: where in the document (a JSON path) and what.
struct shape_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void shape_fail(const std::string& path, const io::json_value& v,
                             const std::string& what) {
  throw shape_error(path + " (line " + std::to_string(v.line) + "): " + what);
}

const io::json_value& member(const io::json_value& obj, const std::string& path, const char* name) {
  const io::json_value* v = obj.find(name);
  if (!v) shape_fail(path, obj, std::string("the member \"") + name + "\" is missing");
  return *v;
}

const io::json_value& object_at(const io::json_value& v, const std::string& path) {
  if (v.type != io::json_value::kind::object)
    shape_fail(path, v, std::string("expected an object, found ") + v.kind_name());
  return v;
}

const io::json_value& array_at(const io::json_value& obj, const std::string& path,
                               const char* name) {
  const io::json_value& v = member(obj, path, name);
  if (v.type != io::json_value::kind::array)
    shape_fail(path + "." + name, v, std::string("expected an array, found ") + v.kind_name());
  return v;
}

std::string string_at(const io::json_value& obj, const std::string& path, const char* name) {
  const io::json_value& v = member(obj, path, name);
  if (v.type != io::json_value::kind::string)
    shape_fail(path + "." + name, v, std::string("expected a string, found ") + v.kind_name());
  if (v.text.find('\0') != std::string::npos)
    shape_fail(path + "." + name, v, "the text holds a NUL character");
  return v.text;
}

bool bool_at(const io::json_value& obj, const std::string& path, const char* name) {
  const io::json_value& v = member(obj, path, name);
  if (v.type != io::json_value::kind::boolean)
    shape_fail(path + "." + name, v, std::string("expected true or false, found ") + v.kind_name());
  return v.boolean;
}

uint64_t count_at(const io::json_value& obj, const std::string& path, const char* name) {
  const io::json_value& v = member(obj, path, name);
  auto n = v.as_uint64();
  if (!n)
    shape_fail(path + "." + name, v,
               v.type == io::json_value::kind::number
                   ? "expected a whole number from 0 to 18446744073709551615, found " + v.text
                   : std::string("expected a whole number, found ") + v.kind_name());
  return *n;
}

// Members beyond the known ones are refused: a misspelt count must not read as zero.
void only_members(const io::json_value& obj, const std::string& path,
                  std::initializer_list<const char*> known) {
  for (const auto& [name, v] : obj.members) {
    bool ok = false;
    for (const char* k : known) ok = ok || name == k;
    if (!ok) shape_fail(path, v, "unknown member \"" + name + "\"");
  }
}

std::string sum_text(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t s = 0;
  if (__builtin_add_overflow(a, b, &s) || __builtin_add_overflow(s, c, &s))
    return "more than 18446744073709551615";
  return std::to_string(s);
}

coverage_state read_state(const io::json_value& root) {
  coverage_state s;
  object_at(root, "$");
  only_members(root, "$", {"format", "version", "rule_set", "records", "decisions"});
  if (string_at(root, "$", "format") != "chanrules-coverage")
    shape_fail("$.format", member(root, "$", "format"),
               "this is not a chanrules coverage file (format \"chanrules-coverage\")");
  if (count_at(root, "$", "version") != 1)
    shape_fail("$.version", member(root, "$", "version"),
               "version " + member(root, "$", "version").text +
                   " is not supported (this chanrules reads version 1)");
  const io::json_value& rs = object_at(member(root, "$", "rule_set"), "$.rule_set");
  only_members(rs, "$.rule_set", {"name", "version", "fingerprint"});
  s.name = string_at(rs, "$.rule_set", "name");
  s.version = string_at(rs, "$.rule_set", "version");
  s.fingerprint = string_at(rs, "$.rule_set", "fingerprint");
  s.records = count_at(root, "$", "records");
  const io::json_value& ds = array_at(root, "$", "decisions");
  for (size_t i = 0; i < ds.items.size(); ++i) {
    const std::string dp = "$.decisions[" + std::to_string(i) + "]";
    const io::json_value& dj = object_at(ds.items[i], dp);
    only_members(dj, dp,
                 {"name", "output", "collects", "rows", "default", "by_default", "no_outcome",
                  "with_missing", "rules"});
    decision_coverage d;
    d.name = string_at(dj, dp, "name");
    d.output = bool_at(dj, dp, "output");
    // Written only for collecting decisions.
    d.collects = dj.find("collects") != nullptr && bool_at(dj, dp, "collects");
    d.rows = count_at(dj, dp, "rows");
    const io::json_value& def = member(dj, dp, "default");
    if (def.type == io::json_value::kind::string) {
      d.has_default = true;
      d.default_then = def.text;
    } else if (def.type != io::json_value::kind::null) {
      shape_fail(dp + ".default", def,
                 std::string("expected the default's outcome or null, found ") + def.kind_name());
    }
    d.by_default = count_at(dj, dp, "by_default");
    d.no_outcome = count_at(dj, dp, "no_outcome");
    d.with_missing = count_at(dj, dp, "with_missing");
    if (d.rows > s.records)
      shape_fail(dp + ".rows", member(dj, dp, "rows"),
                 std::to_string(d.rows) + " rows, more than the " + std::to_string(s.records) +
                     " records");
    if (!d.has_default && d.by_default != 0)
      shape_fail(dp + ".by_default", member(dj, dp, "by_default"),
                 "the decision has no default, yet " + std::to_string(d.by_default) +
                     " rows are counted as decided by it");
    if (d.with_missing > d.rows)
      shape_fail(dp + ".with_missing", member(dj, dp, "with_missing"),
                 std::to_string(d.with_missing) + " rows, more than the decision's " +
                     std::to_string(d.rows));
    const io::json_value& rules = array_at(dj, dp, "rules");
    uint64_t won = 0;
    bool won_overflow = false;
    for (size_t j = 0; j < rules.items.size(); ++j) {
      const std::string rp = dp + ".rules[" + std::to_string(j) + "]";
      const io::json_value& rj = object_at(rules.items[j], rp);
      only_members(rj, rp,
                   {"id", "when", "then", "matched", "won", "false", "unknown", "conditions"});
      rule_coverage r;
      r.id = string_at(rj, rp, "id");
      r.when = string_at(rj, rp, "when");
      r.then = string_at(rj, rp, "then");
      r.matched = count_at(rj, rp, "matched");
      r.won = count_at(rj, rp, "won");
      r.false_rows = count_at(rj, rp, "false");
      r.unknown_rows = count_at(rj, rp, "unknown");
      if (sum_text(r.matched, r.false_rows, r.unknown_rows) != std::to_string(d.rows))
        shape_fail(rp, rj,
                   "matched + false + unknown is " +
                       sum_text(r.matched, r.false_rows, r.unknown_rows) + ", not the decision's " +
                       std::to_string(d.rows) + " rows");
      if (r.won > r.matched)
        shape_fail(
            rp + ".won", member(rj, rp, "won"),
            "won " + std::to_string(r.won) + " rows but matched only " + std::to_string(r.matched));
      won_overflow = won_overflow || !add_to(won, r.won);
      const io::json_value& conds = array_at(rj, rp, "conditions");
      for (size_t k = 0; k < conds.items.size(); ++k) {
        const std::string cp = rp + ".conditions[" + std::to_string(k) + "]";
        const io::json_value& cj = object_at(conds.items[k], cp);
        only_members(cj, cp, {"text", "true", "false", "unknown"});
        condition_coverage c;
        c.text = string_at(cj, cp, "text");
        c.true_rows = count_at(cj, cp, "true");
        c.false_rows = count_at(cj, cp, "false");
        c.unknown_rows = count_at(cj, cp, "unknown");
        if (sum_text(c.true_rows, c.false_rows, c.unknown_rows) != std::to_string(d.rows))
          shape_fail(cp, cj,
                     "true + false + unknown is " +
                         sum_text(c.true_rows, c.false_rows, c.unknown_rows) +
                         ", not the decision's " + std::to_string(d.rows) + " rows");
        r.conditions.push_back(std::move(c));
      }
      d.rules.push_back(std::move(r));
    }
    if (d.collects) {
      uint64_t undecided = 0;
      if (__builtin_add_overflow(d.by_default, d.no_outcome, &undecided) || undecided > d.rows)
        shape_fail(dp, dj,
                   "the rows decided by the default and without outcome add up to " +
                       sum_text(d.by_default, d.no_outcome, 0) + ", more than the decision's " +
                       std::to_string(d.rows) + " rows");
    } else if (won_overflow || sum_text(won, d.by_default, d.no_outcome) != std::to_string(d.rows))
      shape_fail(dp, dj,
                 "the rows won by the rules, by the default and without outcome add up to " +
                     (won_overflow ? std::string("more than 18446744073709551615")
                                   : sum_text(won, d.by_default, d.no_outcome)) +
                     ", not the decision's " + std::to_string(d.rows) + " rows");
    s.decisions.push_back(std::move(d));
  }
  std::string computed = fingerprint_of(s.decisions);
  if (computed != s.fingerprint)
    shape_fail("$.rule_set.fingerprint", member(rs, "$.rule_set", "fingerprint"),
               "the fingerprint " + s.fingerprint +
                   " is not the one of the decisions in the file (" + computed +
                   "): the file was edited or damaged");
  return s;
}

}  // namespace

void detail::coverage_access::subtract(coverage& from, const coverage& part) {
  if (!part.s_) return;
  if (!from.s_) throw std::logic_error("coverage: nothing to take rows back from");
  std::string why = mismatch(*from.s_, *part.s_);
  if (!why.empty()) throw coverage_mismatch(why);
  coverage_state result = *from.s_;
  if (!combine(result, *part.s_, -1))
    throw std::logic_error("coverage: took back more rows than were added");
  result.prog = from.s_->prog;
  *from.s_ = std::move(result);
}

coverage::coverage() = default;
coverage::coverage(const rule_set& rules) : s_(make_state(rules.program())) {}
coverage::~coverage() = default;
coverage::coverage(const coverage& o)
    : s_(o.s_ ? std::make_unique<coverage_state>(*o.s_) : nullptr) {}
coverage& coverage::operator=(const coverage& o) {
  if (this != &o) s_ = o.s_ ? std::make_unique<coverage_state>(*o.s_) : nullptr;
  return *this;
}
coverage::coverage(coverage&&) noexcept = default;
coverage& coverage::operator=(coverage&&) noexcept = default;

bool coverage::empty() const { return !s_; }
const std::string& coverage::rule_set_name() const { return s_ ? s_->name : kEmpty; }
const std::string& coverage::rule_set_version() const { return s_ ? s_->version : kEmpty; }
const std::string& coverage::fingerprint() const { return s_ ? s_->fingerprint : kEmpty; }
uint64_t coverage::records() const { return s_ ? s_->records : 0; }
const std::vector<decision_coverage>& coverage::decisions() const {
  return s_ ? s_->decisions : kNoDecisions;
}

bool coverage::matches(const rule_set& rules, std::string* why) const {
  if (!s_) {
    if (why) *why = "the coverage is empty";
    return false;
  }
  if (s_->prog == rules.program()) return true;
  auto other = make_state(rules.program());
  if (mismatch(*s_, *other).empty()) return true;
  if (why) {
    *why = "the coverage is of " + describe(*s_) + ", the rule set is " + describe(*other);
    if (s_->name == other->name && s_->version == other->version)
      *why += ": its decisions, rules, conditions or outcomes changed since the coverage was taken";
  }
  return false;
}

void coverage::add(const batch& rows, const classification& result) {
  const batch_impl& b = batch_access::of(rows);
  const std::shared_ptr<const program>& prog = b.prog;
  if (result.rows() != b.rows || result_access::prog_ptr(result) != prog)
    throw std::invalid_argument(
        "coverage::add: the classification is not the batch's (classify the batch with its "
        "rule set and pass both)");
  if (!s_) {
    s_ = make_state(prog);
  } else if (s_->prog != prog) {
    auto other = make_state(prog);
    std::string why = mismatch(*s_, *other);
    if (!why.empty()) throw coverage_mismatch(why);
    s_->prog = prog;
  }
  coverage_counts counts = make_coverage_counts(*prog);
  cover(*prog, b, result, counts);
  s_->records += counts.records;
  for (size_t d = 0; d < counts.decisions.size(); ++d) {
    const coverage_counts::decision& c = counts.decisions[d];
    decision_coverage& out = s_->decisions[d];
    for (size_t r = 0; r < c.rules.size(); ++r) {
      const coverage_counts::rule& cr = c.rules[r];
      rule_coverage& rc = out.rules[r];
      rc.matched += cr.t;
      rc.unknown_rows += cr.u;
      rc.false_rows += c.rows - cr.t - cr.u;
      rc.won += cr.won;
      for (size_t k = 0; k < cr.pred_t.size(); ++k) {
        condition_coverage& cc = rc.conditions[k];
        cc.true_rows += cr.pred_t[k];
        cc.unknown_rows += cr.pred_u[k];
        cc.false_rows += c.rows - cr.pred_t[k] - cr.pred_u[k];
      }
    }
    out.rows += c.rows;
    out.by_default += c.by_default;
    out.no_outcome += c.no_outcome;
    out.with_missing += c.with_missing;
  }
}

bool coverage::merge(const coverage& other, std::string* why) {
  if (!other.s_) return true;
  if (!s_) {
    s_ = std::make_unique<coverage_state>(*other.s_);
    return true;
  }
  std::string m = mismatch(*s_, *other.s_);
  if (m.empty()) {
    coverage_state sum = *s_;
    if (combine(sum, *other.s_, +1)) {
      if (!sum.prog) sum.prog = other.s_->prog;
      *s_ = std::move(sum);
      return true;
    }
    m = "the sum of coverage of " + describe(*s_) + " would overflow 64-bit counts";
  }
  if (why) *why = m;
  return false;
}

coverage& coverage::operator+=(const coverage& other) {
  std::string why;
  if (!merge(other, &why)) throw coverage_mismatch(why);
  return *this;
}

std::string coverage::to_json() const {
  static const coverage_state none;
  const coverage_state& s = s_ ? *s_ : none;
  std::string out = "{\n  \"format\": \"chanrules-coverage\",\n  \"version\": 1,\n";
  out += "  \"rule_set\": {\"name\": ";
  append_string(out, s.name);
  out += ", \"version\": ";
  append_string(out, s.version);
  out += ", \"fingerprint\": ";
  append_string(out, s_ ? s.fingerprint : fingerprint_of({}));
  out += "},\n  \"records\": " + std::to_string(s.records) + ",\n  \"decisions\": [";
  for (size_t d = 0; d < s.decisions.size(); ++d) {
    const decision_coverage& dc = s.decisions[d];
    out += d ? ",\n    {" : "\n    {";
    out += "\"name\": ";
    append_string(out, dc.name);
    out += ", \"output\": ";
    out += dc.output ? "true" : "false";
    if (dc.collects) out += ", \"collects\": true";
    append_counts(out, "rows", dc.rows);
    out += ", \"default\": ";
    if (dc.has_default) {
      append_string(out, dc.default_then);
    } else {
      out += "null";
    }
    append_counts(out, "by_default", dc.by_default);
    append_counts(out, "no_outcome", dc.no_outcome);
    append_counts(out, "with_missing", dc.with_missing);
    out += ",\n     \"rules\": [";
    for (size_t r = 0; r < dc.rules.size(); ++r) {
      const rule_coverage& rc = dc.rules[r];
      out += r ? ",\n       {" : "\n       {";
      out += "\"id\": ";
      append_string(out, rc.id);
      out += ", \"when\": ";
      append_string(out, rc.when);
      out += ", \"then\": ";
      append_string(out, rc.then);
      append_counts(out, "matched", rc.matched);
      append_counts(out, "won", rc.won);
      append_counts(out, "false", rc.false_rows);
      append_counts(out, "unknown", rc.unknown_rows);
      out += ",\n        \"conditions\": [";
      for (size_t k = 0; k < rc.conditions.size(); ++k) {
        const condition_coverage& cc = rc.conditions[k];
        out += k ? ",\n          {" : "\n          {";
        out += "\"text\": ";
        append_string(out, cc.text);
        append_counts(out, "true", cc.true_rows);
        append_counts(out, "false", cc.false_rows);
        append_counts(out, "unknown", cc.unknown_rows);
        out += "}";
      }
      out += "]}";
    }
    out += "]}";
  }
  out += s.decisions.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::optional<coverage> coverage::from_json(std::string_view json, std::string* why) {
  io::json_parse_result parsed = io::parse_json(json);
  if (!parsed.value) {
    if (why) *why = parsed.error;
    return std::nullopt;
  }
  try {
    coverage c;
    c.s_ = std::make_unique<coverage_state>(read_state(*parsed.value));
    return c;
  } catch (const shape_error& e) {
    if (why) *why = e.what();
    return std::nullopt;
  }
}

bool coverage::save(const std::string& path, std::string* why) const {
  std::string text = to_json();
  try {
    if (path == "-") {
      io::fd_sink out(1, "<stdout>");
      out.write(text.data(), text.size());
    } else {
      io::atomic_file_writer file(path);
      file.write(text.data(), text.size());
      file.commit();
    }
    return true;
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return false;
  }
}

std::optional<coverage> coverage::load(const std::string& path, std::string* why) {
  std::string error;
  // Coverage files grow with the rules, not with the records: 256 MB is far beyond any.
  auto text = read_file(path, error, size_t{256} << 20);
  if (!text) {
    if (why) *why = path + ": " + error;
    return std::nullopt;
  }
  std::string inner;
  auto c = from_json(*text, &inner);
  if (!c && why) *why = path + ": " + inner;
  return c;
}

coverage cover_tests(const rule_set& rules) {
  const model& m = rules.program()->m;
  batch b(rules, m.tests.size());
  for (const test_case& t : m.tests) {
    size_t row = b.add_row();
    // As run_tests() does: a value that cannot be read is left missing (that test fails
    // and says why).
    for (const auto& [name, text] : t.record) {
      size_t f = b.field(name);
      if (f != batch::npos) b.set_text(row, f, text);
    }
  }
  coverage c(rules);
  c.add(b, rules.classify(b));
  return c;
}

}  // namespace chanrules
