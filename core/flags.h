// core/flags.h — command-line flags with Go's `flag` package syntax, as rqlited takes them.
//
// Accepted: -name value, -name=value, --name value, --name=value; booleans as -name or
// -name=true|false (a separate "false" word is a positional argument, as in Go); parsing stops at
// the first non-flag argument or at "--", and the rest are positional. -h / -help / --help ask for
// usage. Errors name the flag the way Go does ("flag provided but not defined: -x", "invalid value
// \"x\" for flag -y: ..."). Owned and used by the thread that parses the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace uq {

class FlagSet {
 public:
  explicit FlagSet(std::string program) : program_(std::move(program)) {}

  // Targets must outlive the FlagSet; their current value is the default shown in usage.
  void add_bool(std::string name, bool* target, std::string usage);
  void add_string(std::string name, std::string* target, std::string usage);
  void add_int(std::string name, int64_t* target, std::string usage);
  void add_duration(std::string name, std::chrono::nanoseconds* target, std::string usage);

  // Parses argv[1..argc). On success, positional() holds what followed the flags.
  Status parse(int argc, const char* const* argv);
  bool help_requested() const { return help_requested_; }
  bool was_set(std::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  std::string usage() const;

 private:
  enum class Kind { kBool, kString, kInt, kDuration };
  struct Flag {
    std::string name;
    Kind kind;
    void* target;
    std::string usage;
    std::string default_text;
    bool set = false;
  };
  Flag* find(std::string_view name);
  Status assign(Flag* flag, std::string_view value);

  std::string program_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
};

}  // namespace uq
