// tests/cluster/lincheck_main.cc — `uq-lincheck`: the project's register linearizability checker
// (tests/raft/linearizability.h, uq::raft::lin::check) as a command-line tool for the
// multi-process cluster tests, which record their histories from Python.
//
// Input: a history file (or "-" for stdin), one operation per line:
//   <key> <w|r> <value> <call> <ret>
// key: a token without spaces; value: int64 (a read that saw the initial state reads 0);
// call/ret: invocation and response times (uint64, e.g. monotonic ns); ret "-" means the
// operation never returned (a write that failed or timed out may still have taken effect).
// Blank lines and lines starting with '#' are ignored.
// Exit status: 0 linearizable, 1 not linearizable, 2 bad usage or input, 3 search budget
// exceeded (inconclusive). One line on stdout (or stderr for errors) says which.
// Single-threaded; a process of its own.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "tests/raft/linearizability.h"

namespace {

namespace lin = uq::raft::lin;

constexpr int kExitLinearizable = 0;
constexpr int kExitNotLinearizable = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitBudget = 3;

// Whole-token integer parse (std::from_chars: no exceptions, no locale).
template <typename T>
bool parse_integer(const std::string& text, T* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

bool parse_time(const std::string& text, uint64_t* out) {
  if (text == "-") {
    *out = lin::kNever;
    return true;
  }
  return parse_integer(text, out);
}

// Parses one non-blank line; false (with `why` set) when it is malformed.
bool parse_op(const std::string& line, lin::Op* op, std::string* why) {
  std::istringstream in(line);
  std::string kind;
  std::string value;
  std::string call;
  std::string ret;
  std::string extra;
  if (!(in >> op->key >> kind >> value >> call >> ret) || (in >> extra)) {
    *why = "expected 5 fields: <key> <w|r> <value> <call> <ret|->";
    return false;
  }
  if (kind != "w" && kind != "r") {
    *why = "kind must be w or r";
    return false;
  }
  op->is_write = kind == "w";
  if (!parse_integer(value, &op->value)) {
    *why = "value is not an integer";
    return false;
  }
  if (!parse_time(call, &op->call) || op->call == lin::kNever) {
    *why = "call time is not an integer";
    return false;
  }
  if (!parse_time(ret, &op->ret)) {
    *why = "ret time is neither an integer nor -";
    return false;
  }
  if (op->ret != lin::kNever && op->ret < op->call) {
    *why = "ret time is before call time";
    return false;
  }
  return true;
}

int read_history(std::istream& in, const char* name, lin::History* history) {
  std::string line;
  size_t line_number = 0;
  while (std::getline(in, line)) {
    line_number++;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') {
      continue;
    }
    lin::Op op;
    std::string why;
    if (!parse_op(line, &op, &why)) {
      std::fprintf(stderr, "uq-lincheck: %s:%zu: %s: %s\n", name, line_number, why.c_str(),
                   line.c_str());
      return kExitBadInput;
    }
    history->push_back(std::move(op));
  }
  return kExitLinearizable;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: uq-lincheck <history file | ->\n");
    return kExitBadInput;
  }
  lin::History history;
  int rc = kExitLinearizable;
  if (std::string(argv[1]) == "-") {
    rc = read_history(std::cin, "stdin", &history);
  } else {
    std::ifstream file(argv[1]);
    if (!file) {
      std::fprintf(stderr, "uq-lincheck: cannot open %s\n", argv[1]);
      return kExitBadInput;
    }
    rc = read_history(file, argv[1], &history);
  }
  if (rc != kExitLinearizable) {
    return rc;
  }
  lin::Result result = lin::check(history);
  switch (result.verdict) {
    case lin::Verdict::kLinearizable:
      std::printf("linearizable: %zu operations\n", history.size());
      return kExitLinearizable;
    case lin::Verdict::kNotLinearizable:
      std::printf("NOT linearizable: key %s (%zu operations)\n", result.key.c_str(),
                  history.size());
      return kExitNotLinearizable;
    case lin::Verdict::kBudgetExceeded:
      std::printf("inconclusive: search budget exceeded on key %s (%zu operations)\n",
                  result.key.c_str(), history.size());
      return kExitBudget;
  }
  return kExitBadInput;
}
