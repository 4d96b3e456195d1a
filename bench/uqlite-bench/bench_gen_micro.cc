// Micro-benchmarks of uqlite-bench's own per-request work, to show the generator costs far less
// than the server it drives: framing one response, recording one latency, building one request.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/uqlite-bench/bench_flags.h"
#include "bench/uqlite-bench/histogram.h"
#include "bench/uqlite-bench/request_builder.h"
#include "bench/uqlite-bench/response_parser.h"

namespace uq::bench {
namespace {

void BM_ParsePipelinedResponses(benchmark::State& state) {
  const std::string body = "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}";
  const std::string one =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
      "X-Rqlite-Version: v0.1.0\r\nDate: Fri, 27 Nov 2026 09:00:00 GMT\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string many;
  for (int i = 0; i < 64; i++) {
    many += one;
  }
  ResponseParser parser;
  for (auto _ : state) {
    std::string_view data(many);
    int count = 0;
    while (!data.empty()) {
      bool done = false;
      ResponseInfo info;
      if (!parser.consume(&data, &done, &info).is_ok()) {
        state.SkipWithError("parse failed");
        return;
      }
      count += done ? 1 : 0;
    }
    benchmark::DoNotOptimize(count);
  }
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(many.size()));
}
BENCHMARK(BM_ParsePipelinedResponses);

void BM_HistogramRecord(benchmark::State& state) {
  Histogram h;
  int64_t v = 12345;
  for (auto _ : state) {
    h.record(v);
    v = (v * 1103515245 + 12345) & 0xFFFFFFF;
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

void BM_BuildRequest(benchmark::State& state) {
  BenchConfig cfg;
  cfg.mode = state.range(0) == 0 ? Mode::kInsert : Mode::kBatch;
  cfg.param = true;
  RequestBuilder builder(cfg, 1);
  std::string out;
  uint64_t seq = 0;
  for (auto _ : state) {
    out.clear();
    builder.append_request(seq++, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * cfg.rows_per_request());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_BuildRequest)->Arg(0)->Arg(1);

}  // namespace
}  // namespace uq::bench
