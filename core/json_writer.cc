#include "core/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/check.h"

namespace uq::core {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// kSafe[b] = ASCII byte b is copied verbatim inside a Go JSON string (HTML-safe set).
struct SafeTable {
  bool safe[256];
  constexpr SafeTable() : safe() {
    for (int b = 0x20; b < 0x80; ++b) {
      safe[b] = true;
    }
    safe[static_cast<unsigned char>('"')] = false;
    safe[static_cast<unsigned char>('\\')] = false;
    safe[static_cast<unsigned char>('<')] = false;
    safe[static_cast<unsigned char>('>')] = false;
    safe[static_cast<unsigned char>('&')] = false;
  }
};
constexpr SafeTable kSafe;

// Length of the valid UTF-8 sequence at s[0..n) as Go's utf8.DecodeRune accepts it (no overlongs,
// no surrogates, nothing above U+10FFFF); 0 if invalid. Sets *rune for the U+2028/2029 check.
size_t utf8_sequence_length(const unsigned char* s, size_t n, uint32_t* rune) {
  unsigned char c = s[0];
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
    return i < n && s[i] >= lo && s[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) {
    if (!cont(1, 0x80, 0xBF)) {
      return 0;
    }
    *rune = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF)) {
      return 0;
    }
    *rune = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF) || !cont(3, 0x80, 0xBF)) {
      return 0;
    }
    *rune = 0x10000;  // never U+2028/2029
    return 4;
  }
  return 0;
}

// Index of the first byte at or after `i` that is not copied verbatim (control, quote, backslash,
// <, >, & or non-ASCII), or n. Sixteen bytes per step where SSE2 is available: one signed compare
// catches both control bytes and bytes >= 0x80.
#if defined(__SSE2__)
// Bit k set = byte k of v is not copied verbatim (control, quote, backslash, <, >, & or >= 0x80:
// one signed compare catches both control bytes and bytes >= 0x80).
unsigned special_mask(__m128i v) {
  const __m128i kSpace = _mm_set1_epi8(0x20);
  const __m128i kQuote = _mm_set1_epi8('"');
  const __m128i kBackslash = _mm_set1_epi8('\\');
  const __m128i kLt = _mm_set1_epi8('<');
  const __m128i kGt = _mm_set1_epi8('>');
  const __m128i kAmp = _mm_set1_epi8('&');
  __m128i special =
      _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, kSpace), _mm_cmpeq_epi8(v, kQuote)),
                   _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, kBackslash), _mm_cmpeq_epi8(v, kLt)),
                                _mm_or_si128(_mm_cmpeq_epi8(v, kGt), _mm_cmpeq_epi8(v, kAmp))));
  return static_cast<unsigned>(_mm_movemask_epi8(special));
}
#endif

// Index of the first byte at or after `i` that is not copied verbatim, or n. Sixteen bytes per
// compare; the last 4-15 bytes as two overlapping halves (8+8 or 4+4 bytes, loaded exactly: no
// read past n and no store to forward), the last 1-3 one at a time.
size_t next_special(const unsigned char* p, size_t i, size_t n) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    unsigned mask = special_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
    if (mask != 0) {
      return i + static_cast<size_t>(__builtin_ctz(mask));
    }
  }
  size_t rest = n - i;
  if (rest >= 4) {
    // Lanes 0-7 (or 0-3) hold bytes from i, lanes 8-15 (or 4-7) the bytes ending at n. If none of
    // the first half is special, the first special byte is in the second half, whose lanes map
    // to n - half + lane.
    size_t half = rest >= 8 ? 8 : 4;
    __m128i v;
    if (half == 8) {
      v = _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + i)),
                             _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + n - 8)));
    } else {
      uint32_t lo = 0;
      uint32_t hi = 0;
      std::memcpy(&lo, p + i, 4);
      std::memcpy(&hi, p + n - 4, 4);
      v = _mm_set_epi32(0x20202020, 0x20202020, static_cast<int>(hi), static_cast<int>(lo));
    }
    unsigned mask = special_mask(v);
    unsigned first = mask & ((1u << half) - 1);
    if (first != 0) {
      return i + static_cast<size_t>(__builtin_ctz(first));
    }
    unsigned second = (mask >> half) & ((1u << half) - 1);
    return second != 0 ? n - half + static_cast<size_t>(__builtin_ctz(second)) : n;
  }
