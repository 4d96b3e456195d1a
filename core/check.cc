#include "core/check.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace uq::detail {

void check_failed(const char* file, int line, const char* condition, const char* fmt, ...) {
  char message[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  std::fprintf(stderr, "CHECK failed at %s:%d: %s: %s\n", file, line, condition, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace uq::detail
