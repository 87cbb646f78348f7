// chanrules::batch: filling typed columns from text or typed values.
#include <chanrules/rule_set.h>

#include "common/values.h"
#include "exec/batch_impl.h"

namespace chanrules {

using detail::column;
using detail::value_type;

namespace detail {

namespace {
void set_valid(column& col, size_t row, bool valid) {
  uint64_t bit = uint64_t{1} << (row & 63);
  if (valid) {
    col.valid[row >> 6] |= bit;
  } else {
    col.valid[row >> 6] &= ~bit;
  }
}

std::string bound_text(const field_info& f, decimal_key v) {
  if (f.type == value_type::decimal) return decimal_to_string(v);
  if (f.type == value_type::date) return date_to_string(static_cast<int64_t>(v));
  return std::to_string(static_cast<int64_t>(v));
}

// A number of the right form that failed to parse only because of its size: digits (after
// an allowed '-'), with a point only where decimals allow one.
bool too_large(std::string_view v, bool allow_sign, bool allow_point) {
  if (allow_sign && !v.empty() && v[0] == '-') v.remove_prefix(1);
  size_t dot = v.find('.');
  if (dot != std::string_view::npos && !allow_point) return false;
  auto digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (dot == std::string_view::npos) return digits(v);
  return digits(v.substr(0, dot)) && digits(v.substr(dot + 1));
}

std::string check_bounds(const field_info& f, decimal_key v) {
  if (f.min && v < *f.min) return "below the minimum " + bound_text(f, *f.min);
  if (f.max && v > *f.max) return "above the maximum " + bound_text(f, *f.max);
  return {};
}
}  // namespace

std::string store_text(const program& p, uint32_t field, column& col, size_t row,
                       std::string_view text) {
  const field_info& f = p.m.fields[field];
  set_valid(col, row, false);
  if (f.type == value_type::enumeration || f.type == value_type::boolean ||
      f.type == value_type::string)
    col.codes[row] = no_code;
  std::string_view v = f.trim ? trim_blanks(text) : text;
  if (v.empty()) return {};
  switch (f.type) {
    case value_type::string: {
      if (col.arena.size() + v.size() > 0xFFFFFFFFu)
        return "the batch holds more than 4 GiB of text; classify it in smaller batches";
      col.str_off[row] = static_cast<uint32_t>(col.arena.size());
      col.str_len[row] = static_cast<uint32_t>(v.size());
      col.arena.append(v);
      auto code = f.string_literals.find(v);
      col.codes[row] = code ? *code : static_cast<uint16_t>(f.string_literals.size());
      if (int k = p.key_index_of_field[field]; k >= 0)
        col.key_entry[row] = p.key_indexes[static_cast<size_t>(k)].table.find(v);
      break;
    }
    case value_type::enumeration: {
      auto code = f.values.find(v);
      if (!code) {
        std::string allowed;
        for (size_t i = 0; i < f.values.labels.size() && i < 12; ++i)
          allowed += (i ? " " : "") + f.values.labels[i];
        if (f.values.labels.size() > 12) allowed += " ...";
        return quote_for_message(v) + " is not one of: " + allowed;
      }
      col.codes[row] = *code;
      break;
    }
    case value_type::boolean: {
      auto b = parse_boolean(v);
      if (!b)
        return quote_for_message(v) +
               " is not a boolean (true false 1 0 Y N and the Chinese yes/no)";
      col.codes[row] = *b ? 1 : 0;
      break;
    }
    case value_type::integer: {
      auto x = parse_integer(v, !f.min || *f.min < 0);
      if (!x)
        return quote_for_message(v) + (too_large(v, !f.min || *f.min < 0, false)
                                           ? " is too large for an integer"
                                           : " is not an integer (ASCII digits only)");
      if (auto why = check_bounds(f, *x); !why.empty()) return quote_for_message(v) + " is " + why;
      col.ints[row] = *x;
      break;
    }
    case value_type::date: {
      auto x = parse_date(v);
      if (!x) return quote_for_message(v) + " is not a date (YYYY-MM-DD)";
      if (auto why = check_bounds(f, *x); !why.empty()) return quote_for_message(v) + " is " + why;
      col.ints[row] = *x;
      break;
    }
    case value_type::decimal: {
      auto x = parse_decimal(v, !f.min || *f.min < 0);
      if (!x)
        return quote_for_message(v) +
               (too_large(v, !f.min || *f.min < 0, true)
                    ? " has more than 18 digits before the point"
                    : " is not a decimal number (digits with an optional .digits)");
      if (auto why = check_bounds(f, *x); !why.empty()) return quote_for_message(v) + " is " + why;
      col.decs[row] = *x;
      break;
    }
  }
  set_valid(col, row, true);
  return {};
}

}  // namespace detail

batch::batch(const rule_set& rules, size_t capacity)
    : impl_(std::make_unique<detail::batch_impl>()) {
  impl_->prog = rules.program();
  for (const auto& f : impl_->prog->m.fields) {
    column c;
    c.type = f.type;
    impl_->columns.push_back(std::move(c));
  }
  reserve(capacity);
}

batch::~batch() = default;
batch::batch(batch&&) noexcept = default;
batch& batch::operator=(batch&&) noexcept = default;

size_t batch::size() const { return impl_->rows; }
size_t batch::field_count() const { return impl_->columns.size(); }

size_t batch::field(std::string_view name) const {
  const auto& fields = impl_->prog->m.fields;
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return i;
  return npos;
}

void batch::clear() {
  impl_->rows = 0;
  for (column& c : impl_->columns) {
    c.codes.clear();
    c.ints.clear();
    c.decs.clear();
    c.str_off.clear();
    c.str_len.clear();
    c.key_entry.clear();
    c.arena.clear();
    c.valid.clear();
  }
}

void batch::reserve(size_t rows) {
  for (column& c : impl_->columns) {
    switch (c.type) {
      case value_type::string:
        c.str_off.reserve(rows);
        c.str_len.reserve(rows);
        c.codes.reserve(rows);
        c.key_entry.reserve(rows);
        break;
      case value_type::enumeration:
      case value_type::boolean:
        c.codes.reserve(rows);
        break;
      case value_type::integer:
      case value_type::date:
        c.ints.reserve(rows);
        break;
      case value_type::decimal:
        c.decs.reserve(rows);
        break;
    }
    c.valid.reserve((rows + 63) / 64);
  }
}

size_t batch::add_row() {
  size_t row = impl_->rows++;
  for (column& c : impl_->columns) {
    switch (c.type) {
      case value_type::string:
        c.str_off.push_back(0);
        c.str_len.push_back(0);
        c.codes.push_back(detail::no_code);
        c.key_entry.push_back(detail::string_table::not_found);
        break;
      case value_type::enumeration:
      case value_type::boolean:
        c.codes.push_back(detail::no_code);
        break;
      case value_type::integer:
      case value_type::date:
        c.ints.push_back(0);
        break;
      case value_type::decimal:
        c.decs.push_back(0);
        break;
    }
    if ((row & 63) == 0) c.valid.push_back(0);
  }
  return row;
}

namespace {
// Removes the last row (a record that turned out bad), so a batch only holds good rows.
void drop_last_row(detail::batch_impl& b) {
  size_t rows = --b.rows;
  for (column& c : b.columns) {
    c.codes.resize(std::min(c.codes.size(), rows));
    c.ints.resize(std::min(c.ints.size(), rows));
    c.decs.resize(std::min(c.decs.size(), rows));
    c.str_off.resize(std::min(c.str_off.size(), rows));
    c.str_len.resize(std::min(c.str_len.size(), rows));
    c.key_entry.resize(std::min(c.key_entry.size(), rows));
    c.valid.resize((rows + 63) / 64);
    // Clear validity bits past the end so a reused word starts clean.
    if (rows % 64 != 0) c.valid.back() &= (uint64_t{1} << (rows % 64)) - 1;
  }
}

bool fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return false;
}
}  // namespace

