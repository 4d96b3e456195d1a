#include "sql/rewrite/keywords.h"

#include "sql/rewrite/tokenizer.h"

namespace uq::sql::rewrite::detail {
namespace {

template <size_t N>
bool contains(const std::string_view (&words)[N], std::string_view word) {
  for (std::string_view candidate : words) {
    if (equals_lower(word, candidate)) {
      return true;
    }
  }
  return false;
}

constexpr std::string_view kReserved[] = {
    "add",     "all",        "alter",       "and",     "as",       "autoincrement",
    "between", "case",       "check",       "collate", "commit",   "constraint",
    "create",  "default",    "deferrable",  "delete",  "distinct", "drop",
    "else",    "escape",     "except",      "exists",  "foreign",  "from",
    "group",   "having",     "in",          "index",   "insert",   "intersect",
    "into",    "is",         "isnull",      "join",    "limit",    "not",
    "nothing", "notnull",    "null",        "on",      "or",       "order",
    "primary", "references", "returning",   "select",  "set",      "table",
    "then",    "to",         "transaction", "union",   "unique",   "update",
    "using",   "values",     "when",        "where"};

constexpr std::string_view kJoinWords[] = {"cross",   "full",  "inner", "left",
                                           "natural", "outer", "right"};

constexpr std::string_view kStatementStarts[] = {
    "alter",    "analyze",   "attach",  "begin",  "commit", "create",  "delete",  "detach",
    "drop",     "end",       "explain", "insert", "pragma", "reindex", "release", "replace",
    "rollback", "savepoint", "select",  "update", "vacuum", "values"};

}  // namespace

bool is_reserved_word(std::string_view word) {
  return contains(kReserved, word);
}

bool is_join_word(std::string_view word) {
  return contains(kJoinWords, word);
}

bool is_statement_start(std::string_view word) {
  return contains(kStatementStarts, word) || equals_lower(word, "with");
}

}  // namespace uq::sql::rewrite::detail
