// core/check.h — checks that stop the process on a bug.
//
// UQ_CHECK is always compiled in (release too): a broken invariant must never run on and damage
// data. It prints file, line, the condition and a printf-style message to stderr, then aborts.
// UQ_DCHECK is for costly checks and compiles away under NDEBUG. Any thread may call them.
#pragma once

namespace uq::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition, const char* fmt,
                               ...) __attribute__((format(printf, 4, 5)));
}  // namespace uq::detail

#define UQ_CHECK(cond, ...)                                               \
  do {                                                                    \
    if (__builtin_expect(!(cond), 0)) {                                   \
      ::uq::detail::check_failed(__FILE__, __LINE__, #cond, __VA_ARGS__); \
    }                                                                     \
  } while (0)

#ifdef NDEBUG
#define UQ_DCHECK(cond, ...) \
  do {                       \
  } while (0)
#else
#define UQ_DCHECK(cond, ...) UQ_CHECK(cond, __VA_ARGS__)
#endif
