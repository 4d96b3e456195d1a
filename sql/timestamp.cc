#include "sql/timestamp.h"

namespace uq::sql {
namespace {

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int hour, minute, second;
  int nanos;
  int offset_minutes;  // east of UTC; 0 prints "Z"
};

// Days since 1970-01-01 to a civil date (proleptic Gregorian; Howard Hinnant's algorithm).
void civil_from_days(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in(int month, int64_t year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

void append_digits(std::string* out, int64_t v, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 || n < width);
  while (n > 0) {
    out->push_back(buf[--n]);
  }
}

// Go's RFC3339Nano layout "2006-01-02T15:04:05.999999999Z07:00".
void append_civil(std::string* out, const Civil& c) {
  append_digits(out, c.year, 4);
  out->push_back('-');
  append_digits(out, c.month, 2);
  out->push_back('-');
  append_digits(out, c.day, 2);
  out->push_back('T');
  append_digits(out, c.hour, 2);
  out->push_back(':');
  append_digits(out, c.minute, 2);
  out->push_back(':');
  append_digits(out, c.second, 2);
  if (c.nanos != 0) {
    int nanos = c.nanos;
    int width = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      --width;
    }
    out->push_back('.');
    append_digits(out, nanos, width);
  }
  if (c.offset_minutes == 0) {
    out->push_back('Z');
    return;
  }
  int off = c.offset_minutes;
  out->push_back(off < 0 ? '-' : '+');
  off = off < 0 ? -off : off;
  append_digits(out, off / 60, 2);
  out->push_back(':');
  append_digits(out, off % 60, 2);
}

class TextCursor {
 public:
  explicit TextCursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ == s_.size(); }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool digit_at(size_t i) const {
    return pos_ + i < s_.size() && s_[pos_ + i] >= '0' && s_[pos_ + i] <= '9';
  }
  bool eat(char c) {
    if (!peek(c)) {
      return false;
    }
    ++pos_;
    return true;
  }
  // Exactly `n` digits.
  bool fixed(int n, int* out) {
    int v = 0;
    for (int i = 0; i < n; ++i) {
      if (!digit_at(0)) {
        return false;
      }
      v = v * 10 + (s_[pos_++] - '0');
    }
    *out = v;
    return true;
  }
  // One or two digits (Go's "15" hour field).
  bool one_or_two(int* out) {
    if (!digit_at(0)) {
      return false;
    }
    if (digit_at(1)) {
      return fixed(2, out);
    }
    return fixed(1, out);
  }
  // Optional ".ddd" or ",ddd": any number of digits, truncated to nanoseconds as Go does.
  void fraction(int* nanos) {
    if (!(peek('.') || peek(',')) || !digit_at(1)) {
      return;
    }
    ++pos_;
    int v = 0;
    int n = 0;
    while (digit_at(0)) {
      if (n < 9) {
        v = v * 10 + (s_[pos_] - '0');
        ++n;
      }
      ++pos_;
    }
    for (; n < 9; ++n) {
      v *= 10;
    }
    *nanos = v;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// The Go driver's layouts, tried in order; together they accept: a date, then optionally a
// ' ' or 'T', hour:minute, optionally :second with a fraction, and (only after seconds) ±hh:mm.
bool parse_text(std::string_view s, Civil* c) {
  TextCursor t(s);
  int year = 0;
  if (!t.fixed(4, &year) || !t.eat('-') || !t.fixed(2, &c->month) || !t.eat('-') ||
      !t.fixed(2, &c->day)) {
    return false;
  }
  c->year = year;
  if (c->month < 1 || c->month > 12 || c->day < 1 || c->day > days_in(c->month, c->year)) {
    return false;
  }
  if (t.done()) {
    return true;
  }
  if (!t.eat(' ') && !t.eat('T')) {
    return false;
  }
  if (!t.one_or_two(&c->hour) || c->hour > 23 || !t.eat(':') || !t.fixed(2, &c->minute) ||
      c->minute > 59) {
    return false;
  }
  if (t.done()) {
    return true;
  }
  if (!t.eat(':') || !t.fixed(2, &c->second) || c->second > 59) {
    return false;
  }
  t.fraction(&c->nanos);
  if (t.done()) {
    return true;
  }
  bool negative = t.peek('-');
  if (!t.eat('+') && !t.eat('-')) {
    return false;
  }
  int hh = 0;
  int mm = 0;
  if (!t.fixed(2, &hh) || !t.eat(':') || !t.fixed(2, &mm) || !t.done() || hh > 24 || mm > 60) {
    return false;
  }
  c->offset_minutes = (negative ? -1 : 1) * (hh * 60 + mm);
  return true;
}

}  // namespace

bool append_timestamp_from_unix(std::string* out, int64_t value) {
  int64_t seconds = value;
  int64_t nanos = 0;
  if (value > 1000000000000 || value < -1000000000000) {
    // Milliseconds. Go multiplies by 1e6 in int64 and so wraps for huge values; do the same.
    auto ns = static_cast<int64_t>(static_cast<uint64_t>(value) * 1000000u);
    seconds = ns / 1000000000;
    nanos = ns % 1000000000;
    if (nanos < 0) {
      nanos += 1000000000;
      --seconds;
    }
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c{};
  civil_from_days(days, &c.year, &c.month, &c.day);
  if (c.year < 0 || c.year > 9999) {
    return false;
  }
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem / 60 % 60);
  c.second = static_cast<int>(rem % 60);
  c.nanos = static_cast<int>(nanos);
  append_civil(out, c);
  return true;
}

void append_timestamp_from_text(std::string* out, std::string_view text) {
  if (!text.empty() && text.back() == 'Z') {
    text.remove_suffix(1);
  }
  Civil c{};
  if (!parse_text(text, &c)) {
    out->append("0001-01-01T00:00:00Z");
    return;
  }
  append_civil(out, c);
}

}  // namespace uq::sql