bool batch::set_text(size_t row, size_t field, std::string_view text, std::string* why) {
  if (row >= impl_->rows || field >= impl_->columns.size())
    return fail(why, "row or field out of range");
  std::string problem = detail::store_text(*impl_->prog, static_cast<uint32_t>(field),
                                           impl_->columns[field], row, text);
  if (problem.empty()) return true;
  return fail(why, std::move(problem));
}

void batch::set_missing(size_t row, size_t field) {
  if (row >= impl_->rows || field >= impl_->columns.size()) return;
  detail::store_text(*impl_->prog, static_cast<uint32_t>(field), impl_->columns[field], row, {});
}

bool batch::set_integer(size_t row, size_t field, int64_t value, std::string* why) {
  if (row >= impl_->rows || field >= impl_->columns.size())
    return fail(why, "row or field out of range");
  if (impl_->columns[field].type != value_type::integer)
    return fail(why, "field '" + impl_->prog->m.fields[field].name + "' is not an integer field");
  return set_text(row, field, std::to_string(value), why);
}

bool batch::set_boolean(size_t row, size_t field, bool value, std::string* why) {
  if (row >= impl_->rows || field >= impl_->columns.size())
    return fail(why, "row or field out of range");
  if (impl_->columns[field].type != value_type::boolean)
    return fail(why, "field '" + impl_->prog->m.fields[field].name + "' is not a boolean field");
  return set_text(row, field, value ? "true" : "false", why);
}

