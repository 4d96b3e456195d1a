// sql/rewrite/statement.h — splits SQL text into statements and checks their outline
// (internal to sql/rewrite).
//
// Not a full SQL parser: it checks what the rewriter relies on — every token is recognised,
// parentheses balance inside each statement, each statement starts with a statement keyword and a
// CREATE TRIGGER body is closed by END — and reports the first failure in SQLite's words
// (`unrecognized token: "…"`, `near "…": syntax error`, `incomplete input`). Pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sql/rewrite/tokenizer.h"

namespace uq::sql::rewrite::detail {

// Significant tokens [begin, end) of one statement; when `terminated`, tokens[end] is its `;`.
struct Statement {
  size_t begin = 0;
  size_t end = 0;
  bool terminated = false;
};

struct Script {
  std::vector<Token> tokens;  // significant tokens only (no blanks, no comments)
  std::vector<Statement> statements;
  // For each token that is `(` or `)`, the index of its partner; other entries are unused.
  std::vector<size_t> partner;
  std::string error;  // empty when the whole text passed the checks
};

// Splits `sql` at `;` (but not inside a CREATE TRIGGER body, which ends at `END ;`).
Script parse_script(std::string_view sql);

}  // namespace uq::sql::rewrite::detail
