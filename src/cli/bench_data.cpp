// Records for `chanrules bench`: the generator and the CSV reader (see bench_data.h).
#include "bench_data.h"

#include <chanrules/batch.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace chanrules::cli {

// --- record_table --------------------------------------------------------------------------

void record_table::reserve(size_t rows, size_t bytes_per_row) {
  row_start_.reserve(rows);
  cell_end_.reserve(rows * fields_);
  text_.reserve(rows * bytes_per_row);
}

void record_table::begin_row() { row_start_.push_back(text_.size()); }

void record_table::add_cell(std::string_view text) {
  text_.append(text);
  uint64_t end = text_.size() - row_start_.back();
  // A row longer than 4 GiB cannot be a record of an export.
  if (end > std::numeric_limits<uint32_t>::max()) throw std::length_error("record too long");
  cell_end_.push_back(static_cast<uint32_t>(end));
}

void record_table::add_row(const std::vector<std::string_view>& cells) {
  begin_row();
  for (size_t f = 0; f < fields_; ++f) add_cell(f < cells.size() ? cells[f] : std::string_view());
}

void record_table::row(size_t r, std::vector<std::string_view>& out) const {
  out.resize(fields_);
  for (size_t f = 0; f < fields_; ++f) out[f] = cell(r, f);
}

void record_table::keep(const std::vector<bool>& flags) {
  record_table kept(fields_);
  kept.reserve(rows(), rows() ? bytes() / rows() : 0);
  std::vector<std::string_view> cells;
  for (size_t r = 0; r < rows(); ++r) {
    if (r < flags.size() && !flags[r]) continue;
    row(r, cells);
    kept.add_row(cells);
  }
  *this = std::move(kept);
}

// --- the generator -------------------------------------------------------------------------

