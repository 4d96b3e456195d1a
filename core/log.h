// core/log.h — levelled logging to stderr.
//
// One line per call, written with a single write(2) so lines from different threads never
// interleave. Any thread may log. The level is process-wide and set once at start-up.
// Format: "2026-11-27T09:00:00.123456Z [WARN] message".
#pragma once

#include <string_view>

namespace uq::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_level(Level level);
Level level();
// Parses "DEBUG", "INFO", "WARN" or "ERROR" (case-insensitive); false on anything else.
bool parse_level(std::string_view text, Level* out);

void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace uq::log

#define UQ_LOG(lvl, ...)                                    \
  do {                                                      \
    if (::uq::log::Level::lvl >= ::uq::log::level()) {      \
      ::uq::log::write(::uq::log::Level::lvl, __VA_ARGS__); \
    }                                                       \
  } while (0)
#define UQ_DEBUG(...) UQ_LOG(kDebug, __VA_ARGS__)
#define UQ_INFO(...) UQ_LOG(kInfo, __VA_ARGS__)
#define UQ_WARN(...) UQ_LOG(kWarn, __VA_ARGS__)
#define UQ_ERROR(...) UQ_LOG(kError, __VA_ARGS__)
