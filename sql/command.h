// sql/command.h — a write (or strong read) in the form the Raft log carries it.
//
// Owns: Command, everything a replica needs to apply a request exactly as the leader does (kind,
// transaction, rollback-on-error, db_timeout, statements), and its versioned binary encoding
// (docs/sql.md). How the answer is formatted (pretty, associative, timings ...) stays with the
// node that answers the client and is not replicated.
// Thread: pure functions, any thread. decode_command() validates every byte (kCorruption).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sql/exec_options.h"
#include "sql/request.h"

namespace uq::sql {

struct Command {
  Kind kind = Kind::kExecute;
  bool transaction = false;
  bool rollback_on_error = false;
  int64_t db_timeout_ns = 0;
  Request request;
  // Non-empty: this command replaces the whole database with this SQLite image (POST /db/load
  // of a binary file); the statements are then empty.
  std::string load_image;

  bool operator==(const Command&) const = default;
};

// The replicated part of options: the fields a Command carries.
Command make_command(Kind kind, Request request, const ExecOptions& options);
// ExecOptions for applying a command on a node that does not answer its client.
ExecOptions replica_options(const Command& command);

std::string encode_command(const Command& command);
Result<Command> decode_command(std::string_view bytes);

}  // namespace uq::sql