bool batch::add_record(const std::vector<std::string_view>& values, std::string* why,
                       size_t* bad_field) {
  const auto& fields = impl_->prog->m.fields;
  if (values.size() != fields.size())
    return fail(why, "the record has " + std::to_string(values.size()) +
                         " values; the rule set has " + std::to_string(fields.size()) + " fields");
  size_t row = add_row();
  for (size_t f = 0; f < fields.size(); ++f) {
    std::string problem;
    if (!set_text(row, f, values[f], &problem)) {
      drop_last_row(*impl_);
      if (bad_field) *bad_field = f;
      return fail(why, fields[f].name + ": " + problem);
    }
  }
  for (size_t f = 0; f < fields.size(); ++f) {
    if (fields[f].required && !impl_->columns[f].is_valid(row)) {
      drop_last_row(*impl_);
      if (bad_field) *bad_field = f;
      return fail(why, fields[f].name + ": a value is required");
    }
  }
  return true;
}

bool batch::complete(size_t row, std::string* why) const {
  const auto& fields = impl_->prog->m.fields;
  for (size_t f = 0; f < fields.size(); ++f)
    if (fields[f].required && !impl_->columns[f].is_valid(row))
      return fail(why, fields[f].name + ": a value is required");
  return true;
}

void batch::resize(size_t rows) {
  while (impl_->rows > rows) drop_last_row(*impl_);
  reserve(rows);
  while (impl_->rows < rows) add_row();
}

namespace {
bool bit_set(const uint8_t* valid, size_t i) { return !valid || ((valid[i >> 3] >> (i & 7)) & 1); }
}  // namespace

using detail::set_valid;

std::vector<batch::cell_error> batch::set_column_text(size_t field,
                                                      const std::vector<std::string_view>& cells) {
  std::vector<cell_error> errors;
  if (field >= impl_->columns.size()) {
    errors.push_back({0, "no field " + std::to_string(field)});
    return errors;
  }
  if (impl_->rows < cells.size()) resize(cells.size());
  column& col = impl_->columns[field];
  for (size_t row = 0; row < cells.size(); ++row) {
    std::string problem =
        detail::store_text(*impl_->prog, static_cast<uint32_t>(field), col, row, cells[row]);
    if (!problem.empty()) errors.push_back({row, std::move(problem)});
  }
  return errors;
}

