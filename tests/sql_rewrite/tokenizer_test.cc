// Table tests for the SQLite-compatible tokenizer.
#include "sql/rewrite/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uq::sql::rewrite {
namespace {

// Renders the tokens as "kind:text" separated by '|', blanks omitted, for compact expectations.
std::string render(std::string_view sql) {
  std::string out;
  Tokenizer tokenizer(sql);
  size_t offset = 0;
  while (!tokenizer.done()) {
    Token token = tokenizer.next();
    EXPECT_EQ(token.offset, offset);
    offset += token.text.size();
    if (token.kind == TokenKind::kSpace) {
      continue;
    }
    static const char* kNames[] = {"sp", "c", "w", "q", "s", "b", "n", "v", "p", "ILLEGAL"};
    if (!out.empty()) {
      out += '|';
    }
    out += kNames[static_cast<int>(token.kind)];
    out += ':';
    out += token.text;
  }
  EXPECT_EQ(offset, sql.size());
  return out;
}

struct Case {
  const char* sql;
  const char* tokens;
};

TEST(Tokenizer, SplitsLikeSqlite) {
  const Case cases[] = {
      {"SELECT a,b FROM t;", "w:SELECT|w:a|p:,|w:b|w:FROM|w:t|p:;"},
      {"'it''s' \"q\"\"x\" [a b] `c``d`", "s:'it''s'|q:\"q\"\"x\"|q:[a b]|q:`c``d`"},
      {"x'0aFF' X'' x'abc'", "b:x'0aFF'|b:X''|ILLEGAL:x'abc'"},
      {"1 1.5 .5 1e10 1E+3 0x1F 1.", "n:1|n:1.5|n:.5|n:1e10|n:1E+3|n:0x1F|n:1."},
      {"12abc 1e", "ILLEGAL:12abc|ILLEGAL:1e"},
      {"? ?12 :name @v $a::b(c) #x", "v:?|v:?12|v::name|v:@v|v:$a::b(c)|v:#x"},
      {"a--c\nb /* x */ c /* open", "w:a|c:--c|w:b|c:/* x */|w:c|c:/* open"},
      {"a<=b<>c!=d==e||f->g->>h<<i>>j",
       "w:a|p:<=|w:b|p:<>|w:c|p:!=|w:d|p:==|w:e|p:|||w:f|p:->|w:g|p:->>|w:h|p:<<|w:i|p:>>|w:j"},
      {"'open", "ILLEGAL:'open"},
      {"[open", "ILLEGAL:[open"},
      {"a!b", "w:a|ILLEGAL:!|w:b"},
      {"t.c", "w:t|p:.|w:c"},
      {"_a$1 \xc3\xa9t\xc3\xa9", "w:_a$1|w:\xc3\xa9t\xc3\xa9"},
      {":", "ILLEGAL::"},
      {"$a(b", "ILLEGAL:$a(b"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(render(c.sql), c.tokens) << c.sql;
  }
}

TEST(Tokenizer, NulByteIsIllegalAndScanningStops) {
  std::string sql("a\0b", 3);
  EXPECT_EQ(render(sql), "w:a|ILLEGAL:" + std::string(1, '\0') + "|w:b");
}

TEST(Tokenizer, EqualsLowerIgnoresAsciiCase) {
  EXPECT_TRUE(equals_lower("SeLeCt", "select"));
  EXPECT_FALSE(equals_lower("selec", "select"));
  EXPECT_FALSE(equals_lower("selecT1", "select"));
}

}  // namespace
}  // namespace uq::sql::rewrite
