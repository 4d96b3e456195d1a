// http_fixed_server: the net layer alone (reactors + HTTP server, no SQL), answering every request
// with a fixed 13-byte body. It gives the ceiling our HTTP layer allows, for side-by-side figures
// with nginx serving a fixed response. Usage: http_fixed_server [host:port] [reactors]
// (default 127.0.0.1:4081, 1 reactor). SIGINT/SIGTERM stop it.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/reactor.h"
#include "net/http_server.h"

int main(int argc, char** argv) {
  std::string address = argc > 1 ? argv[1] : "127.0.0.1:4081";
  int reactors = argc > 2 ? std::atoi(argv[2]) : 1;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::unique_ptr<uq::core::Reactor>> loops;
  std::vector<std::unique_ptr<uq::net::HttpServer>> servers;
  for (int i = 0; i < reactors; ++i) {
    auto reactor = uq::core::Reactor::create(i, uq::core::ReactorOptions{});
    if (!reactor.is_ok()) {
      std::fprintf(stderr, "%s\n", reactor.status().to_string().c_str());
      return 1;
    }
    loops.push_back(std::move(reactor.value()));
    servers.push_back(std::make_unique<uq::net::HttpServer>(
        *loops.back(), uq::net::HttpServerOptions{},
        [](const uq::net::HttpRequest&, uq::net::HttpResponder responder) {
          uq::net::HttpResponse response;
          response.headers.emplace_back("Content-Type", "text/plain");
          response.body = "Hello, world!";
          responder.respond(std::move(response));
        }));
    uq::Status status = servers.back()->listen(address);
    if (!status.is_ok()) {
      std::fprintf(stderr, "%s\n", status.to_string().c_str());
      return 1;
    }
  }
  std::vector<std::thread> threads;
  for (auto& loop : loops) {
    threads.emplace_back([&loop] { loop->run(); });
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  for (auto& loop : loops) {
    loop->stop();
  }
  for (auto& thread : threads) {
    thread.join();
  }
  return 0;
}
