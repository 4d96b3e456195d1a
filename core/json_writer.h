// core/json_writer.h — a streaming JSON writer that produces Go encoding/json's exact bytes.
//
// Owns: appending JSON tokens to a caller-owned std::string, either compact (json.Marshal) or
// pretty (json.MarshalIndent with prefix "" and a 4-space indent). rqlite clients and tests compare
// response bodies byte for byte, so every rule follows Go: HTML-safe string escaping (<, >, & as
// \u003c \u003e \u0026), U+2028/U+2029 escaped, invalid UTF-8 replaced by \ufffd, floats in
// strconv's shortest round-trip form ('f' unless |x| < 1e-6 or |x| >= 1e21, then 'e' with a
// trimmed exponent), empty containers as [] and {}.
//
// Thread: a writer belongs to one thread at a time; it holds no shared state.
// Guarantees: never allocates beyond growing the output string; the caller is responsible for
// well-formed nesting (checked with UQ_DCHECK). A non-finite double cannot be encoded (Go fails
// the whole Marshal): the writer then records the error (unsupported_value()) and writes `null` so
// the output stays parseable; callers must check and replace the response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace uq::core {

class JsonWriter {
 public:
  // `out` must outlive the writer; tokens are appended to whatever it already holds.
  explicit JsonWriter(std::string* out, bool pretty = false) : out_(out), pretty_(pretty) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // An object key; the next call writes its value.
  void key(std::string_view k);
  // The same for a key already encoded by append_string() (quotes included), for keys written
  // once per row, such as column names.
  void key_encoded(std::string_view quoted);

  void value_string(std::string_view s);
  void value_int(int64_t v);
  void value_uint(uint64_t v);
  void value_double(double v);
  void value_bool(bool v);
  void value_null();
  // A complete, compact JSON value produced elsewhere (re-indented when pretty).
  void raw(std::string_view json);

  // Empty when every value was encodable; else Go's message, e.g. "json: unsupported value: +Inf".
  const std::string& unsupported_value() const { return unsupported_; }
  bool pretty() const { return pretty_; }
  int depth() const { return depth_; }

  // A position to return to: rewind() drops everything written after mark(), so a half-written
  // value (e.g. a result whose rows failed midway) can be replaced. Valid while no container
  // that was open at mark() time has been closed.
  struct Mark {
    size_t size;
    int depth;
    bool has_items;
    bool after_key;
    size_t unsupported_size;
  };
  Mark mark() const;
  void rewind(const Mark& m);

  // Appends the Go encoding of `s` (with quotes) to `out`.
  static void append_string(std::string* out, std::string_view s);
  // The same after `prefix` (nothing when '\0'): a separator written with the string.
  static void append_string_after(std::string* out, char prefix, std::string_view s);
  // Appends Go's float64 encoding; false (nothing written) for NaN/±Inf.
  static bool append_double(std::string* out, double v);

  static constexpr int kMaxDepth = 64;

 private:
  void open(char c);
  void close(char c);
  // Separator and indentation before a value or key.
  void before_value();
  // The same, except that in compact mode the separator (',' or '\0' for none) is returned for
  // the caller to write together with its token.
  char separator();
  void newline_indent(int depth);

  std::string* out_;
  bool pretty_;
  bool after_key_ = false;
  int depth_ = 0;
  // has_items_[d] = container at depth d already holds at least one element.
  bool has_items_[kMaxDepth + 1] = {};
  std::string unsupported_;
};

}  // namespace uq::core
