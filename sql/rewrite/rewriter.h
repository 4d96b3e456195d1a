// sql/rewrite/rewriter.h — plans and emits the §7.2 rewrite of a parsed script
// (internal to sql/rewrite; the public entry points are in rewrite.h).
//
// Pure apart from calling the caller's random source; any thread. Works on the statement outline
// from statement.h: finds function calls, their arguments, ORDER BY terms and the INSERT/UPDATE/
// DELETE target names, replaces calls with literals and re-emits changed statements in a
// normalised form (single spaces, no comments, reserved words upper-cased, target table and
// column names double-quoted). Unchanged statements of a multi-statement text are kept verbatim.
#pragma once

#include <string>
#include <string_view>

#include "sql/rewrite/rewrite.h"
#include "sql/rewrite/statement.h"

namespace uq::sql::rewrite::detail {

struct RewriteContext {
  Options options;
  RandomSource random_source = nullptr;
  void* random_ctx = nullptr;
  double now_julian_day = 0;
};

// Returns true if any statement of `script` (parsed from `sql`, error-free) counts as rewritten.
// Appends the resulting text to `out` when something changed or when `always_emit` is set (then
// every statement is normalised).
bool rewrite_script(std::string_view sql, const Script& script, const RewriteContext& context,
                    bool always_emit, std::string* out);

}  // namespace uq::sql::rewrite::detail
