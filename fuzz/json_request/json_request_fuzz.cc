// parse_request() on arbitrary bytes (copied into a padded buffer, as the server's receive buffer
// is), then the Raft-log codec: whatever parses must encode and decode back to the same request,
// and decode_request() on the raw bytes must never crash. The parser views strings in place in its
// own copy of the body and unescapes them there, so two more checks: the request does not change
// when the input buffer is overwritten, and every SQL text, parameter name and text parameter
// equals what simdjson's DOM parser makes of the same string.
#include <cstdint>
#include <cstring>
#include <string>

#include <simdjson.h>

#include "core/check.h"
#include "sql/request.h"

namespace {

using uq::sql::Param;
using uq::sql::Request;
using uq::sql::Value;

// A text parameter must equal the JSON string; one that became a BLOB came from a string of the
// x'..' form, which is checked by the unit tests.
void check_string_param(const Param& param, std::string_view expected) {
  if (param.value.type == Value::Type::kText) {
    UQ_CHECK(param.value.bytes == expected, "text parameter differs from the DOM's string");
  } else {
    UQ_CHECK(param.value.type == Value::Type::kBlob, "string parameter neither text nor blob");
  }
}

// Compares `request` with the DOM's reading of `body`, when the DOM reads it as an array (it may
// not, where garbage follows the top-level value: parse_request() ignores that, the DOM does not).
void check_against_dom(std::string_view body, const Request& request) {
  simdjson::dom::parser dom;
  simdjson::dom::array root;
  simdjson::padded_string copy(body);
  if (dom.parse(copy).get(root) != simdjson::SUCCESS) {
    return;
  }
  size_t i = 0;
  for (simdjson::dom::element element : root) {
    UQ_CHECK(i < request.statements().size(), "fewer statements than the DOM has");
    const uq::sql::Statement& statement = request.statements()[i++];
    std::string_view sql;
    if (element.get_string().get(sql) == simdjson::SUCCESS) {
      UQ_CHECK(statement.sql == sql, "statement text differs from the DOM's string");
      continue;
    }
    simdjson::dom::array items;
    UQ_CHECK(element.get_array().get(items) == simdjson::SUCCESS,
             "a statement the DOM reads as neither string nor array");
    size_t k = 0;
    bool first = true;
    for (simdjson::dom::element item : items) {
      std::string_view s;
      simdjson::dom::object object;
      if (first) {
        first = false;
        UQ_CHECK(item.get_string().get(s) == simdjson::SUCCESS && statement.sql == s,
                 "statement text differs from the DOM's string");
      } else if (item.get_object().get(object) == simdjson::SUCCESS) {
        for (auto [key, value] : object) {
          UQ_CHECK(k < statement.params.size(), "fewer parameters than the DOM has");
          const Param& param = statement.params[k++];
          UQ_CHECK(param.name == key, "parameter name differs from the DOM's key");
          if (value.get_string().get(s) == simdjson::SUCCESS) {
            check_string_param(param, s);
          }
        }
      } else {
        UQ_CHECK(k < statement.params.size(), "fewer parameters than the DOM has");
        const Param& param = statement.params[k++];
        if (item.get_string().get(s) == simdjson::SUCCESS) {
          check_string_param(param, s);
        }
      }
    }
    UQ_CHECK(k == statement.params.size(), "more parameters than the DOM has");
  }
  UQ_CHECK(i == request.statements().size(), "more statements than the DOM has");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (bool allow_empty : {false, true}) {
    std::string padded(reinterpret_cast<const char*>(data), size);
    padded.append(64, '\0');
    auto parsed = uq::sql::parse_request(std::string_view(padded.data(), size), allow_empty);
    if (parsed.is_ok()) {
      std::string encoded = uq::sql::encode_request(*parsed);
      std::fill(padded.begin(), padded.end(), '\xaa');
      UQ_CHECK(uq::sql::encode_request(*parsed) == encoded, "request changed with its input");
      auto decoded = uq::sql::decode_request(encoded);
      UQ_CHECK(decoded.is_ok() && *decoded == *parsed, "codec round trip failed");
      check_against_dom(std::string_view(reinterpret_cast<const char*>(data), size), *parsed);
    } else {
      const std::string& m = parsed.status().message();
      UQ_CHECK(m == "invalid JSON body" || m == "invalid request" || m == "no statements" ||
                   m.rfind("unsupported type ", 0) == 0,
               "unexpected parse error: %s", m.c_str());
    }
  }
  (void)uq::sql::decode_request(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
