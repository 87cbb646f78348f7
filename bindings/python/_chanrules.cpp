// _chanrules: the thin pybind11 layer between Python and the C API (chanrules/chanrules.h).
//
// The Pythonic API (DataFrames, exceptions, Dask) is plain Python in chanrules/; this module
// only moves data across. Columns arrive already normalised by chanrules/_frames.py: NumPy
// arrays of int64, float64, bool or uint16 codes (passed to the C API by pointer, no copy),
// or object arrays, which are turned into Arrow-style offsets + UTF-8 bytes here while the
// GIL is held. Classification itself runs with the GIL released. Failures of the C API
// become the exceptions of chanrules/_errors.py, with their file/line/column or row/field.
#include <chanrules/chanrules.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace py = pybind11;

namespace {

struct status_deleter {
  void operator()(chanrules_status* s) const { chanrules_status_free(s); }
};
using status_ptr = std::unique_ptr<chanrules_status, status_deleter>;

py::tuple diagnostic_tuple(const chanrules_diagnostic& d) {
  static const char* const severities[] = {"error", "warning", "note"};
  return py::make_tuple(severities[d.severity], d.code, d.file, d.line, d.column, d.message, d.hint,
                        d.source_line, d.caret_length, d.formatted);
}

py::list diagnostic_list(const chanrules_diagnostics* list) {
  py::list out;
  for (size_t i = 0; i < chanrules_diagnostics_count(list); ++i) {
    const chanrules_diagnostic* d = nullptr;
    if (chanrules_diagnostics_get(list, i, &d, nullptr) == CHANRULES_OK)
      out.append(diagnostic_tuple(*d));
  }
  return out;
}

// Raises the chanrules exception for a failed call (the GIL must be held).
[[noreturn]] void raise_status(chanrules_code code, chanrules_status* raw) {
  status_ptr st(raw);
  py::object make = py::module_::import("chanrules._errors").attr("_from_status");
  py::object exc = make(static_cast<int>(code), chanrules_status_message(st.get()),
                        chanrules_status_file(st.get()), chanrules_status_line(st.get()),
                        chanrules_status_column(st.get()), chanrules_status_row(st.get()),
                        chanrules_status_field(st.get()),
                        diagnostic_list(chanrules_status_diagnostics(st.get())));
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

void check(chanrules_code code, chanrules_status* st) {
  if (code != CHANRULES_OK) raise_status(code, st);
}

const char* field_type_name(chanrules_field_type t) {
  switch (t) {
    case CHANRULES_FIELD_STRING:
      return "string";
    case CHANRULES_FIELD_ENUM:
      return "enum";
    case CHANRULES_FIELD_BOOLEAN:
      return "boolean";
    case CHANRULES_FIELD_INTEGER:
      return "integer";
    case CHANRULES_FIELD_DATE:
      return "date";
    case CHANRULES_FIELD_DECIMAL:
      return "decimal";
  }
  return "string";
}

// A loaded rule set, shared by the Python objects that use it.
struct rules_handle {
  chanrules_rules* p = nullptr;
  explicit rules_handle(chanrules_rules* r) : p(r) {}
  ~rules_handle() { chanrules_rules_free(p); }
  rules_handle(const rules_handle&) = delete;
  rules_handle& operator=(const rules_handle&) = delete;
};

// One object column as Arrow large_utf8: built while the GIL is held, read by the C API
// after it is released.
struct text_column {
  std::vector<int64_t> offsets;
  std::string data;
  std::vector<uint8_t> validity;
  bool valid_utf8 = true;  // false once a value could not be encoded (not_utf8 stands in)
};

// Bytes that are not UTF-8: a value that cannot be encoded (a lone surrogate) is passed as
// this, so the library rejects its row like any other text that is not UTF-8.
constexpr char not_utf8[] = "\xff";

void append_double(std::string& out, double v, bool whole_numbers) {
  char buf[400];
  auto r = whole_numbers && std::trunc(v) == v && std::fabs(v) < 9.2e18
               ? std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v))
               : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// Reads an object array: str as its UTF-8, None / NaN / the `missing` sentinels (pd.NA,
// pd.NaT) as missing, bool as true/false, int and float as their numbers, bytes as they
// are, anything else through str().
text_column object_column(const py::array& values, const uint8_t* validity, size_t rows,
                          bool integer_field, const py::tuple& missing) {
  text_column col;
  col.offsets.resize(rows + 1);
  col.validity.assign((rows + 7) / 8, 0);
  col.data.reserve(rows * 8);
  PyObject* const* items = static_cast<PyObject* const*>(values.data());
  const py::ssize_t stride = values.strides(0) / static_cast<py::ssize_t>(sizeof(PyObject*));
  std::vector<PyObject*> sentinels;
  for (auto s : missing) sentinels.push_back(s.ptr());
  for (size_t i = 0; i < rows; ++i) {
    col.offsets[i] = static_cast<int64_t>(col.data.size());
    if (validity && !((validity[i >> 3] >> (i & 7)) & 1)) continue;
    PyObject* o = items[static_cast<py::ssize_t>(i) * stride];
    bool present = true;
    if (PyUnicode_Check(o)) {
      Py_ssize_t n = 0;
      const char* s = PyUnicode_AsUTF8AndSize(o, &n);
      if (s) {
        col.data.append(s, static_cast<size_t>(n));
      } else {
        PyErr_Clear();
        col.data.append(not_utf8);
        col.valid_utf8 = false;
      }
    } else if (o == Py_None) {
      present = false;
    } else if (PyBool_Check(o)) {
      col.data.append(o == Py_True ? "true" : "false");
    } else if (PyFloat_Check(o)) {
      double v = PyFloat_AS_DOUBLE(o);
      if (std::isnan(v)) {
        present = false;
      } else {
        append_double(col.data, v, integer_field);
      }
    } else if (PyBytes_Check(o)) {
      col.data.append(PyBytes_AS_STRING(o), static_cast<size_t>(PyBytes_GET_SIZE(o)));
      col.valid_utf8 = false;  // bytes may hold anything: the library checks them
    } else {
      for (PyObject* s : sentinels) present = present && o != s;
      if (present) {
        py::str text(py::reinterpret_borrow<py::object>(o));
        col.data.append(std::string(text));
      }
    }
    if (present) col.validity[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  }
  col.offsets[rows] = static_cast<int64_t>(col.data.size());
  return col;
}

// An enum column given as str objects, as codes: the common case (every value a label, or
// missing) skips the text round trip. CSV readers such as pandas' hand out one str object
// per distinct value, so a few cached pointers answer nearly every row. Returns false (and
// the caller falls back to text, so that the library words the rejection) at the first
// value that is not a label or not a str.
bool enum_codes(const py::array& values, const uint8_t* validity, size_t rows,
                const std::vector<std::string>& labels, bool trim, const py::tuple& missing,
                std::vector<uint16_t>& codes) {
  codes.assign(rows, CHANRULES_NO_CODE);
  PyObject* const* items = static_cast<PyObject* const*>(values.data());
  const py::ssize_t stride = values.strides(0) / static_cast<py::ssize_t>(sizeof(PyObject*));
  struct seen {
    PyObject* object;
    uint16_t code;
  };
  std::vector<seen> cache;  // small: labels and their few spellings
  for (size_t i = 0; i < rows; ++i) {
    if (validity && !((validity[i >> 3] >> (i & 7)) & 1)) continue;
    PyObject* o = items[static_cast<py::ssize_t>(i) * stride];
    bool hit = false;
    for (const seen& s : cache)
      if (s.object == o) {
        codes[i] = s.code;
        hit = true;
        break;
      }
    if (hit) continue;
    uint16_t code = CHANRULES_NO_CODE;
    if (PyUnicode_Check(o)) {
      Py_ssize_t n = 0;
      const char* p = PyUnicode_AsUTF8AndSize(o, &n);
      if (!p) {
        PyErr_Clear();
        return false;
      }
      std::string_view v(p, static_cast<size_t>(n));
      if (trim) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      }
      if (!v.empty()) {
        size_t k = 0;
        while (k < labels.size() && labels[k] != v) ++k;
        if (k == labels.size()) return false;
        code = static_cast<uint16_t>(k);
      }
    } else if (o == Py_None || (PyFloat_Check(o) && std::isnan(PyFloat_AS_DOUBLE(o)))) {
      code = CHANRULES_NO_CODE;
    } else {
      bool sentinel = false;
      for (auto s : missing) sentinel = sentinel || s.ptr() == o;
      if (!sentinel) return false;
    }
    codes[i] = code;
    // The objects stay alive (the array holds them) for as long as the cache is used.
    if (cache.size() < 64) cache.push_back({o, code});
  }
  return true;
}

// One classification: the C result, read into NumPy arrays on request.
class result {
 public:
  result(chanrules_result* r, std::shared_ptr<rules_handle> rules)
      : r_(r), rules_(std::move(rules)) {}
  ~result() { chanrules_result_free(r_); }
  result(const result&) = delete;
  result& operator=(const result&) = delete;

