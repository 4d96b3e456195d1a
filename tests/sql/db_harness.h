// tests/sql/db_harness.h — a Database in a fresh temporary directory with synchronous helpers.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "sql/database.h"
#include "sql/executor.h"

namespace uq::sql::testing {

class DbHarness {
 public:
  // With `vfs`, the database is opened through that SQLite VFS (a URI path).
  explicit DbHarness(DatabaseOptions options = {}, const char* vfs = nullptr) {
    char tmpl[] = "/tmp/uq_sql_test_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    options.path = vfs == nullptr ? dir_ + "/db.sqlite"
                                  : "file:" + dir_ + "/db.sqlite?vfs=" + std::string(vfs);
    auto db = Database::open(options);
    UQ_CHECK(db.is_ok(), "open: %s", db.status().to_string().c_str());
    db_ = std::move(db.value());
  }
  ~DbHarness() {
    db_->close();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  Database& db() { return *db_; }
  const std::string& dir() const { return dir_; }

  static Request parse(const std::string& body) {
    std::string padded = body;
    padded.append(64, '\0');
    auto r = parse_request(std::string_view(padded.data(), body.size()));
    UQ_CHECK(r.is_ok(), "parse %s: %s", body.c_str(), r.status().message().c_str());
    return std::move(r.value());
  }

  Response write(Kind kind, Request request, ExecOptions options = {}) {
    std::promise<Response> p;
    auto f = p.get_future();
    bool ok = db_->submit_write(kind, std::move(request), std::move(options),
                                [&p](Response&& r) { p.set_value(std::move(r)); });
    UQ_CHECK(ok, "submit_write refused");
    return f.get();
  }
  Response read(Kind kind, Request request, ExecOptions options = {}) {
    std::promise<Response> p;
    auto f = p.get_future();
    bool ok = db_->submit_read(kind, std::move(request), std::move(options),
                               [&p](Response&& r) { p.set_value(std::move(r)); });
    UQ_CHECK(ok, "submit_read refused");
    return f.get();
  }
  bool classify(Request request) {
    std::promise<bool> p;
    auto f = p.get_future();
    bool ok =
        db_->submit_classify(std::move(request), [&p](Request&&, bool ro) { p.set_value(ro); });
    UQ_CHECK(ok, "submit_classify refused");
    return f.get();
  }

  // Body-in, body-out helpers (JSON request bodies).
  std::string execute(const std::string& body, ExecOptions options = {}) {
    return write(Kind::kExecute, parse(body), std::move(options)).body;
  }
  std::string query(const std::string& body, ExecOptions options = {}) {
    return read(Kind::kQuery, parse(body), std::move(options)).body;
  }
  // /db/request: classified first, as server/ does.
  std::string request(const std::string& body, ExecOptions options = {}) {
    Request r = parse(body);
    bool ro = classify(r);
    return ro ? read(Kind::kRequest, std::move(r), std::move(options)).body
              : write(Kind::kRequest, std::move(r), std::move(options)).body;
  }

 private:
  std::string dir_;
  std::unique_ptr<Database> db_;
};

class Pending {
 public:
  void submit(DbHarness& h, const std::string& body, ExecOptions options = {}) {
    auto p = std::make_shared<std::promise<Response>>();
    futures_.push_back(p->get_future());
    bool ok = h.db().submit_write(Kind::kExecute, DbHarness::parse(body), std::move(options),
                                  [p](Response&& r) { p->set_value(std::move(r)); });
    ASSERT_TRUE(ok);
  }
  std::vector<std::string> wait() {
    std::vector<std::string> out;
    for (auto& f : futures_) {
      out.push_back(f.get().body);
    }
    futures_.clear();
    return out;
  }

 private:
  std::vector<std::future<Response>> futures_;
};

// Holds the apply thread inside a `done` callback until release().
class Blocker {
 public:
  explicit Blocker(DbHarness& h) {
    auto released = released_.get_future().share();
    bool ok = h.db().submit_write(Kind::kExecute, DbHarness::parse(R"j(["SELECT 1"])j"), {},
                                  [this, released](Response&&) {
                                    entered_.set_value();
                                    released.wait();
                                  });
    UQ_CHECK(ok, "blocker refused");
    entered_.get_future().wait();
  }
  void release() { released_.set_value(); }

 private:
  std::promise<void> entered_;
  std::promise<void> released_;
};

inline ExecOptions assoc() {
  ExecOptions o;
  o.associative = true;
  return o;
}

}  // namespace uq::sql::testing