#endif
  while (i < n && p[i] < 0x80 && kSafe.safe[p[i]]) {
    ++i;
  }
  return i;
}

// Longest output for one input byte: "\u003c" for one ASCII byte, "\ufffd" for one invalid byte,
// and no more than six for the 2-4 bytes of a valid sequence.
constexpr size_t kEscapedMax = 6;

// Writes what Go writes for the byte(s) at p[i] that next_special() stopped at (an escape, or a
// valid UTF-8 sequence verbatim) to dst, at most kEscapedMax bytes; returns how many, and sets
// *consumed to how many input bytes that covers.
size_t write_special(const unsigned char* p, size_t i, size_t n, char* dst, size_t* consumed) {
  unsigned char b = p[i];
  if (b < 0x80) {
    *consumed = 1;
    if (kSafe.safe[b]) {
      dst[0] = static_cast<char>(b);
      return 1;
    }
    switch (b) {
      case '\\':
      case '"':
        dst[0] = '\\';
        dst[1] = static_cast<char>(b);
        return 2;
      case '\b':
        std::memcpy(dst, "\\b", 2);
        return 2;
      case '\f':
        std::memcpy(dst, "\\f", 2);
        return 2;
      case '\n':
        std::memcpy(dst, "\\n", 2);
        return 2;
      case '\r':
        std::memcpy(dst, "\\r", 2);
        return 2;
      case '\t':
        std::memcpy(dst, "\\t", 2);
        return 2;
      default: {  // other control bytes, <, > and &
        char esc[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
        std::memcpy(dst, esc, sizeof(esc));
        return 6;
      }
    }
  }
  uint32_t rune = 0;
  size_t len = utf8_sequence_length(p + i, n - i, &rune);
  if (len == 0) {
    *consumed = 1;
    std::memcpy(dst, "\\ufffd", 6);
    return 6;
  }
  *consumed = len;
  if (rune == 0x2028 || rune == 0x2029) {
    std::memcpy(dst, rune == 0x2028 ? "\\u2028" : "\\u2029", 6);
    return 6;
  }
  std::memcpy(dst, p + i, len);
  return len;
}

}  // namespace

void JsonWriter::append_string(std::string* out, std::string_view s) {
  append_string_after(out, '\0', s);
}

void JsonWriter::append_string_after(std::string* out, char prefix, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  // A short string (the usual cell) is escaped into a stack buffer and appended once: the
  // std::string calls per run and per escape cost more than the copying.
  constexpr size_t kShortMax = 128;
  if (n <= kShortMax) {
    char buf[kShortMax * kEscapedMax + 3];
    size_t len = 0;
    if (prefix != '\0') {
      buf[len++] = prefix;
    }
    buf[len++] = '"';
    size_t i = 0;
    for (;;) {
      size_t j = next_special(p, i, n);
      std::memcpy(buf + len, p + i, j - i);
      len += j - i;
      if (j == n) {
        break;
      }
      size_t consumed = 0;
      len += write_special(p, j, n, buf + len, &consumed);
      i = j + consumed;
    }
    buf[len++] = '"';
    out->append(buf, len);
    return;
  }
  out->reserve(out->size() + n + 3);
  if (prefix != '\0') {
    out->push_back(prefix);
  }
  out->push_back('"');
  size_t i = 0;
  for (;;) {
    size_t j = next_special(p, i, n);
    out->append(s.data() + i, j - i);
    if (j == n) {
      break;
    }
    char escaped[kEscapedMax];
    size_t consumed = 0;
    out->append(escaped, write_special(p, j, n, escaped, &consumed));
    i = j + consumed;
  }
  out->push_back('"');
}