  size_t rows() const { return chanrules_result_rows(r_); }
  size_t rejected() const { return chanrules_result_rejected_rows(r_); }

  // Outcome codes as pandas.Categorical codes: -1 for no outcome.
  py::array outcome_codes(size_t decision) const {
    const uint16_t* codes = nullptr;
    chanrules_status* st = nullptr;
    check(chanrules_result_outcome_codes(r_, decision, &codes, &st), st);
    py::array_t<int32_t> out(static_cast<py::ssize_t>(rows()));
    int32_t* o = out.mutable_data();
    for (size_t i = 0; i < rows(); ++i) o[i] = codes[i] == CHANRULES_NO_OUTCOME ? -1 : codes[i];
    return out;
  }

  // Rule indices as Categorical codes over [rule ids..., "default"]: -1 when no rule.
  py::array rule_codes(size_t decision) const {
    const uint16_t* rules = nullptr;
    chanrules_status* st = nullptr;
    check(chanrules_result_rule_indices(r_, decision, &rules, &st), st);
    chanrules_decision_info info;
    check(chanrules_rules_decision(rules_->p, decision, &info, &st), st);
    py::array_t<int32_t> out(static_cast<py::ssize_t>(rows()));
    int32_t* o = out.mutable_data();
    for (size_t i = 0; i < rows(); ++i) {
      uint16_t r = rules[i];
      o[i] = r == CHANRULES_NO_RULE        ? -1
             : r == CHANRULES_RULE_DEFAULT ? static_cast<int32_t>(info.rule_count)
                                           : r;
    }
    return out;
  }

