#include "bench/uqlite-bench/request_builder.h"

#include <charconv>

namespace uq::bench {

namespace {

void append_int(uint64_t value, std::string* out) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  (void)ec;  // 24 bytes always hold a uint64
  out->append(digits, static_cast<size_t>(end - digits));
}

void append_host(const BenchConfig& cfg, std::string* out) {
  out->append("Host: ");
  if (cfg.host.find(':') != std::string::npos) {
    out->append("[").append(cfg.host).append("]");
  } else {
    out->append(cfg.host);
  }
  out->append(":");
  append_int(cfg.port, out);
  out->append("\r\n");
}

void append_head(const BenchConfig& cfg, std::string_view method, std::string_view path,
                 std::string* out) {
  out->append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  append_host(cfg, out);
}

}  // namespace

RequestBuilder::RequestBuilder(const BenchConfig& cfg, uint64_t seed)
    : cfg_(cfg), rng_state_(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {
  switch (cfg.mode) {
    case Mode::kInsert:
    case Mode::kBatch:
      path_ = "/db/execute";
      break;
    case Mode::kQueue:
      path_ = "/db/execute?queue";
      break;
    case Mode::kQuery:
      path_ = "/db/query";
      if (!cfg.level.empty()) {
        path_ += "?level=" + cfg.level;
      }
      break;
  }
  body_.reserve(static_cast<size_t>(cfg.rows_per_request()) *
                (static_cast<size_t>(cfg.value_size) + 64));
}

// xorshift64*: cheap, and a fixed seed gives the same id sequence in every run.
int64_t RequestBuilder::next_id() {
  rng_state_ ^= rng_state_ >> 12;
  rng_state_ ^= rng_state_ << 25;
  rng_state_ ^= rng_state_ >> 27;
  const uint64_t r = rng_state_ * 0x2545F4914F6CDD1Dull;
  return 1 + static_cast<int64_t>(r % static_cast<uint64_t>(cfg_.rows));
}

void RequestBuilder::append_value(uint64_t seq) {
  const size_t start = body_.size();
  append_int(seq, &body_);
  const size_t written = body_.size() - start;
  if (written < static_cast<size_t>(cfg_.value_size)) {
    body_.append(static_cast<size_t>(cfg_.value_size) - written, 'x');
  }
}

void RequestBuilder::append_insert_statement(uint64_t seq) {
  if (cfg_.param) {
    body_.append("[\"INSERT INTO bench(v) VALUES(?)\",\"");
    append_value(seq);
    body_.append("\"]");
  } else {
    body_.append("\"INSERT INTO bench(v) VALUES('");
    append_value(seq);
    body_.append("')\"");
  }
}

void RequestBuilder::append_query_statement(int64_t id) {
  if (cfg_.param) {
    body_.append("[\"SELECT id, v FROM bench WHERE id=?\",");
    append_int(static_cast<uint64_t>(id), &body_);
    body_.append("]");
  } else {
    body_.append("\"SELECT id, v FROM bench WHERE id=");
    append_int(static_cast<uint64_t>(id), &body_);
    body_.append("\"");
  }
}

void RequestBuilder::append_request(uint64_t seq, std::string* out) {
  body_.clear();
  if (cfg_.mode == Mode::kQuery && cfg_.get) {
    out->append("GET /db/query?q=SELECT%20id%2C%20v%20FROM%20bench%20WHERE%20id%3D");
    append_int(static_cast<uint64_t>(next_id()), out);
    if (!cfg_.level.empty()) {
      out->append("&level=").append(cfg_.level);
    }
    out->append(" HTTP/1.1\r\n");
    append_host(cfg_, out);
    out->append("\r\n");
    return;
  }
  body_.push_back('[');
  if (cfg_.mode == Mode::kQuery) {
    append_query_statement(next_id());
  } else {
    const int64_t count = cfg_.rows_per_request();
    for (int64_t i = 0; i < count; i++) {
      if (i > 0) {
        body_.push_back(',');
      }
      append_insert_statement(seq * static_cast<uint64_t>(count) + static_cast<uint64_t>(i));
    }
  }
  body_.push_back(']');
  append_post(cfg_, path_, body_, out);
}

void RequestBuilder::append_post(const BenchConfig& cfg, std::string_view path,
                                 std::string_view body, std::string* out) {
  append_head(cfg, "POST", path, out);
  out->append("Content-Type: application/json\r\nContent-Length: ");
  append_int(body.size(), out);
  out->append("\r\n\r\n").append(body);
}

std::string RequestBuilder::preload_body(const BenchConfig& cfg, int64_t first_id, int64_t count) {
  std::string body = "[";
  for (int64_t i = 0; i < count; i++) {
    const auto id = static_cast<uint64_t>(first_id + i);
    if (i > 0) {
      body.push_back(',');
    }
    body.append("[\"INSERT OR REPLACE INTO bench(id, v) VALUES(?, ?)\",");
    append_int(id, &body);
    body.append(",\"");
    const size_t start = body.size();
    append_int(id, &body);
    const size_t written = body.size() - start;
    if (written < static_cast<size_t>(cfg.value_size)) {
      body.append(static_cast<size_t>(cfg.value_size) - written, 'x');
    }
    body.append("\"]");
  }
  body.push_back(']');
  return body;
}

}  // namespace uq::bench
