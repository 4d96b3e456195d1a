// sql/rewrite/rewrite.h — statement inspection and rewriting of non-deterministic SQL (spec §7).
//
// rqlite replicates SQL text, so RANDOM(), RANDOMBLOB(N) and date/time functions of 'now' are
// evaluated once, on the node that receives the request, by replacing them with literals before
// the statement enters the Raft log. This module owns that rewrite plus the cheap checks the
// write path needs per statement (RETURNING, EXPLAIN, disallowed PRAGMAs, spec §3.10).
//
// Pure string code: no SQLite, no globals, no clock reads except julian_day_now(). Every function
// may be called from any thread. inspect() and needs_rewrite() never allocate; rewrite() does not
// allocate for statements that fail the pre-filter (spec §7.1), which is nearly all of them.
// Guarantees: a rewritten statement re-tokenizes cleanly and means the same to SQLite as the
// original with the chosen random values and time substituted; statements (or parts) whose meaning
// would change if frozen — CREATE TRIGGER/VIEW bodies, column DEFAULT/CHECK/generated expressions,
// ORDER BY terms for RANDOM()/RANDOMBLOB() — are left alone. docs/rewrite.md has the rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace uq::sql::rewrite {

// norwrandom / norwtime turn these off.
struct Options {
  bool random = true;
  bool time = true;
};

struct Inspection {
  bool returning = false;          // a RETURNING clause (not inside a string/identifier/comment)
  bool explain = false;            // the statement starts with EXPLAIN
  bool disallowed_pragma = false;  // spec §3.10 patterns at the start of a statement
};

// Looks at every `;`-separated statement in `sql` (stricter than the reference, which only checks
// the start of the whole string for PRAGMAs); leading comments are skipped. Never allocates.
Inspection inspect(std::string_view sql);

struct Rewritten {
  // True when `sql` holds a rewritten text that must be executed (and stored) instead.
  bool changed = false;
  // changed: the rewritten, normalised text. error: the original text. Otherwise empty (so the
  // common case allocates nothing): execute the original.
  std::string sql;
  // Non-empty when the statement does not parse (e.g. `near "SLECT": syntax error`). The write
  // path ignores it and executes the original; /db/sql shows it.
  std::string error;
};

// The spec §7.1 pre-filter: false means rewrite() would certainly leave `sql` unchanged.
// Case-insensitive search for a trigger function name followed by `(`. Never allocates.
bool needs_rewrite(std::string_view sql, const Options& options);

// Returns a random 64-bit value; `ctx` is the caller's state. Tests pass a fixed sequence.
using RandomSource = uint64_t (*)(void* ctx);

// Applies the spec §7.2 rewrites to `sql` (one or more `;`-separated statements).
// `now_julian_day` is the current UTC time as a Julian day (see julian_day_now()); it must be
// finite and within SQLite's date range [0, 5373484.5).
Rewritten rewrite(std::string_view sql, const Options& options, RandomSource random_source,
                  void* ctx, double now_julian_day);

// For GET/POST /db/sql: like rewrite() but without the pre-filter, and `sql` is always set: the
// normalised form of every parsable statement even when nothing changed (as the reference shows
// it), or the original text when `error` is set.
Rewritten preview(std::string_view sql, const Options& options, RandomSource random_source,
                  void* ctx, double now_julian_day);

// The UTC wall clock as a Julian day number (SQLite's 'now' is UTC, spec §15 item 13).
double julian_day_now();

}  // namespace uq::sql::rewrite