  // The missing fields of each row as "a;b" ("" when none), one str object per distinct set.
  py::array missing(size_t decision) const {
    const size_t n = rows();
    const size_t fields = chanrules_rules_field_count(rules_->p);
    std::vector<std::string> names(fields);
    for (size_t f = 0; f < fields; ++f) {
      chanrules_field_info info;
      chanrules_status* st = nullptr;
      check(chanrules_rules_field(rules_->p, f, &info, &st), st);
      names[f] = info.name;
    }
    py::array out(py::dtype("O"), std::vector<py::ssize_t>{static_cast<py::ssize_t>(n)});
    PyObject** o = static_cast<PyObject**>(out.mutable_data());
    std::unordered_map<std::string, py::str> cache;
    std::vector<size_t> at(fields);
    std::string key;
    for (size_t i = 0; i < n; ++i) {
      size_t count = 0;
      chanrules_status* st = nullptr;
      check(chanrules_result_missing_fields(r_, decision, i, at.data(), at.size(), &count, &st),
            st);
      key.clear();
      for (size_t k = 0; k < count; ++k) {
        if (k) key += ';';
        key += names[at[k]];
      }
      auto it = cache.find(key);
      if (it == cache.end()) it = cache.emplace(key, py::str(key)).first;
      PyObject* s = it->second.ptr();
      Py_INCREF(s);
      Py_XDECREF(o[i]);  // numpy filled the object array with None
      o[i] = s;
    }
    return out;
  }

