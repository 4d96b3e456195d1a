#include "bench/uqlite-bench/report.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace uq::bench {

namespace {

double ms(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

std::string printf_string(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

std::string printf_string(const char* fmt, ...) {
  char buf[1024];
  va_list args;
  va_start(args, fmt);
  int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  if (n < 0) {
    return {};
  }
  return std::string(buf, static_cast<size_t>(std::min<int>(n, sizeof(buf) - 1)));
}

}  // namespace

Summary summarize(const std::vector<const ThreadStats*>& threads, double elapsed_s) {
  Summary s;
  s.elapsed_s = elapsed_s;
  for (const ThreadStats* t : threads) {
    s.latency_ns.merge(t->latency_ns);
    s.answered += t->answered;
    s.non_200 += t->non_200;
    s.body_errors += t->body_errors;
    s.lost += t->lost;
    s.conn_errors += t->conn_errors;
    s.reopens += t->reopens;
    if (s.first_error.empty()) {
      s.first_error = t->first_error;
    }
  }
  return s;
}

std::string human_line(const BenchConfig& cfg, const Summary& s) {
  const double secs = s.elapsed_s > 0 ? s.elapsed_s : 1;
  std::string line = printf_string(
      "uqlite-bench %s%s%s against %s:%u, %d conns x pipeline %d on %d thread(s), %.2f s: "
      "%lld requests, %lld errors (%lld non-200, %lld error bodies, %lld lost), %.1f req/s, "
      "%.1f rows/s; latency ms p50 %.3f p99 %.3f p99.9 %.3f max %.3f",
      std::string(mode_name(cfg.mode)).c_str(), cfg.param ? " param" : "",
      cfg.level.empty() ? "" : (" level=" + cfg.level).c_str(), cfg.host.c_str(), cfg.port,
      cfg.conns, cfg.pipeline, cfg.threads, s.elapsed_s, static_cast<long long>(s.answered),
      static_cast<long long>(s.errors()), static_cast<long long>(s.non_200),
      static_cast<long long>(s.body_errors), static_cast<long long>(s.lost),
      static_cast<double>(s.answered) / secs,
      static_cast<double>(s.ok() * cfg.rows_per_request()) / secs, ms(s.latency_ns.percentile(50)),
      ms(s.latency_ns.percentile(99)), ms(s.latency_ns.percentile(99.9)), ms(s.latency_ns.max()));
  if (s.conn_errors > 0) {
    line += printf_string("; %lld connection failures, first: %s",
                          static_cast<long long>(s.conn_errors), s.first_error.c_str());
  }
  return line;
}

std::string machine_line(const BenchConfig& cfg, const Summary& s) {
  const double secs = s.elapsed_s > 0 ? s.elapsed_s : 1;
  return printf_string(
      "mode=%s conns=%d requests=%lld errors=%lld rps=%.1f rows_per_s=%.1f p50_ms=%.3f "
      "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f elapsed_s=%.3f threads=%d pipeline=%d "
      "batch=%lld param=%d level=%s non200=%lld body_errors=%lld lost=%lld conn_errors=%lld "
      "reopens=%lld ok_rps=%.1f rate=%lld",
      std::string(mode_name(cfg.mode)).c_str(), cfg.conns, static_cast<long long>(s.answered),
      static_cast<long long>(s.errors()), static_cast<double>(s.answered) / secs,
      static_cast<double>(s.ok() * cfg.rows_per_request()) / secs, ms(s.latency_ns.percentile(50)),
      ms(s.latency_ns.percentile(99)), ms(s.latency_ns.percentile(99.9)), ms(s.latency_ns.max()),
      s.latency_ns.mean() / 1e6, s.elapsed_s, cfg.threads, cfg.pipeline,
      static_cast<long long>(cfg.rows_per_request()), cfg.param ? 1 : 0,
      cfg.level.empty() ? "default" : cfg.level.c_str(), static_cast<long long>(s.non_200),
      static_cast<long long>(s.body_errors), static_cast<long long>(s.lost),
      static_cast<long long>(s.conn_errors), static_cast<long long>(s.reopens),
      static_cast<double>(s.ok()) / secs, static_cast<long long>(cfg.rate));
}

}  // namespace uq::bench
