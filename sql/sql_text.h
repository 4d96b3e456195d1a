// sql/sql_text.h — small lexical checks on SQL text that must not need a database connection.
//
// Owns: skipping whitespace and comments and the leading keyword of each `;`-separated statement.
// Pure functions; any thread.
#pragma once

#include <string_view>

namespace uq::sql {

// Skips whitespace, `-- ...` and `/* ... */` comments from the front of `sql`.
std::string_view skip_trivia(std::string_view sql);

// True if `sql` holds nothing but whitespace, comments and semicolons.
bool only_trivia(std::string_view sql);

// True if any statement in `sql` (split at `;` outside quotes, brackets and comments) starts with a
// keyword SQLite refuses or mishandles inside an enclosing transaction: BEGIN, COMMIT, END,
// ROLLBACK, SAVEPOINT, RELEASE, VACUUM, ATTACH, DETACH or PRAGMA. Such requests run alone in
// autocommit mode instead of inside a group commit. False positives (e.g. END inside a trigger
// body) only cost a flush of the group.
bool needs_autocommit(std::string_view sql);

}  // namespace uq::sql
