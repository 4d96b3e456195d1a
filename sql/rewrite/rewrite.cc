#include "sql/rewrite/rewrite.h"

#include <chrono>
#include <cmath>
#include <cstring>

#include "core/check.h"
#include "sql/rewrite/rewriter.h"
#include "sql/rewrite/statement.h"
#include "sql/rewrite/tokenizer.h"

namespace uq::sql::rewrite {
namespace {

// Julian day of the Unix epoch, and SQLite's upper bound for dates (9999-12-31 23:59:59.999).
constexpr double kUnixEpochJulianDay = 2440587.5;
constexpr double kJulianDayMax = 5373484.5;

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// True if the text just before `end` is `stem` (lower case), ignoring case.
bool ends_with_stem(std::string_view sql, size_t end, std::string_view stem) {
  if (end < stem.size()) {
    return false;
  }
  for (size_t k = 0; k < stem.size(); ++k) {
    if (lower(sql[end - stem.size() + k]) != stem[k]) {
      return false;
    }
  }
  return true;
}

// True if a trigger name ends right before the `(` at `paren` (blanks or a closing quote may sit
// between them). datetime and strftime end in "time", so they need no stems of their own.
bool trigger_before(std::string_view sql, size_t paren, const Options& options) {
  size_t end = paren;
  while (end > 0) {
    char c = sql[end - 1];
    bool blank = c == ' ' || (c >= '\t' && c <= '\r');  // SQLite's blanks
    if (!blank && c != '"' && c != ']' && c != '`') {
      break;
    }
    --end;
  }
  if (options.random &&
      (ends_with_stem(sql, end, "random") || ends_with_stem(sql, end, "randomblob"))) {
    return true;
  }
  return options.time &&
         (ends_with_stem(sql, end, "date") || ends_with_stem(sql, end, "time") ||
          ends_with_stem(sql, end, "timediff") || ends_with_stem(sql, end, "julianday") ||
          ends_with_stem(sql, end, "unixepoch"));
}

// A name token's text without its quotes (pragma names never contain doubled quotes).
std::string_view bare_name(const Token& token) {
  if (token.kind == TokenKind::kWord) {
    return token.text;
  }
  if (token.kind == TokenKind::kQuotedId || token.kind == TokenKind::kString) {
    return token.text.substr(1, token.text.size() - 2);
  }
  return {};
}

// Spec §3.10 on a statement's first tokens: PRAGMA [schema.]name followed by `=` (or `(`, the
// other way of setting a pragma), and wal_checkpoint in any form.
bool is_disallowed_pragma(const Token* tokens, size_t count) {
  if (count < 2 || !is_word(tokens[0], "pragma")) {
    return false;
  }
  size_t name = (count >= 4 && is_punct(tokens[2], ".")) ? 3 : 1;
  std::string_view value = bare_name(tokens[name]);
  if (equals_lower(value, "wal_checkpoint")) {
    return true;
  }
  bool sets =
      name + 1 < count && (is_punct(tokens[name + 1], "=") || is_punct(tokens[name + 1], "("));
  return sets &&
         (equals_lower(value, "journal_mode") || equals_lower(value, "wal_autocheckpoint") ||
          equals_lower(value, "synchronous") || equals_lower(value, "query_only"));
}

Rewritten run(std::string_view sql, const Options& options, RandomSource random_source, void* ctx,
              double now_julian_day, bool always_emit) {
  UQ_CHECK(std::isfinite(now_julian_day) && now_julian_day >= 0 && now_julian_day < kJulianDayMax,
           "now_julian_day %f outside SQLite's date range", now_julian_day);
  UQ_CHECK(random_source != nullptr, "rewrite needs a random source");
  Rewritten result;
  detail::Script script = detail::parse_script(sql);
  if (!script.error.empty()) {
    result.sql = std::string(sql);
    result.error = std::move(script.error);
    return result;
  }
  detail::RewriteContext context{options, random_source, ctx, now_julian_day};
  result.changed = detail::rewrite_script(sql, script, context, always_emit, &result.sql);
  return result;
}

// Case-insensitive substring search for `lower` (lower case); a cheap superset check.
bool contains_word_text(std::string_view sql, std::string_view lower_text) {
  if (sql.size() < lower_text.size()) {
    return false;
  }
  for (size_t i = 0; i + lower_text.size() <= sql.size(); ++i) {
    if (lower(sql[i]) == lower_text[0] && ends_with_stem(sql, i + lower_text.size(), lower_text)) {
      return true;
    }
  }
  return false;
}

constexpr size_t kHeadTokensMax = 5;  // enough for PRAGMA schema . name =

}  // namespace

Inspection inspect(std::string_view sql) {
  Inspection inspection;
  Token head[kHeadTokensMax];
  size_t head_count = 0;
  bool first_statement = true;
  // Fast path for the usual single statement without RETURNING: only its head matters.
  bool head_only =
      std::memchr(sql.data(), ';', sql.size()) == nullptr && !contains_word_text(sql, "returning");
  Tokenizer tokenizer(sql);
  while (true) {
    bool done = tokenizer.done() || (head_only && head_count == kHeadTokensMax);
    Token token = done ? Token{} : tokenizer.next();
    if (!done && !is_significant(token.kind)) {
      continue;
    }
    if (done || is_punct(token, ";")) {
      inspection.disallowed_pragma =
          inspection.disallowed_pragma || is_disallowed_pragma(head, head_count);
      first_statement = first_statement && head_count == 0;
      head_count = 0;
      if (done) {
        break;
      }
      continue;
    }
    if (head_count == 0 && first_statement && is_word(token, "explain")) {
      inspection.explain = true;
    }
    if (is_word(token, "returning")) {
      inspection.returning = true;  // RETURNING is reserved: a bare one is always the clause
    }
    if (head_count < kHeadTokensMax) {
      head[head_count++] = token;
    }
  }
  return inspection;
}

// Every trigger is a call, so only the (usually few) `(` need a look: memchr finds them fast.
bool needs_rewrite(std::string_view sql, const Options& options) {
  if (!options.random && !options.time) {
    return false;
  }
  const char* data = sql.data();
  size_t at = 0;
  while (at < sql.size()) {
    const void* found = std::memchr(data + at, '(', sql.size() - at);
    if (found == nullptr) {
      return false;
    }
    size_t paren = static_cast<size_t>(static_cast<const char*>(found) - data);
    if (trigger_before(sql, paren, options)) {
      return true;
    }
    at = paren + 1;
  }
  return false;
}

Rewritten rewrite(std::string_view sql, const Options& options, RandomSource random_source,
                  void* ctx, double now_julian_day) {
  if (!needs_rewrite(sql, options)) {
    return {};
  }
  return run(sql, options, random_source, ctx, now_julian_day, false);
}

Rewritten preview(std::string_view sql, const Options& options, RandomSource random_source,
                  void* ctx, double now_julian_day) {
  return run(sql, options, random_source, ctx, now_julian_day, true);
}

double julian_day_now() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
  return kUnixEpochJulianDay + static_cast<double>(micros) / 86400e6;
}

}  // namespace uq::sql::rewrite
