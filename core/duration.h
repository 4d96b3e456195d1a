// core/duration.h — Go-style durations ("500ms", "1m30s", "1.5h"), as rqlite's flags and query
// parameters use them.
//
// parse_duration accepts exactly what Go's time.ParseDuration accepts (units ns, us, µs, ms, s, m,
// h; fractions; a sign; a bare "0"), and format_duration prints what Go's Duration.String prints
// ("1h2m3.4s", "50ms", "312.4µs", "0s"). Pure functions, any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/status.h"

namespace uq {

Result<std::chrono::nanoseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::nanoseconds duration);

}  // namespace uq
