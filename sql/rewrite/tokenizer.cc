#include "sql/rewrite/tokenizer.h"

namespace uq::sql::rewrite {
namespace {

bool is_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// SQLite's IdChar(): what may continue an identifier (non-ASCII bytes count as letters).
bool is_id_char(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}
bool is_id_start(unsigned char c) {
  return is_alpha(c) || c == '_' || c >= 0x80;
}

// A cursor over the input that reads as NUL past the end, like SQLite's NUL-terminated scanner.
struct Scan {
  std::string_view sql;
  size_t start;
  unsigned char at(size_t i) const {
    size_t pos = start + i;
    return pos < sql.size() ? static_cast<unsigned char>(sql[pos]) : 0;
  }
  bool has(size_t i) const { return start + i < sql.size(); }
};

struct Lexeme {
  TokenKind kind;
  size_t length;
};

Lexeme scan_quoted(const Scan& s, unsigned char close, TokenKind kind) {
  for (size_t i = 1; s.has(i); ++i) {
    if (s.at(i) == close) {
      if (s.at(i + 1) == close && s.has(i + 1)) {
        ++i;  // a doubled delimiter is an escaped delimiter
        continue;
      }
      return {kind, i + 1};
    }
  }
  return {TokenKind::kIllegal, s.sql.size() - s.start};
}

Lexeme scan_bracket(const Scan& s) {
  for (size_t i = 1; s.has(i); ++i) {
    if (s.at(i) == ']') {
      return {TokenKind::kQuotedId, i + 1};
    }
  }
  return {TokenKind::kIllegal, s.sql.size() - s.start};
}

Lexeme scan_number(const Scan& s) {
  size_t i = 0;
  if (s.at(0) == '0' && (s.at(1) == 'x' || s.at(1) == 'X') && is_hex(s.at(2))) {
    for (i = 3; is_hex(s.at(i)); ++i) {
    }
  } else {
    while (is_digit(s.at(i))) {
      ++i;
    }
    if (s.at(i) == '.') {
      ++i;
      while (is_digit(s.at(i))) {
        ++i;
      }
    }
    unsigned char e = s.at(i);
    if ((e == 'e' || e == 'E') &&
        (is_digit(s.at(i + 1)) ||
         ((s.at(i + 1) == '+' || s.at(i + 1) == '-') && is_digit(s.at(i + 2))))) {
      i += 2;
      while (is_digit(s.at(i))) {
        ++i;
      }
    }
  }
  TokenKind kind = TokenKind::kNumber;
  while (is_id_char(s.at(i))) {
    kind = TokenKind::kIllegal;  // "12abc" is one unrecognized token in SQLite
    ++i;
  }
  return {kind, i};
}

// :name @name #name $name, with SQLite's TCL forms $a::b and $a(index).
Lexeme scan_named_variable(const Scan& s) {
  size_t name_chars = 0;
  size_t i = 1;
  for (; s.has(i); ++i) {
    unsigned char c = s.at(i);
    if (is_id_char(c)) {
      ++name_chars;
    } else if (c == '(' && name_chars > 0) {
      do {
        ++i;
      } while (s.has(i) && s.at(i) != 0 && !is_space(s.at(i)) && s.at(i) != ')');
      if (s.at(i) == ')' && s.has(i)) {
        return {TokenKind::kVariable, i + 1};
      }
      return {TokenKind::kIllegal, i};
    } else if (c == ':' && s.at(i + 1) == ':') {
      ++i;
    } else {
      break;
    }
  }
  return {name_chars == 0 ? TokenKind::kIllegal : TokenKind::kVariable, i};
}

Lexeme scan_blob(const Scan& s) {
  size_t i = 2;
  while (is_hex(s.at(i))) {
    ++i;
  }
  if (s.at(i) == '\'' && s.has(i) && i % 2 == 0) {
    return {TokenKind::kBlob, i + 1};
  }
  while (s.has(i) && s.at(i) != '\'') {
    ++i;
  }
  return {TokenKind::kIllegal, s.has(i) ? i + 1 : i};
}

Lexeme scan_comment_or_slash(const Scan& s) {
  if (s.at(1) != '*' || !s.has(1)) {
    return {TokenKind::kPunct, 1};
  }
  for (size_t i = 2; s.has(i + 1); ++i) {
    if (s.at(i) == '*' && s.at(i + 1) == '/') {
      return {TokenKind::kComment, i + 2};
    }
  }
  return {TokenKind::kComment, s.sql.size() - s.start};
}

Lexeme scan_minus(const Scan& s) {
  if (s.at(1) == '-' && s.has(1)) {
    size_t i = 2;
    while (s.has(i) && s.at(i) != '\n') {
      ++i;
    }
    return {TokenKind::kComment, i};
  }
  if (s.at(1) == '>') {
    return {TokenKind::kPunct, s.at(2) == '>' ? 3u : 2u};
  }
  return {TokenKind::kPunct, 1};
}

// Two-character operators: `c` followed by one of `seconds` forms one token.
Lexeme scan_operator(const Scan& s, std::string_view seconds) {
  unsigned char next = s.at(1);
  if (next != 0 && seconds.find(static_cast<char>(next)) != std::string_view::npos) {
    return {TokenKind::kPunct, 2};
  }
  return {TokenKind::kPunct, 1};
}

Lexeme scan(const Scan& s) {
  unsigned char c = s.at(0);
  if (is_space(c)) {
    size_t i = 1;
    while (s.has(i) && is_space(s.at(i))) {
      ++i;
    }
    return {TokenKind::kSpace, i};
  }
  switch (c) {
    case '-':
      return scan_minus(s);
    case '/':
      return scan_comment_or_slash(s);
    case '(':
    case ')':
    case ';':
    case '+':
    case '*':
    case '%':
    case ',':
    case '&':
    case '~':
      return {TokenKind::kPunct, 1};
    case '=':
      return scan_operator(s, "=");
    case '<':
      return scan_operator(s, "=><");
    case '>':
      return scan_operator(s, "=>");
    case '|':
      return scan_operator(s, "|");
    case '!':
      return s.at(1) == '=' ? Lexeme{TokenKind::kPunct, 2} : Lexeme{TokenKind::kIllegal, 1};
    case '\'':
      return scan_quoted(s, '\'', TokenKind::kString);
    case '"':
      return scan_quoted(s, '"', TokenKind::kQuotedId);
    case '`':
      return scan_quoted(s, '`', TokenKind::kQuotedId);
    case '[':
      return scan_bracket(s);
    case '.':
      return is_digit(s.at(1)) ? scan_number(s) : Lexeme{TokenKind::kPunct, 1};
    case '?': {
      size_t i = 1;
      while (is_digit(s.at(i))) {
        ++i;
      }
      return {TokenKind::kVariable, i};
    }
    case '$':
    case '@':
    case ':':
    case '#':
      return scan_named_variable(s);
    default:
      break;
  }
  if (is_digit(c)) {
    return scan_number(s);
  }
  if ((c == 'x' || c == 'X') && s.at(1) == '\'') {
    return scan_blob(s);
  }
  if (is_id_start(c)) {
    size_t i = 1;
    while (is_id_char(s.at(i))) {
      ++i;
    }
    return {TokenKind::kWord, i};
  }
  return {TokenKind::kIllegal, 1};
}

}  // namespace

Token next_token(std::string_view sql, size_t offset) {
  Scan s{sql, offset};
  Lexeme lexeme = scan(s);
  if (lexeme.length == 0) {
    lexeme = {TokenKind::kIllegal, 1};  // cannot happen; keeps the caller's loop finite anyway
  }
  return Token{lexeme.kind, sql.substr(offset, lexeme.length), offset};
}

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != lower[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace uq::sql::rewrite