namespace {

// __extension__: GCC and Clang have 128-bit integers; ISO C++ does not.
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

// Draws that give the same numbers on every platform (std::mt19937_64 is fully specified;
// the standard distributions are not).
class draws {
 public:
  explicit draws(uint64_t seed) : rng_(seed) {}
  uint64_t below(uint64_t n) { return n ? rng_() % n : 0; }
  double unit() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
  // Uniform in [lo, hi] (lo <= hi).
  i128 between(i128 lo, i128 hi) {
    u128 span = static_cast<u128>(hi - lo) + 1;
    u128 r = (static_cast<u128>(rng_()) << 64) | rng_();
    return span == 0 ? lo + static_cast<i128>(r) : lo + static_cast<i128>(r % span);
  }
  std::mt19937_64& engine() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

std::string int128_text(i128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  u128 u = negative ? static_cast<u128>(-(v + 1)) + 1 : static_cast<u128>(v);
  std::string s;
  while (u) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (negative) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

// Days since 1970-01-01 <-> YYYY-MM-DD (H. Hinnant's civil calendar algorithms).
bool parse_date(std::string_view t, int64_t& days) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  int y = 0, m = 0, d = 0;
  for (size_t i : {0, 1, 2, 3}) y = y * 10 + (t[i] - '0');
  m = (t[5] - '0') * 10 + (t[6] - '0');
  d = (t[8] - '0') * 10 + (t[9] - '0');
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      (153u * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  return true;
}

std::string date_text(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

size_t fraction_digits(std::string_view t) {
  size_t dot = t.find('.');
  if (dot == std::string_view::npos) return 0;
  size_t n = t.size() - dot - 1;
  if (t.size() >= 3 && t.substr(t.size() - 3) == "...") n -= 3;  // a "sticky" key's text
  return n;
}

// A decimal's text as an integer count of 10^-scale steps (digits beyond the scale dropped).
i128 scaled(std::string_view t, size_t scale) {
  bool negative = !t.empty() && t[0] == '-';
  if (negative) t.remove_prefix(1);
  i128 v = 0;
  size_t dot = t.find('.');
  for (size_t i = 0; i < t.size() && i < dot; ++i) v = v * 10 + (t[i] - '0');
  size_t taken = 0;
  if (dot != std::string_view::npos)
    for (size_t i = dot + 1; i < t.size() && taken < scale && t[i] >= '0' && t[i] <= '9'; ++i) {
      v = v * 10 + (t[i] - '0');
      ++taken;
    }
  for (; taken < scale; ++taken) v *= 10;
  return negative ? -v : v;
}

std::string scaled_text(i128 v, size_t scale) {
  std::string digits = int128_text(v < 0 ? -v : v);
  if (scale > 0) {
    if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, ".");
    while (digits.back() == '0') digits.pop_back();
    if (digits.back() == '.') digits.pop_back();
  }
  return (v < 0 ? "-" : "") + digits;
}

// How one number-like field is drawn: a window of steps, and the range ends to stay near.
struct number_plan {
  i128 lo = 0, hi = 0;     // inclusive window (within min/max)
  std::vector<i128> ends;  // range ends the conditions test
  size_t scale = 0;        // decimals: steps of 10^-scale
};

number_plan plan_numbers(const field_schema& f) {
  number_plan p;
  auto value = [&](const std::string& t) -> i128 {
    if (f.type == field_type::date) {
      int64_t days = 0;
      parse_date(t, days);
      return days;
    }
    return scaled(t, p.scale);
  };
  if (f.type == field_type::decimal) {
    p.scale = 2;
    for (const auto& t : f.compared) p.scale = std::max(p.scale, fraction_digits(t));
    p.scale = std::min<size_t>(p.scale, 6);
  }
  for (const auto& t : f.compared) p.ends.push_back(value(t));
  const bool has_min = !f.min.empty(), has_max = !f.max.empty();
  // Decimals keep 18 digits before the point; integers stay inside int64.
  i128 unit = 1;
  for (size_t i = 0; i < p.scale; ++i) unit *= 10;
  const i128 limit = f.type == field_type::decimal ? unit * static_cast<i128>(100000000000000000)
                     : f.type == field_type::date  ? 2932896  // 9999-12-31
                                                   : std::numeric_limits<int64_t>::max();
  i128 min = has_min ? value(f.min) : -limit, max = has_max ? value(f.max) : limit;
  if (f.type == field_type::date && !has_min) min = 0;  // 1970-01-01
  if (p.ends.empty()) {
    // Nothing compares this field: values of a plausible size.
    i128 base = has_min ? min : f.type == field_type::date ? 10957 /* 2000-01-01 */ : 0;
    i128 width = f.type == field_type::date ? 3653 : 1000 * unit;
    p.lo = base;
    p.hi = base + width;
  } else {
    i128 first = *std::min_element(p.ends.begin(), p.ends.end());
    i128 last = *std::max_element(p.ends.begin(), p.ends.end());
    i128 margin = std::max<i128>((last - first) / 4, f.type == field_type::date ? 365 : 10 * unit);
    p.lo = first - margin;
    p.hi = last + margin;
  }
  p.lo = std::clamp(p.lo, min, max);
  p.hi = std::clamp(p.hi, min, max);
  if (p.lo > p.hi) std::swap(p.lo, p.hi);
  for (auto& e : p.ends) e = std::clamp(e, min, max);
  if (f.type == field_type::integer) {
    // Hidden by the clamp above only when min/max are absent; keep int64 room for end +- 1.
    p.lo = std::max<i128>(p.lo, std::numeric_limits<int64_t>::min());
    p.hi = std::min<i128>(p.hi, std::numeric_limits<int64_t>::max());
  }
  return p;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Matching ignores Latin case and full-width forms: a matching name may use either.
std::string vary_spelling(const std::string& alias, draws& d) {
  const int style = static_cast<int>(d.below(4));  // as written, upper, lower, full-width
  if (style == 0) return alias;
  std::string out;
  for (char c : alias) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || !(std::isalpha(u) || style == 3)) {
      out.push_back(c);
    } else if (style == 1) {
      out.push_back(static_cast<char>(std::toupper(u)));
    } else if (style == 2) {
      out.push_back(static_cast<char>(std::tolower(u)));
    } else if (u >= 0x21 && u <= 0x7E) {
      append_utf8(out, 0xFF01 + (u - 0x21));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The alias without its last character (a UTF-8 code point), or "" for one character.
std::string cut_short(const std::string& alias) {
  size_t end = alias.size();
  if (end == 0) return {};
  --end;
  while (end > 0 && (static_cast<unsigned char>(alias[end]) & 0xC0) == 0x80) --end;
  return alias.substr(0, end);
}

// Words that make shop names: cities, trades and suffixes of Chinese company names, and a
// few Latin ones.
const std::vector<std::string>& name_words() {
  static const std::vector<std::string> words = {
      "北京", "成都", "昆明",     "西安", "南宁",   "长沙",    "华迅",  "鑫达", "东方", "宏图",
      "新星", "联创", "盛恒",     "通讯", "手机",   "数码",    "电子",  "商行", "卖场", "器材",
      "连锁", "贸易", "有限公司", "店",   "Mobile", "Digital", "Trade", "Co",   "Ltd",  " ",
  };
  return words;
}

std::string plain_name(draws& d, size_t row) {
  std::string s;
  size_t n = 2 + d.below(3);
  for (size_t i = 0; i < n; ++i) s += d.pick(name_words());
  s += std::to_string(row % 997);
  return s;
}

struct string_plan {
  std::vector<std::string> keys;          // listed keys of the lists keyed by this field
  std::unordered_set<std::string> keyed;  // the same, to keep misses off the lists
  size_t next_key = 0;                    // unique fields: keys are used once each
  std::vector<std::string> aliases;       // of the named sets searching this field
  std::vector<std::string> texts;         // compared texts
};

}  // namespace

record_table generate_records(const rule_set& rules, size_t n, const generator_options& o) {
  const rule_set_schema schema = rules.schema();
  const size_t fields = schema.fields.size();
  draws d(o.seed);

  std::vector<number_plan> numbers(fields);
  std::vector<string_plan> strings(fields);
  for (size_t f = 0; f < fields; ++f) {
    const field_schema& fs = schema.fields[f];
    if (fs.type == field_type::integer || fs.type == field_type::decimal ||
        fs.type == field_type::date)
      numbers[f] = plan_numbers(fs);
    if (fs.type == field_type::string) strings[f].texts = fs.compared;
  }
  for (size_t l = 0; l < schema.lists.size(); ++l) {
    string_plan& p = strings[schema.lists[l].key_field];
    for (auto& [key, value] : rules.list_entries(l))
      if (p.keyed.insert(key).second) p.keys.push_back(key);
  }
  for (auto& p : strings)
    if (!p.keys.empty()) std::shuffle(p.keys.begin(), p.keys.end(), d.engine());
  for (const auto& set : schema.named_sets)
    for (const auto& e : set.entries)
      for (const auto& a : e.aliases) strings[set.field].aliases.push_back(a);

  record_table out(fields);
  out.reserve(n, 16 * fields);
  std::string cell;
  for (size_t row = 0; row < n; ++row) {
    out.begin_row();
    for (size_t f = 0; f < fields; ++f) {
      const field_schema& fs = schema.fields[f];
      cell.clear();
      if (!fs.required && d.chance(o.missing)) {
        out.add_cell(cell);
        continue;
      }
      switch (fs.type) {
        case field_type::enumeration:
          cell = d.pick(fs.values);
          break;
        case field_type::boolean:
          cell = d.chance(0.5) ? "true" : "false";
          break;
        case field_type::integer:
        case field_type::decimal:
        case field_type::date: {
          const number_plan& p = numbers[f];
          i128 v;
          if (!p.ends.empty() && d.chance(o.near_range))
            v = std::clamp<i128>(d.pick(p.ends) + static_cast<i128>(d.below(3)) - 1, p.lo, p.hi);
          else
            v = d.between(p.lo, p.hi);
          if (!p.ends.empty()) {
            // The window may not hold every end (clamped to min/max): ends stay valid.
            v = std::clamp(v, std::min(p.lo, *std::min_element(p.ends.begin(), p.ends.end())),
                           std::max(p.hi, *std::max_element(p.ends.begin(), p.ends.end())));
          }
          cell = fs.type == field_type::date ? date_text(static_cast<int64_t>(v))
                                             : scaled_text(v, p.scale);
          break;
        }
        case field_type::string: {
          string_plan& p = strings[f];
          if (!p.keys.empty() && (!fs.unique || p.next_key < p.keys.size()) &&
              d.chance(o.list_hit)) {
            cell = fs.unique ? p.keys[p.next_key++] : d.pick(p.keys);
            break;
          }
          if (!p.aliases.empty()) {
            double roll = d.unit();
            std::string middle;
            if (roll < o.name_hit)
              middle = vary_spelling(d.pick(p.aliases), d);
            else if (roll < o.name_hit + o.near_miss)
              middle = cut_short(d.pick(p.aliases));
            cell = plain_name(d, row);
            cell.insert(d.below(2) ? cell.size() : 0, middle);
          } else if (!p.texts.empty() && !fs.unique && d.chance(o.literal)) {
            cell = d.pick(p.texts);
          } else if (fs.unique) {
            // Unique: the row number makes it so; never a listed key.
            cell = "G" + std::to_string(1000000000ull + row);
            while (p.keyed.count(cell)) cell += "x";
          } else {
            cell = "v" + std::to_string(d.below(1000));
            if (!p.keyed.empty())
              while (p.keyed.count(cell)) cell += "x";
          }
          if (fs.unique && !p.aliases.empty()) cell += "#" + std::to_string(row);
          break;
        }
      }
      out.add_cell(cell);
    }
  }
  return out;
}

// --- the CSV reader ------------------------------------------------------------------------

namespace {

bool valid_utf8(std::string_view s, size_t& bad_at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (len == 0 || i + len > n) {
      bad_at = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) {
        bad_at = i;
        return false;
      }
    i += len;
  }
  return true;
}

// RFC 4180 records: fields split at commas outside quotes, "" inside quotes is a quote,
// records end at LF or CRLF outside quotes.
class csv_cursor {
 public:
  explicit csv_cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  uint64_t line() const { return line_; }
  // Reads one record's cells; false with *error at a quote left open.
  bool next(std::vector<std::string>& cells, std::string& error) {
    cells.clear();
    std::string cell;
    bool quoted = false, was_quoted = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (quoted) {
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            cell.push_back('"');
            ++pos_;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line_;
          cell.push_back(c);
        }
        continue;
      }
      if (c == '"' && cell.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == ',') {
        cells.push_back(std::move(cell));
        cell.clear();
        was_quoted = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        cells.push_back(std::move(cell));
        return true;
      } else {
        cell.push_back(c);
      }
    }
    if (quoted) {
      error = "a quoted cell is not closed before the end of the file";
      return false;
    }
    cells.push_back(std::move(cell));
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
};

}  // namespace

csv_read_result read_csv_records(const rule_set& rules, const std::string& path) {
  csv_read_result r;
  r.records = record_table(rules.field_count());
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.error = "cannot open " + path + ": " + std::strerror(errno);
    return r;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    r.error = "cannot read " + path + ": " + std::strerror(errno);
    return r;
  }
  std::string text = std::move(buffer).str();
  std::string_view view = text;
  if (view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);
  size_t bad_at = 0;
  if (!valid_utf8(view, bad_at)) {
    r.error = path + " is not UTF-8 (byte " + std::to_string(bad_at + 1) +
              "); if it is GB18030, convert it first: iconv -f GB18030 -t UTF-8 " + path +
              " > data-utf8.csv";
    return r;
  }
  csv_cursor cursor(view);
  std::vector<std::string> header, cells;
  std::string error;
  if (cursor.done() || !cursor.next(header, error)) {
    r.error = path + ": " + (error.empty() ? "the file is empty (no header)" : error);
    return r;
  }
  // Column -> field (or npos).
  std::vector<size_t> field_of(header.size(), batch::npos);
  std::vector<bool> present(rules.field_count(), false);
  for (size_t c = 0; c < header.size(); ++c) {
    std::string name = header[c];
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(0, 1);
    for (size_t f = 0; f < rules.field_count(); ++f)
      if (rules.field_name(f) == name) {
        if (present[f]) {
          r.error = path + ": column '" + name + "' appears twice in the header";
          return r;
        }
        field_of[c] = f;
        present[f] = true;
      }
    if (field_of[c] == batch::npos) r.ignored_columns.push_back(name);
  }
  std::string absent;
  for (size_t f = 0; f < rules.field_count(); ++f)
    if (!present[f] && rules.field_required(f))
      absent += (absent.empty() ? "" : ", ") + rules.field_name(f);
  if (!absent.empty()) {
    r.error = path + ": the header lacks the required column(s) " + absent;
    return r;
  }

