#include "bench/uqlite-bench/bench_flags.h"

#include <charconv>
#include <chrono>
#include <deque>
#include <functional>
#include <initializer_list>
#include <limits>

#include "core/duration.h"
#include "core/flags.h"

namespace uq::bench {

namespace {

constexpr std::string_view kAbout =
    "uqlite-bench drives an rqlite-compatible server (uqlited or rqlited) over keep-alive\n"
    "HTTP/1.1 connections on io_uring and prints throughput and latency percentiles.\n\n";

Status invalid(std::string message) {
  return error(Code::kInvalidArgument, std::move(message));
}

// Worded as FlagSet words a value it cannot parse, so every rejected value reads alike.
Status bad_value(std::string_view flag, std::string_view value, std::string_view why) {
  return invalid("invalid value \"" + std::string(value) + "\" for flag -" + std::string(flag) +
                 ": " + std::string(why));
}

Status one_of(std::string_view flag, std::string_view value,
              std::initializer_list<std::string_view> known) {
  std::string want = "want";
  for (std::string_view k : known) {
    if (value == k) {
      return Status::ok();
    }
    want += (want.size() == 4 ? " " : " | ") + std::string(k);
  }
  return bad_value(flag, value, want);
}

Status parse_addr(std::string_view text, BenchConfig* cfg) {
  size_t colon = text.rfind(':');
  int64_t port = 0;
  bool ok = colon != std::string_view::npos && colon != 0;
  if (ok) {
    std::string_view digits = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    ok = ec == std::errc() && end == digits.data() + digits.size() && port >= 1 && port <= 65535;
  }
  if (!ok) {
    return bad_value("addr", text, "want host:port with a port in [1, 65535]");
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  cfg->host = std::string(host);
  cfg->port = static_cast<uint16_t>(port);
  return Status::ok();
}

Status parse_mode(std::string_view text, Mode* mode) {
  UQ_RETURN_IF_ERROR(one_of("mode", text, {"insert", "batch", "query", "queue"}));
  for (Mode m : {Mode::kInsert, Mode::kBatch, Mode::kQuery, Mode::kQueue}) {
    if (mode_name(m) == text) {
      *mode = m;
    }
  }
  return Status::ok();
}

// FlagSet parses into int64_t and nanoseconds, while BenchConfig has narrower fields and each
// number a range. Binder registers every flag on one FlagSet, numbers over staging values
// initialised from BenchConfig's defaults (the one place defaults live), and after parsing checks
// the ranges and the string values and stores them into the config.
class Binder {
 public:
  explicit Binder(BenchConfig* cfg);
  Binder(const Binder&) = delete;
  Binder& operator=(const Binder&) = delete;

  FlagSet& flags() { return flags_; }
  // After flags().parse(): range and value checks of single flags, then into *cfg.
  Status store();

 private:
  struct IntFlag {
    std::string name;
    int64_t value;
    int64_t lo;
    int64_t hi;
    std::function<void(int64_t)> store;
  };
  struct DurationFlag {
    std::string name;
    std::chrono::nanoseconds value;
    int64_t* target;
  };

  template <typename T>
  void add_int(std::string name, T* field, int64_t lo, int64_t hi, std::string help) {
    ints_.push_back({name, static_cast<int64_t>(*field), lo, hi,
                     [field](int64_t v) { *field = static_cast<T>(v); }});
    flags_.add_int(std::move(name), &ints_.back().value, std::move(help));
  }
  void add_duration(std::string name, int64_t* field, std::string help) {
    durations_.push_back({name, std::chrono::nanoseconds(*field), field});
    flags_.add_duration(std::move(name), &durations_.back().value, std::move(help));
  }

  BenchConfig* cfg_;
  FlagSet flags_{"uqlite-bench"};
  // Deques: FlagSet keeps pointers to the staging values, so elements must not move.
  std::deque<IntFlag> ints_;
  std::deque<DurationFlag> durations_;
  std::string addr_;
  std::string mode_;
};

Binder::Binder(BenchConfig* cfg)
    : cfg_(cfg), addr_(cfg->host + ":" + std::to_string(cfg->port)), mode_(mode_name(cfg->mode)) {
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
  flags_.add_string("addr", &addr_, "host:port of the server ([::1]:4001 for IPv6)");
  flags_.add_string("mode", &mode_, "insert | batch | query | queue");
  add_int("conns", &cfg->conns, 1, 100000, "keep-alive connections in total");
  add_int("threads", &cfg->threads, 1, 256, "load threads, one io_uring each");
  add_int("pipeline", &cfg->pipeline, 1, 256, "requests in flight per connection");
  add_duration("duration", &cfg->duration_ns, "measured time after warm-up");
  add_int("requests", &cfg->requests, 0, kInt64Max,
          "stop after this many measured requests; 0 = no limit");
  add_duration("warmup", &cfg->warmup_ns, "unmeasured warm-up before the run");
  add_int("batch", &cfg->batch, 1, 100000,
          "statements per request in batch mode, rows per preload request");
  flags_.add_bool("param", &cfg->param, "parameterised statements instead of literal SQL");
  flags_.add_bool("get", &cfg->get, "query mode: GET /db/query?q= instead of POST");
  flags_.add_bool("setup", &cfg->setup,
                  "create the table first; query mode also preloads -rows rows");
  add_int("rows", &cfg->rows, 1, kInt32Max * 1024, "query mode: ids are drawn from [1, rows]");
  add_int("value-size", &cfg->value_size, 1, 1 << 20, "bytes of the TEXT value per row");
  flags_.add_string("level", &cfg->level,
                    "query mode: none | weak | linearizable | strong | auto (default: the "
                    "server's)");
  add_int("seed", &cfg->seed, 0, kInt64Max, "seed of the id generator");
  add_int("rate", &cfg->rate, 0, 100'000'000,
          "open loop: requests/s in total, latency from the due time; 0 = closed loop");
  add_duration("timeout", &cfg->timeout_ns, "bound on each connect and each setup request");
}

Status Binder::store() {
  for (const IntFlag& f : ints_) {
    if (f.value < f.lo || f.value > f.hi) {
      return bad_value(f.name, std::to_string(f.value),
                       "outside [" + std::to_string(f.lo) + ", " + std::to_string(f.hi) + "]");
    }
    f.store(f.value);
  }
  for (const DurationFlag& f : durations_) {
    // core/duration accepts a sign, as Go does; a negative wait or bound means nothing here.
    if (f.value.count() < 0) {
      return bad_value(f.name, format_duration(f.value), "negative duration");
    }
    *f.target = f.value.count();
  }
  UQ_RETURN_IF_ERROR(parse_addr(addr_, cfg_));
  UQ_RETURN_IF_ERROR(parse_mode(mode_, &cfg_->mode));
  if (!cfg_->level.empty()) {
    UQ_RETURN_IF_ERROR(
        one_of("level", cfg_->level, {"none", "weak", "linearizable", "strong", "auto"}));
  }
  return Status::ok();
}

// Checks across flags.
Status validate(const BenchConfig& cfg) {
  if (cfg.rate > 0 && cfg.rate < cfg.threads) {
    return invalid("-rate must be at least -threads (one request per second per thread)");
  }
  if (cfg.threads > cfg.conns) {
    return invalid("-threads must not exceed -conns");
  }
  if (cfg.duration_ns <= 0) {
    return invalid("-duration must be positive");
  }
  if (cfg.get && cfg.mode != Mode::kQuery) {
    return invalid("-get applies to -mode query only");
  }
  if (cfg.get && cfg.param) {
    return invalid("-get cannot carry parameters: drop -param or -get");
  }
  if (!cfg.level.empty() && cfg.mode != Mode::kQuery) {
    return invalid("-level applies to -mode query only");
  }
  return Status::ok();
}

}  // namespace

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::kInsert:
      return "insert";
    case Mode::kBatch:
      return "batch";
    case Mode::kQuery:
      return "query";
    case Mode::kQueue:
      return "queue";
  }
  return "?";
}

Result<BenchConfig> parse_flags(int argc, const char* const* argv) {
  BenchConfig cfg;
  Binder binder(&cfg);
  UQ_RETURN_IF_ERROR(binder.flags().parse(argc, argv));
  if (binder.flags().help_requested()) {
    return error(Code::kNotFound, "help requested");
  }
  // The generator takes no operands; FlagSet stops at the first one, so anything after it is
  // unread and a run would silently ignore it.
  if (!binder.flags().positional().empty()) {
    return invalid("unexpected argument: " + binder.flags().positional().front());
  }
  UQ_RETURN_IF_ERROR(binder.store());
  UQ_RETURN_IF_ERROR(validate(cfg));
  return cfg;
}

std::string usage() {
  BenchConfig defaults;
  Binder binder(&defaults);
  return std::string(kAbout) + binder.flags().usage();
}

}  // namespace uq::bench