  // (rows, field names, reasons) of the rejected rows.
  py::tuple rejects() const {
    std::vector<int64_t> rows_out;
    py::list fields, reasons;
    if (rejected()) {
      for (size_t i = 0; i < rows(); ++i) {
        const char* reason = nullptr;
        size_t field = 0;
        chanrules_status* st = nullptr;
        check(chanrules_result_reject(r_, i, &reason, &field, &st), st);
        if (!reason) continue;
        rows_out.push_back(static_cast<int64_t>(i));
        std::string name;
        if (field != SIZE_MAX) {
          chanrules_field_info info;
          check(chanrules_rules_field(rules_->p, field, &info, &st), st);
          name = info.name;
        }
        fields.append(name);
        reasons.append(reason);
      }
    }
    return py::make_tuple(
        py::array_t<int64_t>(static_cast<py::ssize_t>(rows_out.size()), rows_out.data()), fields,
        reasons);
  }

  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < chanrules_result_warning_count(r_); ++i) {
      const char* text = nullptr;
      chanrules_status* st = nullptr;
      check(chanrules_result_warning(r_, i, &text, &st), st);
      out.emplace_back(text);
    }
    return out;
  }

 private:
  chanrules_result* r_;
  std::shared_ptr<rules_handle> rules_;  // for names; the result itself needs no rule set
};

class rule_set {
 public:
  explicit rule_set(chanrules_rules* r) : h_(std::make_shared<rules_handle>(r)) {}

  static rule_set load(const std::string& path, bool allow_outside_paths) {
    chanrules_load_options o{allow_outside_paths ? uint32_t{CHANRULES_LOAD_ALLOW_OUTSIDE_PATHS}
                                                 : 0u};
    chanrules_rules* r = nullptr;
    chanrules_status* st = nullptr;
    chanrules_code code;
    {
      py::gil_scoped_release unlocked;
      code = chanrules_load(path.c_str(), &o, &r, &st);
    }
    check(code, st);
    return rule_set(r);
  }

  static rule_set load_string(const std::string& yaml, const std::string& name,
                              const std::string& base_dir, bool allow_outside_paths) {
    chanrules_load_options o{allow_outside_paths ? uint32_t{CHANRULES_LOAD_ALLOW_OUTSIDE_PATHS}
                                                 : 0u};
    chanrules_rules* r = nullptr;
    chanrules_status* st = nullptr;
    chanrules_code code;
    {
      py::gil_scoped_release unlocked;
      code = chanrules_load_string(yaml.data(), yaml.size(), name.c_str(), base_dir.c_str(), &o, &r,
                                   &st);
    }
    check(code, st);
    return rule_set(r);
  }

  std::string name() const { return chanrules_rules_name(h_->p); }
  std::string version() const { return chanrules_rules_version(h_->p); }
  std::string base_dir() const { return chanrules_rules_base_dir(h_->p); }
  py::list diagnostics() const { return diagnostic_list(chanrules_rules_diagnostics(h_->p)); }

