// core/status.h — expected failures as values.
//
// Owns: Status (a code plus a short message) and Result<T> (a value or a Status). Our code does not
// throw: bad input, I/O errors, not-leader, timeouts and SQLite errors are returned as these, and
// server/ maps codes to rqlite's HTTP statuses once. Any thread may use them; they are plain
// values. A moved-from Status is OK.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/check.h"

namespace uq {

enum class Code : uint8_t {
  kOk = 0,
  kInvalidArgument,  // bad input from a client or a flag
  kNotFound,
  kCorruption,  // damaged bytes on disk or on the wire
  kIoError,
  kNoSpace,
  kNotLeader,
  kUnavailable,  // no leader, shutting down, queue full
  kTimeout,
  kTooLarge,
  kSqlError,
  kInternal,
};

std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code name>: <message>", for logs.
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status error(Code code, std::string message) {
  return Status(code, std::move(message));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    UQ_CHECK(!std::get<Status>(state_).is_ok(), "Result built from an OK status");
  }

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    UQ_CHECK(!is_ok(), "status() of a Result that holds a value");
    return std::get<Status>(state_);
  }
  T& value() & {
    UQ_CHECK(is_ok(), "value() of a failed Result: %s",
             std::get<Status>(state_).to_string().c_str());
    return std::get<T>(state_);
  }
  const T& value() const& {
    UQ_CHECK(is_ok(), "value() of a failed Result: %s",
             std::get<Status>(state_).to_string().c_str());
    return std::get<T>(state_);
  }
  T&& value() && {
    UQ_CHECK(is_ok(), "value() of a failed Result: %s",
             std::get<Status>(state_).to_string().c_str());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace uq

// Returns early from the enclosing function with the error of a failed Status expression.
#define UQ_RETURN_IF_ERROR(expr)      \
  do {                                \
    ::uq::Status uq_status_ = (expr); \
    if (!uq_status_.is_ok()) {        \
      return uq_status_;              \
    }                                 \
  } while (0)
