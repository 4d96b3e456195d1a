// bench/uqlite-bench/report.h — what uqlite-bench prints at the end of a run.
//
// Owns: the merge of the threads' counters into one Summary and its two renderings: one line for
// people and one `key=value` line for scripts (bench/compare.sh parses it; keys are stable, new
// ones are only appended). Errors = measured answers that were not 200, 200 answers whose body
// holds "error":, and measured requests lost with a failed connection. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "bench/uqlite-bench/bench_flags.h"
#include "bench/uqlite-bench/load_thread.h"

namespace uq::bench {

struct Summary {
  Histogram latency_ns;
  int64_t answered = 0;
  int64_t non_200 = 0;
  int64_t body_errors = 0;
  int64_t lost = 0;
  int64_t conn_errors = 0;
  int64_t reopens = 0;
  double elapsed_s = 0;
  std::string first_error;

  int64_t errors() const { return non_200 + body_errors + lost; }
  int64_t ok() const { return answered - non_200 - body_errors; }
};

// elapsed_s: the measured window (see main.cc for how it ends).
Summary summarize(const std::vector<const ThreadStats*>& threads, double elapsed_s);

std::string human_line(const BenchConfig& cfg, const Summary& s);
std::string machine_line(const BenchConfig& cfg, const Summary& s);

}  // namespace uq::bench
