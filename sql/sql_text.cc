#include "sql/sql_text.h"

#include <cctype>

#include "sql/request.h"

namespace uq::sql {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_word(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) {
      return false;
    }
  }
  return true;
}

std::string_view leading_word(std::string_view sql) {
  size_t n = 0;
  while (n < sql.size() && is_word(sql[n])) {
    ++n;
  }
  return sql.substr(0, n);
}

void eat_spaces(std::string_view* s) {
  while (!s->empty() && is_space(s->front())) {
    s->remove_prefix(1);
  }
}

// Index of the `;` ending the statement that starts at the front of `sql`, or sql.size().
size_t statement_end(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == ';') {
      return i;
    }
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      size_t j = sql.find(close, i + 1);
      i = j == std::string_view::npos ? sql.size() : j + 1;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t j = sql.find('\n', i);
      i = j == std::string_view::npos ? sql.size() : j + 1;
      continue;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t j = sql.find("*/", i + 2);
      i = j == std::string_view::npos ? sql.size() : j + 2;
      continue;
    }
    ++i;
  }
  return sql.size();
}

}  // namespace

std::string_view skip_trivia(std::string_view sql) {
  for (;;) {
    eat_spaces(&sql);
    if (sql.size() >= 2 && sql[0] == '-' && sql[1] == '-') {
      size_t j = sql.find('\n');
      sql.remove_prefix(j == std::string_view::npos ? sql.size() : j + 1);
      continue;
    }
    if (sql.size() >= 2 && sql[0] == '/' && sql[1] == '*') {
      size_t j = sql.find("*/", 2);
      sql.remove_prefix(j == std::string_view::npos ? sql.size() : j + 2);
      continue;
    }
    return sql;
  }
}

bool only_trivia(std::string_view sql) {
  for (;;) {
    sql = skip_trivia(sql);
    if (sql.empty()) {
      return true;
    }
    if (sql.front() != ';') {
      return false;
    }
    sql.remove_prefix(1);
  }
}

bool needs_autocommit(std::string_view sql) {
  static constexpr std::string_view kWords[] = {"begin",     "commit",  "end",    "rollback",
                                                "savepoint", "release", "vacuum", "attach",
                                                "detach",    "pragma"};
  while (!sql.empty()) {
    sql = skip_trivia(sql);
    std::string_view word = leading_word(sql);
    for (std::string_view k : kWords) {
      if (iequals(word, k)) {
        return true;
      }
    }
    size_t end = statement_end(sql);
    sql.remove_prefix(end == sql.size() ? end : end + 1);
  }
  return false;
}

}  // namespace uq::sql
