// uqlite-bench: a load generator for rqlite-compatible servers (uqlited, rqlited) on io_uring.
// See docs/bench.md. Flow: parse flags, resolve, optional -setup, then -threads load threads each
// open their connections and wait at a start line; the main thread fixes the warm-up end and the
// deadline, releases them, joins them and prints one human and one machine-readable line.
#include <algorithm>
#include <cstdio>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "bench/uqlite-bench/bench_flags.h"
#include "bench/uqlite-bench/load_thread.h"
#include "bench/uqlite-bench/report.h"
#include "bench/uqlite-bench/setup.h"

namespace {

using uq::bench::BenchConfig;
using uq::bench::LoadThread;

// Runs the load threads and returns the measured window in seconds.
double run_load(const BenchConfig& cfg, uq::bench::SharedRun* shared,
                std::vector<std::unique_ptr<LoadThread>>* threads, bool* failed) {
  std::latch ready(cfg.threads);
  std::latch go(1);
  std::vector<uq::Status> init_status(static_cast<size_t>(cfg.threads));
  std::vector<std::thread> workers;
  for (int i = 0; i < cfg.threads; i++) {
    const int conns = cfg.conns / cfg.threads + (i < cfg.conns % cfg.threads ? 1 : 0);
    threads->push_back(std::make_unique<LoadThread>(shared, i, conns));
  }
  for (int i = 0; i < cfg.threads; i++) {
    workers.emplace_back([&, i] {
      LoadThread* t = (*threads)[static_cast<size_t>(i)].get();
      init_status[static_cast<size_t>(i)] = t->init();
      ready.count_down();
      go.wait();
      if (init_status[static_cast<size_t>(i)].is_ok()) {
        t->run();
      }
    });
  }
  ready.wait();
  *failed = false;
  for (const uq::Status& st : init_status) {
    if (!st.is_ok()) {
      std::fprintf(stderr, "uqlite-bench: %s\n", st.to_string().c_str());
      *failed = true;
    }
  }
  const int64_t start = uq::bench::now_ns();
  shared->start_ns = start;
  shared->measure_start_ns = start + cfg.warmup_ns;
  shared->deadline_ns = shared->measure_start_ns + cfg.duration_ns;
  if (*failed) {
    shared->deadline_ns = start;  // threads that did start stop at once
  }
  go.count_down();
  for (std::thread& w : workers) {
    w.join();
  }
  // The window ends at the deadline, or earlier when -requests were all answered before it.
  int64_t end = shared->deadline_ns;
  if (cfg.requests > 0) {
    int64_t last = shared->measure_start_ns;
    int64_t answered = 0;
    for (auto& t : *threads) {
      last = std::max(last, t->stats().last_answer_ns);
      answered += t->stats().answered + t->stats().lost;
    }
    if (answered >= cfg.requests) {
      end = std::min(end, last);
    }
  }
  return static_cast<double>(std::max<int64_t>(end - shared->measure_start_ns, 0)) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = uq::bench::parse_flags(argc, argv);
  if (!parsed.is_ok()) {
    if (parsed.status().code() == uq::Code::kNotFound) {
      std::fputs(uq::bench::usage().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "uqlite-bench: %s\n%s", parsed.status().message().c_str(),
                 uq::bench::usage().c_str());
    return 2;
  }
  const BenchConfig cfg = std::move(parsed).value();
  auto address = uq::bench::resolve_address(cfg.host, cfg.port);
  if (!address.is_ok()) {
    std::fprintf(stderr, "uqlite-bench: %s\n", address.status().message().c_str());
    return 1;
  }
  if (cfg.setup) {
    uq::Status st = uq::bench::run_setup(cfg, *address);
    if (!st.is_ok()) {
      std::fprintf(stderr, "uqlite-bench: setup: %s\n", st.message().c_str());
      return 1;
    }
  }
  uq::bench::SharedRun shared;
  shared.cfg = &cfg;
  shared.addr = address->addr;
  shared.addr_len = address->len;
  shared.budget.store(cfg.requests);
  std::vector<std::unique_ptr<LoadThread>> threads;
  bool failed = false;
  const double elapsed_s = run_load(cfg, &shared, &threads, &failed);
  if (failed) {
    return 1;
  }
  std::vector<const uq::bench::ThreadStats*> stats;
  int64_t enters = 0;
  for (auto& t : threads) {
    stats.push_back(&t->stats());
    enters += t->stats().ring_enters;
  }
  std::fprintf(stderr, "uqlite-bench: io_uring %s, %lld ring enters in all\n",
               threads.front()->ring_mode().c_str(), static_cast<long long>(enters));
  const uq::bench::Summary summary = uq::bench::summarize(stats, elapsed_s);
  std::printf("%s\n%s\n", uq::bench::human_line(cfg, summary).c_str(),
              uq::bench::machine_line(cfg, summary).c_str());
  return 0;
}