  std::vector<std::string> source_files() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < chanrules_rules_source_file_count(h_->p); ++i) {
      const char* path = nullptr;
      chanrules_status* st = nullptr;
      check(chanrules_rules_source_file(h_->p, i, &path, &st), st);
      out.emplace_back(path);
    }
    return out;
  }

  // [(name, type, required, unique, [labels])]
  py::list fields() const {
    py::list out;
    for (size_t f = 0; f < chanrules_rules_field_count(h_->p); ++f) {
      chanrules_field_info info;
      chanrules_status* st = nullptr;
      check(chanrules_rules_field(h_->p, f, &info, &st), st);
      py::list labels;
      for (size_t i = 0; i < info.value_count; ++i) {
        const char* label = nullptr;
        check(chanrules_rules_field_value(h_->p, f, i, &label, &st), st);
        labels.append(label);
      }
      out.append(py::make_tuple(info.name, field_type_name(info.type), bool(info.required),
                                bool(info.unique), labels));
    }
    return out;
  }

  // [(name, is_output, [outcome labels], [rule ids])]
  py::list decisions() const {
    py::list out;
    for (size_t d = 0; d < chanrules_rules_decision_count(h_->p); ++d) {
      chanrules_decision_info info;
      chanrules_status* st = nullptr;
      check(chanrules_rules_decision(h_->p, d, &info, &st), st);
      py::list labels, rules;
      for (size_t i = 0; i < info.outcome_count; ++i) {
        const char* s = nullptr;
        check(chanrules_rules_outcome_label(h_->p, d, i, &s, &st), st);
        labels.append(s);
      }
      for (size_t i = 0; i < info.rule_count; ++i) {
        const char* s = nullptr;
        check(chanrules_rules_rule_id(h_->p, d, i, &s, &st), st);
        rules.append(s);
      }
      out.append(py::make_tuple(info.name, bool(info.is_output), labels, rules));
    }
    return out;
  }

  // columns: [(name, kind, values, validity or None)], kind one of "object", "int64",
  // "float64", "bool", "codes" (see chanrules/_frames.py). `missing` holds the objects that
  // mean a missing value in object columns besides None and NaN (pd.NA, pd.NaT).
  std::unique_ptr<result> classify(const py::list& columns, size_t rows, uint32_t flags,
                                   const py::tuple& missing) {
    std::vector<chanrules_column> cols;
    std::vector<std::string> names;
    std::vector<text_column> texts;                   // stable storage: reserved up front
    std::vector<std::vector<uint16_t>> code_columns;  // likewise
    std::vector<py::array> keep;                      // the arrays whose memory the C API reads
    names.reserve(columns.size());
    texts.reserve(columns.size());
    code_columns.reserve(columns.size());
    for (const auto& item : columns) {
      auto t = item.cast<py::tuple>();
      if (t.size() != 4) throw py::value_error("a column is (name, kind, values, validity)");
      names.push_back(t[0].cast<std::string>());
      std::string kind = t[1].cast<std::string>();
      py::array values = t[2].cast<py::array>();
      if (values.ndim() != 1 || static_cast<size_t>(values.shape(0)) != rows)
        throw py::value_error("column '" + names.back() + "' has " +
                              std::to_string(values.ndim() == 1 ? values.shape(0) : -1) +
                              " values; the data has " + std::to_string(rows) + " rows");
      const uint8_t* validity = nullptr;
      if (!t[3].is_none()) {
        auto v = t[3].cast<py::array_t<uint8_t, py::array::c_style>>();
        if (static_cast<size_t>(v.size()) < (rows + 7) / 8)
          throw py::value_error("column '" + names.back() + "': the validity bitmap is too short");
        validity = v.data();
        keep.push_back(std::move(v));
      }
      chanrules_column c{};
      c.validity = validity;
      auto need = [&](const py::dtype& dt, const char* what) {
        if (!values.dtype().is(dt) || !(values.flags() & py::array::c_style))
          throw py::value_error("column '" + names.back() + "' must be a contiguous " + what +
                                " array");
      };
      if (kind == "object") {
        if (values.dtype().kind() != 'O')
          throw py::value_error("column '" + names.back() + "' must be an object array");
        size_t f = 0;
        chanrules_status* st = nullptr;
        check(chanrules_rules_field_index(h_->p, names.back().c_str(), &f, &st), st);
        chanrules_field_info info;
        check(chanrules_rules_field(h_->p, f, &info, &st), st);
        if (info.type == CHANRULES_FIELD_ENUM) {
          std::vector<std::string> labels;
          for (size_t k = 0; k < info.value_count; ++k) {
            const char* label = nullptr;
            check(chanrules_rules_field_value(h_->p, f, k, &label, &st), st);
            labels.emplace_back(label);
          }
          std::vector<uint16_t> codes;
          if (enum_codes(values, validity, rows, labels, info.trim != 0, missing, codes)) {
            code_columns.push_back(std::move(codes));
            c.type = CHANRULES_COLUMN_CODE16;
            c.values = code_columns.back().data();
            c.validity = nullptr;
            keep.push_back(std::move(values));
            cols.push_back(c);
            continue;
          }
        }
        texts.push_back(
            object_column(values, validity, rows, info.type == CHANRULES_FIELD_INTEGER, missing));
        c.type = CHANRULES_COLUMN_LARGE_UTF8;
        c.offsets = texts.back().offsets.data();
        c.data = texts.back().data.data();
        c.validity = texts.back().validity.data();
      } else if (kind == "int64") {
        need(py::dtype::of<int64_t>(), "int64");
        c.type = CHANRULES_COLUMN_INT64;
        c.values = values.data();
      } else if (kind == "float64") {
        need(py::dtype::of<double>(), "float64");
        c.type = CHANRULES_COLUMN_FLOAT64;
        c.values = values.data();
      } else if (kind == "bool") {
        need(py::dtype::of<bool>(), "bool");
        c.type = CHANRULES_COLUMN_BOOL8;
        c.values = values.data();
      } else if (kind == "codes") {
        need(py::dtype::of<uint16_t>(), "uint16");
        c.type = CHANRULES_COLUMN_CODE16;
        c.values = values.data();
      } else {
        throw py::value_error("unknown column kind '" + kind + "'");
      }
      keep.push_back(std::move(values));
      cols.push_back(c);
    }
    for (size_t i = 0; i < cols.size(); ++i) cols[i].name = names[i].c_str();

    // Text made here from str objects is UTF-8 unless a value could not be encoded: the
    // library need not check it again.
    bool valid_utf8 = true;
    for (const auto& t : texts) valid_utf8 = valid_utf8 && t.valid_utf8;
    chanrules_classify_options options{flags |
                                       (valid_utf8 ? uint32_t{CHANRULES_CLASSIFY_VALID_UTF8} : 0u)};
    chanrules_result* out = nullptr;
    chanrules_status* st = nullptr;
    chanrules_code code;
    {
      py::gil_scoped_release unlocked;
      code = chanrules_classify_columns(h_->p, cols.data(), cols.size(), rows, &options, &out, &st);
    }
    check(code, st);
    return std::make_unique<result>(out, h_);
  }

  std::string explain_json(const std::vector<std::string>& names,
                           const std::vector<std::string>& values) const {
    if (names.size() != values.size()) throw py::value_error("names and values differ in length");
    std::vector<const char*> n, v;
    for (size_t i = 0; i < names.size(); ++i) {
      n.push_back(names[i].c_str());
      v.push_back(values[i].c_str());
    }
    char* json = nullptr;
    chanrules_status* st = nullptr;
    chanrules_code code;
    {
      py::gil_scoped_release unlocked;
      code = chanrules_explain_json(h_->p, n.data(), v.data(), n.size(), &json, &st);
    }
    check(code, st);
    std::string out(json);
    chanrules_free(json);
    return out;
  }

  // (output bytes, rejects bytes, (rows_in, rows_out, rows_rejected, rows_with_missing,
  // encoding), warnings)
  // limits: (max_field_size, max_record_size, max_fields), read with CSV_LIMITS in flags.
  py::tuple classify_csv(const py::bytes& data, uint32_t flags,
                         const std::vector<std::string>& decisions,
                         const std::tuple<size_t, size_t, size_t>& limits) const {
    std::string input = data;
    std::vector<const char*> names;
    for (const auto& d : decisions) names.push_back(d.c_str());
    chanrules_csv_options o{};
    o.flags = flags;
    std::tie(o.max_field_size, o.max_record_size, o.max_fields) = limits;
    o.decisions = names.empty() ? nullptr : names.data();
    o.decision_count = names.size();
    chanrules_csv_result* r = nullptr;
    chanrules_status* st = nullptr;
    chanrules_code code;
    {
      py::gil_scoped_release unlocked;
      code = chanrules_classify_csv(h_->p, input.data(), input.size(), &o, &r, &st);
    }
    check(code, st);
    std::unique_ptr<chanrules_csv_result, void (*)(chanrules_csv_result*)> owned(
        r, chanrules_csv_result_free);
    size_t out_size = 0, rej_size = 0;
    const char* out = chanrules_csv_result_output(r, &out_size);
    const char* rej = chanrules_csv_result_rejects(r, &rej_size);
    chanrules_csv_summary s;
    check(chanrules_csv_result_summary(r, &s, &st), st);
    py::list warnings;
    for (size_t i = 0; i < chanrules_csv_result_warning_count(r); ++i) {
      const char* text = nullptr;
      check(chanrules_csv_result_warning(r, i, &text, &st), st);
      warnings.append(text);
    }
    return py::make_tuple(
        py::bytes(out, out_size), py::bytes(rej, rej_size),
        py::make_tuple(s.rows_in, s.rows_out, s.rows_rejected, s.rows_with_missing, s.encoding),
        warnings);
  }

 private:
  std::shared_ptr<rules_handle> h_;
};

