// Reading typed values from text, exactly as the export contract says.
//
// One implementation serves CSV cells, test records, `min`/`max` in field declarations and
// literals in conditions, so that "500" means the same thing everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chanrules::detail {

// Decimals are compared exactly as written: a decimal is kept as a 128-bit key
//   sign * (whole * 2e18 + fraction_18_digits * 2 + sticky)
// where `sticky` is 1 when digits beyond the 18th fractional digit are not all zero. Keys
// order exactly like the numbers they stand for, so 4.9999999999999999 < 5 and
// 5.0000000000000000000001 > 5.
__extension__ typedef __int128
    decimal_key;  // __extension__: GCC and Clang have it; ISO C++ does not
inline constexpr int64_t decimal_fraction_digits = 18;

std::optional<int64_t> parse_integer(std::string_view text, bool allow_sign = true);
std::optional<decimal_key> parse_decimal(std::string_view text, bool allow_sign = true);
decimal_key decimal_from_integer(int64_t v);
std::string decimal_to_string(decimal_key key);
// Days since 1970-01-01 for a valid YYYY-MM-DD date.
std::optional<int64_t> parse_date(std::string_view text);
std::string date_to_string(int64_t days);
// true false 1 0 是 否 Y N
std::optional<bool> parse_boolean(std::string_view text);

// Spaces and tabs around a cell are not part of the value.
std::string_view trim_blanks(std::string_view text);

// Printable form of a possibly hostile string for messages: at most `max` code points,
// control characters escaped.
std::string quote_for_message(std::string_view text, size_t max = 40);

}  // namespace chanrules::detail
