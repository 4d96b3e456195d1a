// uqlited: one uqlite node. Flags as rqlited's; the last argument is the data directory.
#include <signal.h>

#include <cstdio>

#include "core/log.h"
#include "core/malloc_config.h"
#include "server/config.h"
#include "server/node.h"
#include "sql/connection.h"

int main(int argc, char** argv) {
  uq::core::configure_malloc();
  // Before anything can open SQLite (a start-up check may): its allocation statistics stay off.
  uq::sql::configure_sqlite();
  auto parsed = uq::server::parse_config(argc, argv);
  if (!parsed.is_ok()) {
    const uq::Status& status = parsed.status();
    if (status.code() == uq::Code::kInvalidArgument) {
      // Flag syntax errors, as Go's flag package reports them: message, usage, exit 2.
      std::fprintf(stderr, "%s\n%s", status.message().c_str(), uq::server::usage_text().c_str());
      return 2;
    }
    std::fprintf(stderr, "fatal: %s\n", status.message().c_str());
    return 1;
  }
  if (parsed->outcome == uq::server::ParseOutcome::kPrintUsage) {
    std::fprintf(stderr, "%s", parsed->usage.c_str());
    return 0;
  }
  if (parsed->outcome == uq::server::ParseOutcome::kPrintVersion) {
    std::fprintf(stderr, "%s\n", uq::server::version_line().c_str());
    return 0;
  }
  // Signals are taken by sigwait() on the main thread only: block them before any thread starts
  // so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  uq::server::Node node(std::move(parsed->config));
  uq::Status started = node.start();
  if (!started.is_ok()) {
    std::fprintf(stderr, "fatal: %s\n", started.message().c_str());
    return 1;
  }
  node.run_until_signal();
  return 0;
}
