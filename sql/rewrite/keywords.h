// sql/rewrite/keywords.h — which bare words SQLite reserves (internal to sql/rewrite).
//
// Pure lookups, any thread. "Reserved" means SQLite 3.40 rejects the word as a bare column name
// (checked against the sqlite3 shell with `CREATE TABLE t(<word> int); SELECT <word> FROM t`), so
// a bare occurrence is always the keyword: the rewriter may upper-case it without changing what
// it names, and a reserved word followed by `(` is never a function call.
#pragma once

#include <string_view>

namespace uq::sql::rewrite::detail {

bool is_reserved_word(std::string_view word);

// SQLite's JOIN_KW words (NATURAL, LEFT, ...): identifiers unless they introduce a JOIN.
bool is_join_word(std::string_view word);

// First words of every statement SQLite accepts (after an optional EXPLAIN [QUERY PLAN]).
bool is_statement_start(std::string_view word);

}  // namespace uq::sql::rewrite::detail
