// core::JsonWriter against Go encoding/json's bytes.
#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace uq::core {
namespace {

std::string str(std::string_view s) {
  std::string out;
  JsonWriter::append_string(&out, s);
  return out;
}

std::string dbl(double d) {
  std::string out;
  JsonWriter w(&out);
  w.value_double(d);
  return out;
}

TEST(JsonWriter, EscapesStringsAsGo) {
  EXPECT_EQ(str("plain"), "\"plain\"");
  EXPECT_EQ(str("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(str("<a>&"), "\"\\u003ca\\u003e\\u0026\"");
  EXPECT_EQ(str("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(str(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(str("\xe2\x80\xa8 \xe2\x80\xa9"), "\"\\u2028 \\u2029\"");
  EXPECT_EQ(str("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  // Invalid UTF-8: each bad byte becomes \ufffd.
  EXPECT_EQ(str("a\xff"
                "b"),
            "\"a\\ufffdb\"");
  EXPECT_EQ(str("\xc3"), "\"\\ufffd\"");
  EXPECT_EQ(str("\xc0\x80"), "\"\\ufffd\\ufffd\"");                        // overlong
  EXPECT_EQ(str("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");             // surrogate
  EXPECT_EQ(str("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
}

TEST(JsonWriter, LongStringsMatchAByteByByteModel) {
  // Specials at every offset of a 40-byte string exercise the 16-byte scan and its tail.
  const std::string specials[] = {"<", ">", "&", "\"", "\\", "\n", "\x01", "\xc3\xa9", "\xff"};
  const std::string escaped[] = {"\\u003c", "\\u003e", "\\u0026",  "\\\"",   "\\\\",
                                 "\\n",     "\\u0001", "\xc3\xa9", "\\ufffd"};
  for (size_t k = 0; k < std::size(specials); ++k) {
    for (size_t at = 0; at < 40; ++at) {
      std::string in = std::string(at, 'a') + specials[k] + std::string(40 - at, 'b');
      std::string want =
          "\"" + std::string(at, 'a') + escaped[k] + std::string(40 - at, 'b') + "\"";
      EXPECT_EQ(str(in), want) << k << " at " << at;
    }
  }
}

TEST(JsonWriter, FormatsFloatsAsGo) {
  EXPECT_EQ(dbl(20.0), "20");
  EXPECT_EQ(dbl(1.5), "1.5");
  EXPECT_EQ(dbl(-0.25), "-0.25");
  EXPECT_EQ(dbl(0), "0");
  EXPECT_EQ(dbl(1e-7), "1e-7");
  EXPECT_EQ(dbl(1e-6), "0.000001");
  EXPECT_EQ(dbl(8.5e-7), "8.5e-7");
  EXPECT_EQ(dbl(1e21), "1e+21");
  EXPECT_EQ(dbl(1e20), "100000000000000000000");
  EXPECT_EQ(dbl(123456789.125), "123456789.125");
  EXPECT_EQ(dbl(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(dbl(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(dbl(5e-324), "5e-324");
  EXPECT_EQ(dbl(1.234e-10), "1.234e-10");
  EXPECT_EQ(dbl(0.000044645), "0.000044645");
}

TEST(JsonWriter, NonFiniteValuesAreReportedLikeGo) {
  std::string out;
  JsonWriter w(&out);
  w.begin_array();
  w.value_double(1);
  w.value_double(std::numeric_limits<double>::infinity());
  w.value_double(-std::numeric_limits<double>::infinity());
  w.end_array();
  EXPECT_EQ(w.unsupported_value(), "json: unsupported value: +Inf");
  std::string out2;
  JsonWriter w2(&out2);
  w2.value_double(std::nan(""));
  EXPECT_EQ(w2.unsupported_value(), "json: unsupported value: NaN");
}

TEST(JsonWriter, CompactAndPrettyStructures) {
  auto build = [](JsonWriter* w) {
    w->begin_object();
    w->key("a");
    w->begin_array();
    w->end_array();
    w->key("b");
    w->begin_object();
    w->end_object();
    w->key("c");
    w->begin_array();
    w->value_int(-1);
    w->value_bool(true);
    w->value_null();
    w->value_string("x");
    w->end_array();
    w->key("d");
    w->raw(R"({"k":[1,{}],"s":"a,b:[c]"})");
    w->end_object();
  };
  std::string compact;
  JsonWriter c(&compact);
  build(&c);
  EXPECT_EQ(compact, R"({"a":[],"b":{},"c":[-1,true,null,"x"],"d":{"k":[1,{}],"s":"a,b:[c]"}})");
  std::string pretty;
  JsonWriter p(&pretty, true);
  build(&p);
  EXPECT_EQ(pretty,
            "{\n    \"a\": [],\n    \"b\": {},\n    \"c\": [\n        -1,\n        true,\n        "
            "null,\n        \"x\"\n    ],\n    \"d\": {\n        \"k\": [\n            1,\n       "
            "     {}\n        ],\n        \"s\": \"a,b:[c]\"\n    }\n}");
}

TEST(JsonWriter, RewindDropsAHalfWrittenValue) {
  std::string out;
  JsonWriter w(&out);
  w.begin_array();
  w.value_int(1);
  JsonWriter::Mark m = w.mark();
  w.begin_object();
  w.key("x");
  w.value_double(std::numeric_limits<double>::infinity());
  w.rewind(m);
  EXPECT_TRUE(w.unsupported_value().empty());
  w.value_int(2);
  w.end_array();
  EXPECT_EQ(out, "[1,2]");
}

}  // namespace
}  // namespace uq::core