std::vector<batch::cell_error> batch::set_column_integers(size_t field, const int64_t* values,
                                                          size_t n, const uint8_t* valid) {
  std::vector<cell_error> errors;
  if (field >= impl_->columns.size() || (impl_->columns[field].type != value_type::integer &&
                                         impl_->columns[field].type != value_type::date)) {
    errors.push_back({0, "field " + std::to_string(field) + " is not an integer or date field"});
    return errors;
  }
  if (impl_->rows < n) resize(n);
  const auto& f = impl_->prog->m.fields[field];
  column& col = impl_->columns[field];
  for (size_t row = 0; row < n; ++row) {
    set_valid(col, row, false);
    if (!bit_set(valid, row)) continue;
    detail::decimal_key v = values[row];
    if ((f.min && v < *f.min) || (f.max && v > *f.max)) {
      errors.push_back({row, std::to_string(values[row]) + " is outside the field's range"});
      continue;
    }
    col.ints[row] = values[row];
    set_valid(col, row, true);
  }
  return errors;
}

std::vector<batch::cell_error> batch::set_column_booleans(size_t field, const uint8_t* values,
                                                          size_t n, const uint8_t* valid) {
  std::vector<cell_error> errors;
  if (field >= impl_->columns.size() || impl_->columns[field].type != value_type::boolean) {
    errors.push_back({0, "field " + std::to_string(field) + " is not a boolean field"});
    return errors;
  }
  if (impl_->rows < n) resize(n);
  column& col = impl_->columns[field];
  for (size_t row = 0; row < n; ++row) {
    bool present = bit_set(valid, row);
    col.codes[row] = present ? (values[row] ? 1 : 0) : detail::no_code;
    set_valid(col, row, present);
  }
  return errors;
}

uint16_t batch::enum_code(size_t field, std::string_view label) const {
  if (field >= impl_->columns.size() || impl_->columns[field].type != value_type::enumeration)
    return no_code;
  auto code = impl_->prog->m.fields[field].values.find(label);
  return code ? *code : no_code;
}

std::vector<batch::cell_error> batch::set_column_codes(size_t field, const uint16_t* codes,
                                                       size_t n, const uint8_t* valid) {
  std::vector<cell_error> errors;
  if (field >= impl_->columns.size() || impl_->columns[field].type != value_type::enumeration) {
    errors.push_back({0, "field " + std::to_string(field) + " is not an enum field"});
    return errors;
  }
  if (impl_->rows < n) resize(n);
  const size_t domain = impl_->prog->m.fields[field].values.size();
  column& col = impl_->columns[field];
  for (size_t row = 0; row < n; ++row) {
    bool present = bit_set(valid, row) && codes[row] != no_code;
    if (present && codes[row] >= domain) {
      errors.push_back(
          {row, "code " + std::to_string(codes[row]) + " is not a value of the field"});
      present = false;
    }
    col.codes[row] = present ? codes[row] : detail::no_code;
    set_valid(col, row, present);
  }
  return errors;
}

std::string batch::value_text(size_t row, size_t field) const {
  if (row >= impl_->rows || field >= impl_->columns.size()) return {};
  const column& c = impl_->columns[field];
  if (!c.is_valid(row)) return {};
  const auto& f = impl_->prog->m.fields[field];
  switch (c.type) {
    case value_type::string:
      return std::string(c.text(row));
    case value_type::enumeration:
      return f.values.labels[c.codes[row]];
    case value_type::boolean:
      return c.codes[row] ? "true" : "false";
    case value_type::integer:
      return std::to_string(c.ints[row]);
    case value_type::date:
      return detail::date_to_string(c.ints[row]);
    case value_type::decimal:
      return detail::decimal_to_string(c.decs[row]);
  }
  return {};
}

}  // namespace chanrules
