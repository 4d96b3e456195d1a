// Fuzz target for sql/rewrite: arbitrary bytes must never crash inspect(), rewrite() or preview(),
// and whatever rewrite() produces must tokenize cleanly, parse again, keep the RETURNING and
// disallowed-PRAGMA findings, and be a fixed point (rewriting it again changes no token).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "sql/rewrite/rewrite.h"
#include "sql/rewrite/tokenizer.h"

namespace {

using namespace uq::sql::rewrite;

constexpr double kNow = 2461077.945987;

uint64_t counting_random(void* ctx) {
  uint64_t* counter = static_cast<uint64_t*>(ctx);
  *counter = *counter * 6364136223846793005u + 1442695040888963407u;
  return *counter;
}

void check_tokenizes(std::string_view sql) {
  Tokenizer tokenizer(sql);
  while (!tokenizer.done()) {
    Token token = tokenizer.next();
    UQ_CHECK(token.kind != TokenKind::kIllegal, "illegal token in rewritten SQL: %s",
             std::string(sql).c_str());
  }
}

// The significant tokens' texts joined by single spaces: equal for texts that differ only in
// blanks and comments.
std::string token_texts(std::string_view sql) {
  std::string texts;
  Tokenizer tokenizer(sql);
  while (!tokenizer.done()) {
    Token token = tokenizer.next();
    if (is_significant(token.kind)) {
      texts.append(token.text);
      texts.push_back(' ');
    }
  }
  return texts;
}

void check_rewritten(std::string_view original, const Options& options) {
  uint64_t counter = 0;
  Rewritten first = rewrite(original, options, counting_random, &counter, kNow);
  if (!first.changed) {
    UQ_CHECK(first.error.empty() ? first.sql.empty() : first.sql == original,
             "unchanged result must be empty or the original");
    return;
  }
  UQ_CHECK(first.error.empty(), "changed and error together");
  check_tokenizes(first.sql);
  Rewritten again = preview(first.sql, options, counting_random, &counter, kNow);
  UQ_CHECK(again.error.empty(), "rewritten SQL does not parse: %s (%s)", first.sql.c_str(),
           again.error.c_str());
  Rewritten second = rewrite(first.sql, options, counting_random, &counter, kNow);
  // Spacing may settle differently on a second pass (a call name after a replaced literal), but
  // nothing else may change: every rewrite was already applied.
  UQ_CHECK(!second.changed || token_texts(second.sql) == token_texts(first.sql),
           "not a fixed point:\n%s\n%s", first.sql.c_str(), second.sql.c_str());
  Inspection before = inspect(original);
  Inspection after = inspect(first.sql);
  UQ_CHECK(before.returning == after.returning && before.explain == after.explain &&
               before.disallowed_pragma == after.disallowed_pragma,
           "inspection changed by rewriting: %s", first.sql.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql(reinterpret_cast<const char*>(data), size);
  (void)inspect(sql);
  check_rewritten(sql, Options{});
  check_rewritten(sql, Options{.random = false, .time = true});
  uint64_t counter = 0;
  Rewritten shown = preview(sql, Options{}, counting_random, &counter, kNow);
  if (shown.error.empty()) {
    check_tokenizes(shown.sql);
  } else {
    UQ_CHECK(shown.sql == sql, "preview of unparsable SQL must return the original");
  }
  return 0;
}
