// Typed value parsing shared by every stage (see values.h).
#include "common/values.h"

#include <cstdio>
#include <limits>

namespace chanrules::detail {

namespace {
constexpr decimal_key kScale = static_cast<decimal_key>(1000000000000000000LL);  // 1e18

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
}  // namespace

std::optional<int64_t> parse_integer(std::string_view text, bool allow_sign) {
  bool negative = false;
  if (allow_sign && !text.empty() && text[0] == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (!all_digits(text)) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    unsigned d = static_cast<unsigned>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - v);
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<decimal_key> parse_decimal(std::string_view text, bool allow_sign) {
  bool negative = false;
  if (allow_sign && !text.empty() && text[0] == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (!all_digits(whole)) return std::nullopt;
  if (dot != std::string_view::npos && !all_digits(frac)) return std::nullopt;
  // Whole part: up to 18 significant digits keeps whole * 2e18 inside 128 bits with room.
  size_t first = whole.find_first_not_of('0');
  if (first != std::string_view::npos && whole.size() - first > 18) return std::nullopt;
  decimal_key w = 0;
  for (char c : whole) w = w * 10 + (c - '0');
  decimal_key f = 0;
  int sticky = 0;
  for (size_t i = 0; i < frac.size(); ++i) {
    if (i < static_cast<size_t>(decimal_fraction_digits)) {
      f = f * 10 + (frac[i] - '0');
    } else if (frac[i] != '0') {
      sticky = 1;
    }
  }
  for (size_t i = frac.size(); i < static_cast<size_t>(decimal_fraction_digits); ++i) f *= 10;
  decimal_key key = w * kScale * 2 + f * 2 + sticky;
  return negative ? -key : key;
}

decimal_key decimal_from_integer(int64_t v) { return static_cast<decimal_key>(v) * kScale * 2; }

std::string decimal_to_string(decimal_key key) {
  bool negative = key < 0;
  if (negative) key = -key;
  bool sticky = key & 1;
  key >>= 1;
  decimal_key whole = key / kScale;
  decimal_key frac = key % kScale;
  std::string w;
  do {
    w.insert(w.begin(), static_cast<char>('0' + static_cast<int>(whole % 10)));
    whole /= 10;
  } while (whole > 0);
  std::string f(static_cast<size_t>(decimal_fraction_digits), '0');
  for (int i = static_cast<int>(decimal_fraction_digits) - 1; i >= 0; --i) {
    f[static_cast<size_t>(i)] = static_cast<char>('0' + static_cast<int>(frac % 10));
    frac /= 10;
  }
  // With digits beyond the 18th ("sticky"), all 18 are shown before the "...": "5...." would
  // not read as a number.
  if (!sticky)
    while (!f.empty() && f.back() == '0') f.pop_back();
  std::string out = negative ? "-" : "";
  out += w;
  if (!f.empty() || sticky) out += "." + f + (sticky ? "..." : "");
  return out;
}

std::optional<int64_t> parse_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto num = [&](size_t at, size_t n) -> int {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1) return std::nullopt;
  static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int dim = days_in[m - 1] + (m == 2 && leap ? 1 : 0);
  if (d > dim) return std::nullopt;
  // Days from civil (H. Hinnant's algorithm).
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      (153u * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string date_to_string(int64_t z) {
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

std::optional<bool> parse_boolean(std::string_view t) {
  if (t == "true" || t == "1" || t == "Y" || t == "\xe6\x98\xaf") return true;    // 是
  if (t == "false" || t == "0" || t == "N" || t == "\xe5\x90\xa6") return false;  // 否
  return std::nullopt;
}

std::string_view trim_blanks(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  return text.substr(b, e - b);
}

std::string quote_for_message(std::string_view text, size_t max) {
  std::string out = "'";
  size_t points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80 && ++points > max) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "'";
  return out;
}

}  // namespace chanrules::detail
