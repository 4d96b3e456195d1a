// sql/result_writer.h — rqlite's per-statement result objects (spec §3.4, §3.5).
//
// Owns: encoding a stepped SQLite statement's rows as a columnar or associative query result, a
// write result, or an error object, with rqlite's value rules (storage class + declared type:
// booleans, timestamps, BLOB as base64 / byte array / raw string) and its `types` inference.
// Thread: the caller's (whoever owns the statement's connection).
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "core/json_writer.h"
#include "core/status.h"
#include "sql/exec_options.h"

namespace uq::sql {

// How an error object looks: a query error in associative mode is {"rows":[],"error":..}; every
// other error (execute, prepare on /db/request) is {"error":..}.
enum class ErrorStyle { kPlain, kQuery };

void write_error_result(core::JsonWriter* w, std::string_view message, ErrorStyle style,
                        const ExecOptions& options);

// {"last_insert_id":..,"rows_affected":..,"time":..} with zero values omitted; "rows":null last
// in associative mode.
void write_exec_result(core::JsonWriter* w, int64_t last_insert_id, int64_t rows_affected,
                       double seconds, const ExecOptions& options);

// Steps `stmt` (parameters bound, not yet stepped) to completion and writes its query result
// object, with "time" (seconds since start_ns) when timings are on. On a step or encoding error
// returns the SQLite error code and message (*error) and leaves partial output for the caller
// to rewind.
struct RowsError {
  int code = SQLITE_OK;
  std::string message;
};
bool write_query_result(core::JsonWriter* w, sqlite3_stmt* stmt, const ExecOptions& options,
                        int64_t start_ns, RowsError* error);

// rqlite's text-like declared types, whose BLOB cells render as strings.
bool is_text_type(std::string_view lowered_type);

// Standard padded base64.
void append_base64(std::string* out, std::string_view bytes);

// Seconds as Go's time.Duration.Seconds() float.
inline double seconds_since(int64_t start_ns, int64_t now_ns) {
  int64_t d = now_ns - start_ns;
  return static_cast<double>(d / 1000000000) + static_cast<double>(d % 1000000000) / 1e9;
}

}  // namespace uq::sql
