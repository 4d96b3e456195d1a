#include "core/duration.h"

#include <cstdint>
#include <limits>

namespace uq {

namespace {

struct Unit {
  std::string_view name;
  uint64_t ns;
};

// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000},  // U+00B5 micro sign
    {"\xce\xbcs", 1000},  // U+03BC Greek mu
    {"ms", 1000000},
    {"s", 1000000000ULL},
    {"m", 60ULL * 1000000000ULL},
    {"h", 3600ULL * 1000000000ULL},
};

Status invalid(std::string_view text) {
  return error(Code::kInvalidArgument, "time: invalid duration \"" + std::string(text) + "\"");
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") {
    return std::chrono::nanoseconds(0);
  }
  if (rest.empty()) {
    return invalid(text);
  }
  // Go accumulates in uint64 nanoseconds and rejects overflow of int64.
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t total = 0;
  while (!rest.empty()) {
    uint64_t whole = 0;
    size_t digits = 0;
    while (digits < rest.size() && is_digit(rest[digits])) {
      if (whole > (kMax - 9) / 10) {
        return invalid(text);
      }
      whole = whole * 10 + static_cast<uint64_t>(rest[digits] - '0');
      ++digits;
    }
    rest.remove_prefix(digits);
    uint64_t fraction = 0;
    uint64_t scale = 1;
    size_t fraction_digits = 0;
    if (!rest.empty() && rest[0] == '.') {
      rest.remove_prefix(1);
      while (fraction_digits < rest.size() && is_digit(rest[fraction_digits])) {
        if (scale < 1000000000000000000ULL) {  // extra digits beyond 1e18 cannot matter
          fraction = fraction * 10 + static_cast<uint64_t>(rest[fraction_digits] - '0');
          scale *= 10;
        }
        ++fraction_digits;
      }
      rest.remove_prefix(fraction_digits);
    }
    if (digits == 0 && fraction_digits == 0) {
      return invalid(text);
    }
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (rest.starts_with(candidate.name) &&
          (unit == nullptr || candidate.name.size() > unit->name.size())) {
        unit = &candidate;
      }
    }
    if (unit == nullptr) {
      return invalid(text);
    }
    rest.remove_prefix(unit->name.size());
    if (whole > kMax / unit->ns) {
      return invalid(text);
    }
    uint64_t value = whole * unit->ns;
    if (fraction > 0) {
      value += static_cast<uint64_t>(static_cast<long double>(fraction) * unit->ns / scale);
    }
    if (value > kMax - total) {
      return invalid(text);
    }
    total += value;
  }
  int64_t signed_total = static_cast<int64_t>(total);
  return std::chrono::nanoseconds(negative ? -signed_total : signed_total);
}

namespace {

// Writes v / 10^precision with trailing zeros of the fraction removed, like Go's fmtFrac+fmtInt.
void append_fraction(std::string* out, uint64_t value, int precision) {
  std::string digits;
  bool printed = false;
  for (int i = 0; i < precision; ++i) {
    uint64_t digit = value % 10;
    printed = printed || digit != 0;
    if (printed) {
      digits.insert(digits.begin(), static_cast<char>('0' + digit));
    }
    value /= 10;
  }
  if (printed) {
    digits.insert(digits.begin(), '.');
  }
  *out += std::to_string(value);
  *out += digits;
}

}  // namespace

std::string format_duration(std::chrono::nanoseconds duration) {
  int64_t ns = duration.count();
  if (ns == 0) {
    return "0s";
  }
  bool negative = ns < 0;
  uint64_t u = negative ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  std::string out;
  if (u < 1000000000ULL) {
    // Sub-second: the largest unit that keeps a non-zero integer part.
    if (u < 1000) {
      out = std::to_string(u) + "ns";
    } else if (u < 1000000) {
      append_fraction(&out, u, 3);
      out += "\xc2\xb5s";
    } else {
      append_fraction(&out, u, 6);
      out += "ms";
    }
  } else {
    uint64_t seconds_ns = u % 60000000000ULL;
    uint64_t minutes = u / 60000000000ULL;
    std::string seconds;
    append_fraction(&seconds, seconds_ns, 9);
    if (minutes >= 60) {
      out = std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m";
    } else if (minutes > 0) {
      out = std::to_string(minutes) + "m";
    }
    out += seconds + "s";
  }
  return negative ? "-" + out : out;
}

}  // namespace uq
