// sql/timestamp.h — rqlite's rendering of DATE/DATETIME/TIMESTAMP cells (spec §3.5).
//
// Owns: turning an INTEGER cell (Unix seconds, or milliseconds above 1e12 in magnitude) or a TEXT
// cell (one of the SQLite timestamp layouts the Go driver accepts) into Go's RFC 3339 text with
// nanoseconds (time.Time.MarshalText). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace uq::sql {

// Appends the RFC 3339 text (no quotes) for an INTEGER cell. Returns false, appending nothing, if
// the year falls outside [0, 9999] (Go then fails with kTimestampYearError).
bool append_timestamp_from_unix(std::string* out, int64_t value);

// Appends the RFC 3339 text for a TEXT cell; text that matches no layout renders as Go's zero time
// "0001-01-01T00:00:00Z".
void append_timestamp_from_text(std::string* out, std::string_view text);

inline constexpr std::string_view kTimestampYearError =
    "Time.MarshalText: year outside of range [0,9999]";

}  // namespace uq::sql