namespace {

constexpr double kPowersOfTen[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
constexpr int kShortDecimalsMax = 7;
constexpr double kExactIntegerMax = 9007199254740992.0;  // 2^53

// Go's shortest 'f' form for doubles with at most seven decimals (prices, scores, counters), which
// std::to_chars takes hundreds of instructions for. For k = 0, 1, ... the integer m nearest to
// |v|·10^k is a candidate: m < 2^53 and 10^k are exact, so m / 10^k is one correctly rounded
// division, the very double that parsing "m·10^-k" gives. The first k where m (and neither
// neighbour) maps back to |v| is the shortest round-trip form, the one Go and to_chars print.
// False (nothing written) when there is no such k or two candidates tie: to_chars decides.
bool append_short_double(std::string* out, double v) {
  double a = std::fabs(v);
  if (a != 0 && a < 1e-6) {
    return false;  // Go's exponent form
  }
  for (int k = 0; k <= kShortDecimalsMax; ++k) {
    double p = kPowersOfTen[k];
    double scaled = a * p;
    if (scaled >= kExactIntegerMax - 1) {
      return false;
    }
    double m = std::nearbyint(scaled);
    if (m / p != a) {
      continue;
    }
    if ((m > 0 && (m - 1) / p == a) || (m + 1) / p == a) {
      return false;
    }
    auto digits_value = static_cast<uint64_t>(m);
    if (k > 0 && digits_value % 10 == 0) {
      return false;  // a shorter k would have matched: never expected, to_chars decides
    }
    char digits[24];
    auto res = std::to_chars(digits, digits + sizeof(digits), digits_value);
    auto n = static_cast<int>(res.ptr - digits);
    char buf[40];
    int len = 0;
    if (std::signbit(v)) {
      buf[len++] = '-';
    }
    if (n <= k) {  // 0.00ddd
      buf[len++] = '0';
      buf[len++] = '.';
      for (int z = n; z < k; ++z) {
        buf[len++] = '0';
      }
      std::memcpy(buf + len, digits, static_cast<size_t>(n));
      len += n;
    } else {
      std::memcpy(buf + len, digits, static_cast<size_t>(n - k));
      len += n - k;
      if (k > 0) {
        buf[len++] = '.';
        std::memcpy(buf + len, digits + n - k, static_cast<size_t>(k));
        len += k;
      }
    }
    out->append(buf, static_cast<size_t>(len));
    return true;
  }
  return false;
}

}  // namespace

bool JsonWriter::append_double(std::string* out, double v) {
  if (!std::isfinite(v)) {
    return false;
  }
  if (append_short_double(out, v)) {
    return true;
  }
  char buf[128];
  double abs = std::fabs(v);
  bool exp_form = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  auto res = std::to_chars(buf, buf + sizeof(buf), v,
                           exp_form ? std::chars_format::scientific : std::chars_format::fixed);
  UQ_CHECK(res.ec == std::errc(), "to_chars failed for a finite double");
  size_t len = static_cast<size_t>(res.ptr - buf);
  // Go trims "e-07" to "e-7" (only a single leading zero of a negative exponent).
  if (exp_form && len >= 4 && buf[len - 4] == 'e' && buf[len - 3] == '-' && buf[len - 2] == '0') {
    buf[len - 2] = buf[len - 1];
    --len;
  }
  out->append(buf, len);
  return true;
}

void JsonWriter::newline_indent(int depth) {
  out_->push_back('\n');
  out_->append(static_cast<size_t>(depth) * 4, ' ');
}

void JsonWriter::before_value() {
  char sep = separator();
  if (sep != '\0') {
    out_->push_back(sep);
  }
}

char JsonWriter::separator() {
  if (after_key_) {
    after_key_ = false;
    return '\0';
  }
  if (depth_ == 0) {
    return '\0';
  }
  bool comma = has_items_[depth_];
  has_items_[depth_] = true;
  if (pretty_) {
    if (comma) {
      out_->push_back(',');
    }
    newline_indent(depth_);
    return '\0';
  }
  return comma ? ',' : '\0';
}

void JsonWriter::open(char c) {
  char token[2] = {separator(), c};
  UQ_CHECK(depth_ < kMaxDepth, "JSON nesting deeper than %d", kMaxDepth);
  if (token[0] != '\0') {
    out_->append(token, 2);
  } else {
    out_->push_back(c);
  }
  ++depth_;
  has_items_[depth_] = false;
}

void JsonWriter::close(char c) {
  UQ_DCHECK(depth_ > 0 && !after_key_, "unbalanced JSON close");
  if (pretty_ && has_items_[depth_]) {
    newline_indent(depth_ - 1);
  }
  out_->push_back(c);
  --depth_;
}

void JsonWriter::key(std::string_view k) {
  UQ_DCHECK(!after_key_, "two keys in a row");
  append_string_after(out_, separator(), k);
  if (pretty_) {
    out_->append(": ", 2);
  } else {
    out_->push_back(':');
  }
  after_key_ = true;
}

void JsonWriter::key_encoded(std::string_view quoted) {
  UQ_DCHECK(!after_key_, "two keys in a row");
  char sep = separator();
  if (pretty_) {
    out_->append(quoted);
    out_->append(": ", 2);
  } else {
    // Separator, key and colon in one append for the usual short key.
    char buf[128];
    if (quoted.size() + 2 <= sizeof(buf)) {
      size_t len = 0;
      if (sep != '\0') {
        buf[len++] = sep;
      }
      std::memcpy(buf + len, quoted.data(), quoted.size());
      len += quoted.size();
      buf[len++] = ':';
      out_->append(buf, len);
    } else {
      if (sep != '\0') {
        out_->push_back(sep);
      }
      out_->append(quoted);
      out_->push_back(':');
    }
  }
  after_key_ = true;
}

void JsonWriter::value_string(std::string_view s) {
  append_string_after(out_, separator(), s);
}

void JsonWriter::value_int(int64_t v) {
  char buf[24];
  char* p = buf;
  char sep = separator();
  if (sep != '\0') {
    *p++ = sep;
  }
  auto res = std::to_chars(p, buf + sizeof(buf), v);
  out_->append(buf, static_cast<size_t>(res.ptr - buf));
}

void JsonWriter::value_uint(uint64_t v) {
  char buf[24];
  char* p = buf;
  char sep = separator();
  if (sep != '\0') {
    *p++ = sep;
  }
  auto res = std::to_chars(p, buf + sizeof(buf), v);
  out_->append(buf, static_cast<size_t>(res.ptr - buf));
}

void JsonWriter::value_double(double v) {
  before_value();
  if (append_double(out_, v)) {
    return;
  }
  if (unsupported_.empty()) {
    unsupported_ = std::isnan(v) ? "json: unsupported value: NaN"
                   : v > 0       ? "json: unsupported value: +Inf"
                                 : "json: unsupported value: -Inf";
  }
  out_->append("null");
}

void JsonWriter::value_bool(bool v) {
  before_value();
  out_->append(v ? "true" : "false");
}

void JsonWriter::value_null() {
  before_value();
  out_->append("null");
}

void JsonWriter::raw(std::string_view json) {
  before_value();
  if (!pretty_) {
    out_->append(json);
    return;
  }
  // Re-indent a compact fragment the way Go's json.Indent does, starting at our depth.
  int depth = depth_;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out_->push_back(c);
      if (c == '\\' && i + 1 < json.size()) {
        out_->push_back(json[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out_->push_back(c);
        break;
      case '{':
      case '[': {
        out_->push_back(c);
        char closer = c == '{' ? '}' : ']';
        if (i + 1 < json.size() && json[i + 1] == closer) {
          out_->push_back(closer);
          ++i;
        } else {
          ++depth;
          newline_indent(depth);
        }
        break;
      }
      case '}':
      case ']':
        --depth;
        newline_indent(depth);
        out_->push_back(c);
        break;
      case ',':
        out_->push_back(',');
        newline_indent(depth);
        break;
      case ':':
        out_->append(": ", 2);
        break;
      default:
        out_->push_back(c);
        break;
    }
  }
}

JsonWriter::Mark JsonWriter::mark() const {
  return Mark{out_->size(), depth_, has_items_[depth_], after_key_, unsupported_.size()};
}

void JsonWriter::rewind(const Mark& m) {
  UQ_CHECK(m.size <= out_->size() && m.depth <= depth_, "JsonWriter::rewind past a closed mark");
  out_->resize(m.size);
  depth_ = m.depth;
  has_items_[depth_] = m.has_items;
  after_key_ = m.after_key;
  unsupported_.resize(m.unsupported_size);
}

}  // namespace uq::core
