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
size_t next_special(const unsigned char* p, size_t i, size_t n) {
#if defined(__SSE2__)
  const __m128i kSpace = _mm_set1_epi8(0x20);
  const __m128i kQuote = _mm_set1_epi8('"');
  const __m128i kBackslash = _mm_set1_epi8('\\');
  const __m128i kLt = _mm_set1_epi8('<');
  const __m128i kGt = _mm_set1_epi8('>');
  const __m128i kAmp = _mm_set1_epi8('&');
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i special = _mm_or_si128(
        _mm_or_si128(_mm_cmplt_epi8(v, kSpace), _mm_cmpeq_epi8(v, kQuote)),
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, kBackslash), _mm_cmpeq_epi8(v, kLt)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, kGt), _mm_cmpeq_epi8(v, kAmp))));
    int mask = _mm_movemask_epi8(special);
    if (mask != 0) {
      return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  while (i < n && p[i] < 0x80 && kSafe.safe[p[i]]) {
    ++i;
  }
  return i;
}

void append_ascii_escape(std::string* out, unsigned char b) {
  switch (b) {
    case '\\':
    case '"':
      out->push_back('\\');
      out->push_back(static_cast<char>(b));
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default: {
      char esc[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
      out->append(esc, sizeof(esc));
      return;
    }
  }
}

}  // namespace

void JsonWriter::append_string(std::string* out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  out->reserve(out->size() + n + 2);
  out->push_back('"');
  size_t start = 0;
  size_t i = 0;
  while (i < n) {
    i = next_special(p, i, n);
    if (i == n) {
      break;
    }
    unsigned char b = p[i];
    if (b < 0x80) {
      if (kSafe.safe[b]) {
        ++i;
        continue;
      }
      out->append(s.data() + start, i - start);
      append_ascii_escape(out, b);
      start = ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t len = utf8_sequence_length(p + i, n - i, &rune);
    if (len == 0) {
      out->append(s.data() + start, i - start);
      out->append("\\ufffd");
      start = ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      out->append(s.data() + start, i - start);
      out->append(rune == 0x2028 ? "\\u2028" : "\\u2029");
      i += len;
      start = i;
      continue;
    }
    i += len;
  }
  out->append(s.data() + start, n - start);
  out->push_back('"');
}

bool JsonWriter::append_double(std::string* out, double v) {
  if (!std::isfinite(v)) {
    return false;
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
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) {
    return;
  }
  if (has_items_[depth_]) {
    out_->push_back(',');
  }
  has_items_[depth_] = true;
  if (pretty_) {
    newline_indent(depth_);
  }
}

void JsonWriter::open(char c) {
  before_value();
  UQ_CHECK(depth_ < kMaxDepth, "JSON nesting deeper than %d", kMaxDepth);
  out_->push_back(c);
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
  before_value();
  append_string(out_, k);
  if (pretty_) {
    out_->append(": ", 2);
  } else {
    out_->push_back(':');
  }
  after_key_ = true;
}

void JsonWriter::value_string(std::string_view s) {
  before_value();
  append_string(out_, s);
}

void JsonWriter::value_int(int64_t v) {
  before_value();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out_->append(buf, static_cast<size_t>(res.ptr - buf));
}

void JsonWriter::value_uint(uint64_t v) {
  before_value();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
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
