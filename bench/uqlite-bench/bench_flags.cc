#include "bench/uqlite-bench/bench_flags.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace uq::bench {

namespace {

enum class Kind { kBool, kInt, kDuration, kString };

struct FlagSpec {
  std::string_view name;
  Kind kind;
  std::string_view help;
};

constexpr FlagSpec kFlags[] = {
    {"addr", Kind::kString, "host:port of the server (default 127.0.0.1:4001)"},
    {"mode", Kind::kString, "insert | batch | query | queue (default insert)"},
    {"conns", Kind::kInt, "keep-alive connections in total (default 64)"},
    {"threads", Kind::kInt, "load threads, one io_uring each (default 1)"},
    {"pipeline", Kind::kInt, "requests in flight per connection (default 1)"},
    {"duration", Kind::kDuration, "measured time after warm-up (default 10s)"},
    {"requests", Kind::kInt, "stop after this many measured requests; 0 = no limit (default 0)"},
    {"warmup", Kind::kDuration, "unmeasured warm-up before the run (default 1s)"},
    {"batch", Kind::kInt, "statements per request in batch mode, rows per preload (default 1000)"},
    {"param", Kind::kBool, "parameterised statements instead of literal SQL"},
    {"get", Kind::kBool, "query mode: GET /db/query?q= instead of POST"},
    {"setup", Kind::kBool, "create the table first; query mode also preloads -rows rows"},
    {"rows", Kind::kInt, "query mode: ids are drawn from [1, rows] (default 10000)"},
    {"value-size", Kind::kInt, "bytes of the TEXT value per row (default 16)"},
    {"level", Kind::kString, "read consistency: none | weak | linearizable | strong | auto"},
    {"seed", Kind::kInt, "seed of the id generator (default 1)"},
    {"rate", Kind::kInt,
     "open loop: requests/s in total, latency from the due time (default 0: closed loop)"},
    {"timeout", Kind::kDuration, "bound on each connect and each setup request (default 10s)"},
};

const FlagSpec* find_flag(std::string_view name) {
  for (const FlagSpec& spec : kFlags) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

Status invalid(std::string message) {
  return error(Code::kInvalidArgument, std::move(message));
}

Result<int64_t> parse_int(std::string_view name, std::string_view text, int64_t lo, int64_t hi) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return invalid("-" + std::string(name) + ": not an integer: " + std::string(text));
  }
  if (value < lo || value > hi) {
    return invalid("-" + std::string(name) + ": " + std::string(text) + " is outside [" +
                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return value;
}

Result<bool> parse_bool(std::string_view name, std::string_view text) {
  if (text == "true" || text == "1" || text == "t" || text == "TRUE" || text == "True") {
    return true;
  }
  if (text == "false" || text == "0" || text == "f" || text == "FALSE" || text == "False") {
    return false;
  }
  return invalid("-" + std::string(name) + ": not a boolean: " + std::string(text));
}

Status parse_addr(std::string_view text, BenchConfig* cfg) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return invalid("-addr: want host:port, got " + std::string(text));
  }
  auto port = parse_int("addr", text.substr(colon + 1), 1, 65535);
  if (!port.is_ok()) {
    return port.status();
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  cfg->host = std::string(host);
  cfg->port = static_cast<uint16_t>(*port);
  return Status::ok();
}

Status parse_mode(std::string_view text, Mode* mode) {
  for (Mode m : {Mode::kInsert, Mode::kBatch, Mode::kQuery, Mode::kQueue}) {
    if (mode_name(m) == text) {
      *mode = m;
      return Status::ok();
    }
  }
  return invalid("-mode: want insert, batch, query or queue, got " + std::string(text));
}

Status parse_level(std::string_view text, std::string* level) {
  for (std::string_view known : {"none", "weak", "linearizable", "strong", "auto"}) {
    if (text == known) {
      *level = std::string(text);
      return Status::ok();
    }
  }
  return invalid("-level: want none, weak, linearizable, strong or auto, got " + std::string(text));
}

// Applies one flag whose value is already known (booleans arrive as "true" when bare).
Status apply_flag(const FlagSpec& spec, std::string_view value, BenchConfig* cfg) {
  const std::string_view n = spec.name;
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  auto set_int = [&](int64_t lo, int64_t hi, auto* field) -> Status {
    auto parsed = parse_int(n, value, lo, hi);
    if (!parsed.is_ok()) {
      return parsed.status();
    }
    *field = static_cast<std::remove_pointer_t<decltype(field)>>(*parsed);
    return Status::ok();
  };
  if (spec.kind == Kind::kBool) {
    auto b = parse_bool(n, value);
    if (!b.is_ok()) {
      return b.status();
    }
    (n == "param" ? cfg->param : n == "get" ? cfg->get : cfg->setup) = *b;
    return Status::ok();
  }
  if (spec.kind == Kind::kDuration) {
    auto d = parse_duration(value);
    if (!d.is_ok()) {
      return invalid("-" + std::string(n) + ": " + d.status().message());
    }
    (n == "duration" ? cfg->duration_ns : n == "warmup" ? cfg->warmup_ns : cfg->timeout_ns) = *d;
    return Status::ok();
  }
  if (n == "addr") {
    return parse_addr(value, cfg);
  }
  if (n == "mode") {
    return parse_mode(value, &cfg->mode);
  }
  if (n == "level") {
    return parse_level(value, &cfg->level);
  }
  if (n == "conns") {
    return set_int(1, 100000, &cfg->conns);
  }
  if (n == "threads") {
    return set_int(1, 256, &cfg->threads);
  }
  if (n == "pipeline") {
    return set_int(1, 256, &cfg->pipeline);
  }
  if (n == "requests") {
    return set_int(0, std::numeric_limits<int64_t>::max(), &cfg->requests);
  }
  if (n == "batch") {
    return set_int(1, 100000, &cfg->batch);
  }
  if (n == "rows") {
    return set_int(1, kIntMax * 1024, &cfg->rows);
  }
  if (n == "value-size") {
    return set_int(1, 1 << 20, &cfg->value_size);
  }
  if (n == "rate") {
    return set_int(0, 100'000'000, &cfg->rate);
  }
  if (n == "seed") {
    return set_int(0, std::numeric_limits<int64_t>::max(), &cfg->seed);
  }
  return invalid("unhandled flag -" + std::string(n));
}

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

Result<int64_t> parse_duration(std::string_view text) {
  if (text == "0") {
    return int64_t{0};
  }
  if (text.empty()) {
    return invalid("empty duration");
  }
  struct Unit {
    std::string_view suffix;
    double ns;
  };
  // Longer suffixes first so "ms" is not read as "m".
  constexpr Unit kUnits[] = {{"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
                             {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  std::string_view rest = text;
  double total = 0;
  while (!rest.empty()) {
    size_t i = 0;
    while (i < rest.size() && ((rest[i] >= '0' && rest[i] <= '9') || rest[i] == '.')) {
      i++;
    }
    if (i == 0) {
      return invalid("bad duration: " + std::string(text));
    }
    double number = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + i, number);
    if (ec != std::errc() || ptr != rest.data() + i) {
      return invalid("bad duration: " + std::string(text));
    }
    rest.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (rest.substr(0, u.suffix.size()) == u.suffix) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      return invalid("missing unit in duration: " + std::string(text));
    }
    rest.remove_prefix(unit->suffix.size());
    total += number * unit->ns;
  }
  if (total > 1e18) {
    return invalid("duration too long: " + std::string(text));
  }
  return static_cast<int64_t>(std::llround(total));
}

Result<BenchConfig> parse_flags(int argc, const char* const* argv) {
  BenchConfig cfg;
  for (int i = 1; i < argc; i++) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      return invalid("unexpected argument: " + std::string(arg));
    }
    arg.remove_prefix(arg.substr(0, 2) == "--" ? 2 : 1);
    if (arg == "h" || arg == "help") {
      return error(Code::kNotFound, "help requested");
    }
    size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    const FlagSpec* spec = find_flag(name);
    if (spec == nullptr) {
      return invalid("flag provided but not defined: -" + std::string(name));
    }
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (spec->kind == Kind::kBool) {
      value = "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return invalid("flag needs an argument: -" + std::string(name));
    }
    UQ_RETURN_IF_ERROR(apply_flag(*spec, value, &cfg));
  }
  UQ_RETURN_IF_ERROR(validate(cfg));
  return cfg;
}

std::string usage() {
  std::string out =
      "usage: uqlite-bench [flags]\n"
      "Drives an rqlite-compatible server (uqlited or rqlited) over keep-alive HTTP/1.1\n"
      "connections on io_uring and prints throughput and latency percentiles.\n\n";
  for (const FlagSpec& spec : kFlags) {
    out += "  -";
    out += spec.name;
    out += std::string(spec.name.size() < 12 ? 12 - spec.name.size() : 1, ' ');
    out += spec.help;
    out += '\n';
  }
  return out;
}

}  // namespace uq::bench
