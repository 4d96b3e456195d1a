// Parse throughput of typical requests through the HTTP codec (no sockets): the per-request CPU
// cost the server pays before the handler runs. Bytes/s counts request bytes.
#include <benchmark/benchmark.h>

#include <string>

#include "net/http_codec.h"
#include "net/http_writer.h"

namespace {

using uq::net::HttpCodec;

const std::string kGetQuery =
    "GET /db/query?q=SELECT%20*%20FROM%20foo%20WHERE%20id%3D42&level=none HTTP/1.1\r\n"
    "Host: localhost:4001\r\nUser-Agent: uqlite-bench/0.1\r\nAccept: */*\r\n\r\n";

std::string post_json_1k() {
  std::string body = "[";
  while (body.size() < 1000) {
    body += "[\"INSERT INTO foo(id, name) VALUES(?, ?)\", 12345, \"fiona\"],";
  }
  body.back() = ']';
  return "POST /db/execute?timings HTTP/1.1\r\nHost: localhost:4001\r\n"
         "User-Agent: uqlite-bench/0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Feeds batch copies of request per iteration, as a pipelining client's receive would.
void parse_requests(benchmark::State& state, const std::string& request) {
  const int batch = static_cast<int>(state.range(0));
  std::string wire;
  for (int i = 0; i < batch; ++i) {
    wire += request;
  }
  HttpCodec codec(uq::net::HttpLimits{});
  size_t parsed = 0;
  for (auto _ : state) {
    codec.append(wire);
    while (codec.next() == HttpCodec::Event::kRequest) {
      benchmark::DoNotOptimize(codec.request().body.data());
      ++parsed;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
  state.SetItemsProcessed(static_cast<int64_t>(parsed));
}

void BM_ParseGetWithQuery(benchmark::State& state) {
  parse_requests(state, kGetQuery);
}
void BM_ParsePostJson1K(benchmark::State& state) {
  parse_requests(state, post_json_1k());
}

void BM_SerializeResponse(benchmark::State& state) {
  uq::net::HttpResponse response;
  response.headers = {{"Content-Type", "application/json; charset=utf-8"},
                      {"X-Rqlite-Version", "v0.1.0"}};
  response.body = R"({"results":[{"columns":["id","name"],"types":["integer","text"],)"
                  R"("values":[[42,"fiona"]]}]})";
  std::string out;
  for (auto _ : state) {
    out.clear();
    uq::net::append_response(response, uq::net::ResponseFraming{}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK(BM_ParseGetWithQuery)->Arg(1)->Arg(16);
BENCHMARK(BM_ParsePostJson1K)->Arg(1)->Arg(16);
BENCHMARK(BM_SerializeResponse);

}  // namespace
