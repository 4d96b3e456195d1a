#include "core/log.h"

#include <unistd.h>

#include <strings.h>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace uq::log {

namespace {
std::atomic<Level> g_level{Level::kInfo};
constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
}  // namespace

void set_level(Level level) {
  g_level.store(level, std::memory_order_relaxed);
}
Level level() {
  return g_level.load(std::memory_order_relaxed);
}

bool parse_level(std::string_view text, Level* out) {
  for (int i = 0; i < 4; ++i) {
    std::string_view name(kNames[i]);
    if (text.size() == name.size() && strncasecmp(text.data(), name.data(), name.size()) == 0) {
      *out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

void write(Level level, const char* fmt, ...) {
  char line[2048];
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  int n = std::snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ [%s] ",
                        utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                        utc.tm_sec, now.tv_nsec / 1000, kNames[static_cast<int>(level)]);
  va_list args;
  va_start(args, fmt);
  int m = std::vsnprintf(line + n, sizeof line - n - 1, fmt, args);
  va_end(args);
  size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : static_cast<size_t>(m));
  if (len > sizeof line - 2) {
    len = sizeof line - 2;
  }
  line[len++] = '\n';
  // One write(2) per line keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, line, len);
  (void)ignored;
}

}  // namespace uq::log