py::list check_path(const std::string& path, bool allow_outside_paths) {
  chanrules_load_options o{allow_outside_paths ? uint32_t{CHANRULES_LOAD_ALLOW_OUTSIDE_PATHS} : 0u};
  chanrules_diagnostics* d = nullptr;
  chanrules_status* st = nullptr;
  chanrules_code code;
  {
    py::gil_scoped_release unlocked;
    code = chanrules_check(path.c_str(), &o, &d, &st);
  }
  check(code, st);
  std::unique_ptr<chanrules_diagnostics, void (*)(chanrules_diagnostics*)> owned(
      d, chanrules_diagnostics_free);
  return diagnostic_list(d);
}

}  // namespace

PYBIND11_MODULE(_chanrules, m) {
  m.doc() = "chanrules C API bindings (use the chanrules package, not this module)";
  m.def("version", [] { return std::string(chanrules_version()); });
  m.def("check", &check_path, py::arg("path"), py::arg("allow_outside_paths") = false);
  m.attr("CLASSIFY_STRICT") = static_cast<uint32_t>(CHANRULES_CLASSIFY_STRICT);
  m.attr("CLASSIFY_NO_UNIQUE_CHECK") = static_cast<uint32_t>(CHANRULES_CLASSIFY_NO_UNIQUE_CHECK);
  m.attr("CSV_REASONS") = static_cast<uint32_t>(CHANRULES_CSV_REASONS);
  m.attr("CSV_EXCEL_SAFE") = static_cast<uint32_t>(CHANRULES_CSV_EXCEL_SAFE);
  m.attr("CSV_LIMITS") = static_cast<uint32_t>(CHANRULES_CSV_LIMITS);

  py::class_<result>(m, "Result")
      .def_property_readonly("rows", &result::rows)
      .def_property_readonly("rejected", &result::rejected)
      .def("outcome_codes", &result::outcome_codes)
      .def("rule_codes", &result::rule_codes)
      .def("missing", &result::missing)
      .def("rejects", &result::rejects)
      .def("warnings", &result::warnings);

  py::class_<rule_set>(m, "RuleSet")
      .def_static("load", &rule_set::load, py::arg("path"), py::arg("allow_outside_paths") = false)
      .def_static("load_string", &rule_set::load_string, py::arg("yaml"), py::arg("name"),
                  py::arg("base_dir"), py::arg("allow_outside_paths") = false)
      .def_property_readonly("name", &rule_set::name)
      .def_property_readonly("version", &rule_set::version)
      .def_property_readonly("base_dir", &rule_set::base_dir)
      .def("diagnostics", &rule_set::diagnostics)
      .def("source_files", &rule_set::source_files)
      .def("fields", &rule_set::fields)
      .def("decisions", &rule_set::decisions)
      .def("classify", &rule_set::classify)
      .def("explain_json", &rule_set::explain_json)
      .def("classify_csv", &rule_set::classify_csv);
}
