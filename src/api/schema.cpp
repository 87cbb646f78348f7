// rule_set::schema() and rule_set::list_entries(): the checked model described for tools.
#include <chanrules/rule_set.h>

#include <algorithm>
#include <stdexcept>

#include "compile/program.h"

namespace chanrules {

const char* to_string(field_type t) {
  switch (t) {
    case field_type::string:
      return "string";
    case field_type::integer:
      return "integer";
    case field_type::decimal:
      return "decimal";
    case field_type::boolean:
      return "boolean";
    case field_type::date:
      return "date";
    case field_type::enumeration:
      return "enum";
  }
  return "string";
}

namespace {

field_type public_type(detail::value_type t) {
  switch (t) {
    case detail::value_type::string:
      return field_type::string;
    case detail::value_type::integer:
      return field_type::integer;
    case detail::value_type::decimal:
      return field_type::decimal;
    case detail::value_type::boolean:
      return field_type::boolean;
    case detail::value_type::date:
      return field_type::date;
    case detail::value_type::enumeration:
      return field_type::enumeration;
  }
  return field_type::string;
}

// A number or date of the field's type, as the field's text. Integers and dates are kept as
// plain integers (cast to the key type), decimals as keys (see common/values.h).
std::string value_text(detail::value_type t, detail::decimal_key v) {
  switch (t) {
    case detail::value_type::integer:
      return std::to_string(static_cast<int64_t>(v));
    case detail::value_type::date:
      return detail::date_to_string(static_cast<int64_t>(v));
    default:
      return detail::decimal_to_string(v);
  }
}

// Decimal range ends are exact keys; `x < 5` ends at the key just below 5 (odd: a "sticky"
// key, see values.h). Literals never have more than 18 fractional digits, so their keys are
// even: an odd end is one step away from the literal that made it, and that literal, not
// 4.999999999999999999..., is what the field is compared with.
detail::decimal_key literal_of_end(detail::decimal_key end, bool is_low) {
  if (end % 2 == 0) return end;
  return is_low ? end - 1 : end + 1;
}

}  // namespace

rule_set_schema rule_set::schema() const {
  const detail::model& m = program_->m;
  rule_set_schema s;
  s.fields.reserve(m.fields.size());
  for (const detail::field_info& f : m.fields) {
    field_schema out;
    out.name = f.name;
    out.type = public_type(f.type);
    out.required = f.required;
    out.unique = f.unique;
    out.trim = f.trim;
    out.values = f.values.labels;
    out.ordered = f.values.ordered;
    if (f.min) out.min = value_text(f.type, *f.min);
    if (f.max) out.max = value_text(f.type, *f.max);
    if (f.type == detail::value_type::string) out.compared = f.string_literals.labels;
    out.description = f.description;
    s.fields.push_back(std::move(out));
  }

  // Range ends per field, from every predicate over a field (identical predicates exist once).
  std::vector<std::vector<detail::decimal_key>> ends(m.fields.size());
  for (const detail::predicate& p : m.predicates) {
    if (p.subject.kind != detail::source_kind::field) continue;
    auto& e = ends[p.subject.index];
    if (p.kind == detail::pred_kind::int_range) {
      // Open ends are INT64_MIN / INT64_MAX (checker.cpp).
      if (p.lo > INT64_MIN) e.push_back(p.lo);
      if (p.hi < INT64_MAX) e.push_back(p.hi);
    } else if (p.kind == detail::pred_kind::dec_range) {
      // Open ends lie beyond every key a literal can have (2^126).
      const detail::decimal_key open = static_cast<detail::decimal_key>(1) << 126;
      if (p.lo > -open) e.push_back(literal_of_end(p.lo, true));
      if (p.hi < open) e.push_back(literal_of_end(p.hi, false));
    }
  }
  for (size_t f = 0; f < ends.size(); ++f) {
    auto& e = ends[f];
    std::sort(e.begin(), e.end());
    e.erase(std::unique(e.begin(), e.end()), e.end());
    for (detail::decimal_key v : e) s.fields[f].compared.push_back(value_text(m.fields[f].type, v));
  }

  for (const detail::list_info& l : m.lists) {
    list_schema out;
    out.name = l.name;
    out.key_field = l.key_field;
    out.membership = l.membership;
    if (!l.membership) out.values = l.values.labels;
    out.size = l.entries.size();
    out.description = l.description;
    s.lists.push_back(std::move(out));
  }
  for (const detail::named_set_info& n : m.named_sets) {
    named_set_schema out;
    out.name = n.name;
    out.field = n.field;
    for (size_t i = 0; i < n.keys.labels.size(); ++i)
      out.entries.push_back(
          {n.keys.labels[i], i < n.aliases.size() ? n.aliases[i] : std::vector<std::string>{}});
    out.description = n.description;
    s.named_sets.push_back(std::move(out));
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> rule_set::list_entries(size_t list) const {
  const detail::model& m = program_->m;
  if (list >= m.lists.size())
    throw std::out_of_range("rule_set::list_entries: the rule set has " +
                            std::to_string(m.lists.size()) + " lists, not " +
                            std::to_string(list + 1));
  const detail::list_info& l = m.lists[list];
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(l.entries.size());
  for (const auto& [key, code] : l.entries)
    out.emplace_back(key, l.membership || code >= l.values.labels.size() ? std::string()
                                                                         : l.values.labels[code]);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace chanrules
