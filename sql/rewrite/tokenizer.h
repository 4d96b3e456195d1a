// sql/rewrite/tokenizer.h — a SQLite-compatible SQL tokenizer (bytes in, tokens out).
//
// Owns nothing: tokens are views into the caller's text, so the text must outlive them. Pure and
// allocation-free, so any thread may use it and the rewrite pre-filter and inspect() stay cheap.
// Follows SQLite's tokenize.c (3.40): '..' strings with '' escapes, "..", `..` and [..]
// identifiers, x'..' blobs, decimal/hex/real numbers, ?NNN :name @name $name #name variables,
// -- and /* */ comments (an unterminated /* runs to the end, as in SQLite), and every operator.
// Anything SQLite would reject as "unrecognized token" comes out as TokenKind::kIllegal, which
// covers exactly that token's bytes; tokenizing always makes progress and never reads past the end.
#pragma once

#include <cstddef>
#include <string_view>

namespace uq::sql::rewrite {

enum class TokenKind {
  kSpace,     // blanks: space, tab, newline, form feed, carriage return
  kComment,   // -- to end of line (newline excluded) or /* */
  kWord,      // bare identifier or keyword: [A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*
  kQuotedId,  // "..", `..` or [..]
  kString,    // '..'
  kBlob,      // x'..' / X'..' with an even number of hex digits
  kNumber,    // 12, 1.5, .5, 1e10, 0x1F
  kVariable,  // ?, ?12, :name, @name, $name, #name
  kPunct,     // operators and ( ) , ; .
  kIllegal,   // bytes SQLite cannot tokenize (unterminated string, bad number, stray char)
};

struct Token {
  TokenKind kind = TokenKind::kIllegal;
  std::string_view text;
  size_t offset = 0;  // byte offset of text in the tokenized input
};

// Returns the token starting at `offset` (which must be < sql.size()).
Token next_token(std::string_view sql, size_t offset);

// Iterates over the tokens of `sql`, including blanks and comments.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view sql) : sql_(sql) {}
  bool done() const { return offset_ >= sql_.size(); }
  Token next() {
    Token token = next_token(sql_, offset_);
    offset_ += token.text.size();
    return token;
  }

 private:
  std::string_view sql_;
  size_t offset_ = 0;
};

// True for kinds that carry meaning (everything but blanks and comments).
inline bool is_significant(TokenKind kind) {
  return kind != TokenKind::kSpace && kind != TokenKind::kComment;
}

// ASCII case-insensitive equality; `lower` must already be lower case.
bool equals_lower(std::string_view text, std::string_view lower);

// True if `token` is the punctuation `p` (e.g. "(", ",").
inline bool is_punct(const Token& token, std::string_view p) {
  return token.kind == TokenKind::kPunct && token.text == p;
}

// True if `token` is a bare word equal (ignoring case) to `lower`.
inline bool is_word(const Token& token, std::string_view lower) {
  return token.kind == TokenKind::kWord && equals_lower(token.text, lower);
}

}  // namespace uq::sql::rewrite