  batch check(rules);
  std::vector<std::string_view> views(rules.field_count());
  while (!cursor.done()) {
    uint64_t line = cursor.line();
    if (!cursor.next(cells, error)) {
      r.error = path + ":" + std::to_string(line) + ": " + error;
      return r;
    }
    if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
    ++r.rows_in;
    std::string why;
    if (cells.size() != header.size()) {
      why = std::to_string(cells.size()) + " cells where the header has " +
            std::to_string(header.size());
    } else {
      std::fill(views.begin(), views.end(), std::string_view());
      for (size_t c = 0; c < cells.size(); ++c)
        if (field_of[c] != batch::npos) views[field_of[c]] = cells[c];
      check.clear();
      if (check.add_record(views, &why)) {
        r.records.add_row(views);
        continue;
      }
    }
    if (r.rows_rejected++ == 0) r.first_reject = "line " + std::to_string(line) + ": " + why;
  }
  r.ok = true;
  return r;
}

namespace {

void append_csv_cell(std::string& out, std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(cell);
    return;
  }
  out.push_back('"');
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

bool write_csv_records(const rule_set& rules, const record_table& records, const std::string& path,
                       std::string* error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string line;
  for (size_t f = 0; f < rules.field_count(); ++f) {
    if (f) line.push_back(',');
    append_csv_cell(line, rules.field_name(f));
  }
  line.push_back('\n');
  out << line;
  for (size_t r = 0; r < records.rows() && out; ++r) {
    line.clear();
    for (size_t f = 0; f < records.fields(); ++f) {
      if (f) line.push_back(',');
      append_csv_cell(line, records.cell(r, f));
    }
    line.push_back('\n');
    out << line;
  }
  out.flush();
  if (!out) {
    if (error) *error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace chanrules::cli
