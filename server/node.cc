#include "server/node.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "core/log.h"
#include "core/spin.h"
#include "server/clean_shutdown.h"
#include "server/http_api.h"

namespace uq::server {

namespace {
constexpr auto kShutdownGrace = std::chrono::seconds(10);
}  // namespace

Node::Node(Config config) : config_(std::move(config)) {}

Node::~Node() {
  shutdown();
}

Status Node::prepare_data_dir() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) {
    return error(Code::kIoError,
                 "failed to create data directory " + config_.data_dir + ": " + ec.message());
  }
  if (!std::filesystem::is_directory(config_.data_dir)) {
    return error(Code::kIoError, "data directory " + config_.data_dir + " is not a directory");
  }
  // Bodies streamed to disk (a /boot upload) and backups being built live in <data>/tmp, on the
  // database's filesystem so a boot file can be renamed into place; what a crash left there is
  // of no use to anyone.
  temp_dir_ = (std::filesystem::absolute(config_.data_dir) / "tmp").string();
  std::filesystem::remove_all(temp_dir_, ec);
  std::filesystem::create_directories(temp_dir_, ec);
  if (ec) {
    return error(Code::kIoError, "failed to create " + temp_dir_ + ": " + ec.message());
  }
  db_path_ = (std::filesystem::absolute(config_.data_dir) / "db.sqlite").string();
  // The log, not SQLite, is what was made durable (SQLite runs with synchronous=OFF), so the
  // database is trusted only when a clean shutdown vouched for it; otherwise it is rebuilt
  // from the newest snapshot and the log.
  reused_index_ = take_clean_marker(config_.data_dir, db_path_);
  if (reused_index_ == 0) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(db_path_ + suffix, ec);
    }
  } else {
    UQ_INFO("reusing the database of the clean shutdown (applied index %llu)",
            static_cast<unsigned long long>(reused_index_));
  }
  return Status::ok();
}

Status Node::start_reactor(int index) {
  core::ReactorOptions reactor_options;
  reactor_options.reply_spin_us = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::microseconds>(config_.handoff_poll).count());
  auto reactor = core::Reactor::create(index, reactor_options);
  if (!reactor.is_ok()) {
    return reactor.status();
  }
  ReactorSlot slot;
  slot.reactor = std::move(*reactor);
  slot.api = std::make_unique<HttpApi>(*this, *slot.reactor);
  net::HttpServerOptions options;
  options.max_body_bytes = static_cast<size_t>(config_.http_max_body_bytes);
  options.max_connections = static_cast<size_t>(config_.http_max_connections);
  // POST /boot bodies (multi-GB restores) stream into the temp directory, from where the restore
  // renames them into place; every other body is buffered (server/backup_api.cc).
  options.stream_body_dir = [dir = temp_dir_](std::string_view method, std::string_view path) {
    return method == "POST" && path == "/boot" ? std::optional<std::string>(dir) : std::nullopt;
  };
  HttpApi* api = slot.api.get();
  slot.http = std::make_unique<net::HttpServer>(
      *slot.reactor, options, [api](const net::HttpRequest& request, net::HttpResponder responder) {
        api->handle(request, responder);
      });
  api->attach(slot.http.get());
  if (index == 0) {
    UQ_RETURN_IF_ERROR(store_->attach(
        *slot.reactor, [api](std::string_view payload, net::PeerTransport::Reply reply) {
          api->handle_forwarded(payload, std::move(reply));
        }));
  }
  // Every reactor listens on the same address (SO_REUSEPORT); with port 0 the first reactor's
  // ephemeral port is shared by the rest.
  std::string addr = config_.http_addr;
  if (index > 0) {
    std::string host;
    uint16_t port = 0;
    split_host_port(addr, &host, &port);
    addr = host + ":" + std::to_string(http_port_);
  }
  Status listened = slot.http->listen(addr);
  if (!listened.is_ok()) {
    return error(listened.code(), "failed to listen on " + addr + ": " + listened.message());
  }
  if (index == 0) {
    http_port_ = slot.http->port();
  }
  core::Reactor* raw = slot.reactor.get();
  slot.thread = std::thread([raw] { raw->run(); });
  reactors_.push_back(std::move(slot));
  return Status::ok();
}

void Node::watch_cpu_pressure() {
  // Polling for a hand-off pays only while a CPU would otherwise sit idle. Measured on two
  // vCPUs: a serial reader with polling keeps some runnable thread waiting 25% of the time, c=64
  // point queries 76% (where polling cost 17% of the throughput), a serial reader beside two
  // busy loops 63%: ContentionSwitch's thresholds sit between those.
  core::HandoffPoller::set_cpus_contended(
      contention_.update(cpu_pressure_.sample(), reactors_[0].reactor->now_ms()));
  reactors_[0].reactor->add_timer(std::chrono::milliseconds(100), [this] { watch_cpu_pressure(); });
}

Status Node::start() {
  start_time_ = std::chrono::system_clock::now();
  UQ_RETURN_IF_ERROR(prepare_data_dir());
  sql::DatabaseOptions db_options;
  db_options.path = db_path_;
  db_options.foreign_keys = config_.fk;
  db_options.max_readers = static_cast<int>(config_.db_max_ro_conns);
  db_options.fsync_on_commit = false;
  db_options.reader_spin_us = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::microseconds>(config_.handoff_poll).count());
  auto db = sql::Database::open(db_options);
  if (!db.is_ok()) {
    return db.status();
  }
  db_ = std::move(*db);
  db_->set_initial_applied_index(reused_index_);
  store_ = std::make_unique<Store>(config_, *db_, counters_);
  UQ_RETURN_IF_ERROR(store_->open((std::filesystem::path(config_.data_dir) / "raft").string()));
  Store* store = store_.get();
  auto submit = [store](sql::Request&& request, sql::ExecOptions&& options,
                        sql::Database::Done done) {
    sql::Command command = sql::make_command(sql::Kind::kExecute, std::move(request), options);
    store->execute_anywhere(std::move(command), std::move(options), std::move(done));
  };
  write_queue_ =
      std::make_unique<WriteQueue>(submit, static_cast<size_t>(config_.write_queue_capacity),
                                   static_cast<size_t>(config_.write_queue_batch_size),
                                   config_.write_queue_timeout, config_.write_queue_tx);
  int count = config_.reactors > 0 ? static_cast<int>(config_.reactors)
                                   : static_cast<int>(std::thread::hardware_concurrency());
  count = std::max(count, 1);
  for (int i = 0; i < count; ++i) {
    Status started = start_reactor(i);
    if (!started.is_ok()) {
      shutdown();
      return started;
    }
  }
  if (config_.handoff_poll.count() > 0) {
    reactors_[0].reactor->post([this] { watch_cpu_pressure(); });
  }
  UQ_INFO("node %s serving HTTP on %s (port %u) with %d reactors, data in %s",
          config_.node_id.c_str(), config_.http_addr.c_str(), http_port_, count,
          config_.data_dir.c_str());
  UQ_INFO("connect using the command-line tool via 'rqlite -H %s -p %u'",
          config_.effective_http_adv_addr()
              .substr(0, config_.effective_http_adv_addr().rfind(':'))
              .c_str(),
          http_port_);
  return Status::ok();
}

void Node::shutdown() {
  if (shut_down_.exchange(true)) {
    return;
  }
  // 1. Stop accepting and let every in-flight request finish (bounded by the grace period).
  std::mutex mutex;
  std::condition_variable drained_cv;
  size_t drained = 0;
  size_t posted = 0;
  for (ReactorSlot& slot : reactors_) {
    net::HttpServer* http = slot.http.get();
    bool ok = slot.reactor->post([http, &mutex, &drained, &drained_cv] {
      http->shutdown(kShutdownGrace, [&mutex, &drained, &drained_cv] {
        std::lock_guard<std::mutex> lock(mutex);
        ++drained;
        drained_cv.notify_all();
      });
    });
    posted += ok ? 1 : 0;
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    drained_cv.wait_for(lock, kShutdownGrace + std::chrono::seconds(1),
                        [&] { return drained >= posted; });
  }
  // 2. Apply what was queued, then close the database: its queues drain, so every accepted
  // write is applied and answered.
  if (write_queue_) {
    write_queue_->close();
  }
  if (store_) {
    store_->stop();
  }
  if (db_) {
    db_->close();
    Status marked = write_clean_marker(config_.data_dir, db_path_, db_->applied_index());
    if (!marked.is_ok()) {
      UQ_WARN("no clean-shutdown marker (the next start rebuilds the database): %s",
              marked.message().c_str());
    }
  }
  // 3. Stop the reactors.
  for (ReactorSlot& slot : reactors_) {
    slot.reactor->stop();
  }
  for (ReactorSlot& slot : reactors_) {
    if (slot.thread.joinable()) {
      slot.thread.join();
    }
  }
  // The raft core's objects are referenced by its reactor's ring: free them once its thread has
  // stopped, and before the reactor itself.
  store_.reset();
  reactors_.clear();
  write_queue_.reset();
  db_.reset();
  UQ_INFO("node %s shut down", config_.node_id.c_str());
}

void Node::run_until_signal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
  UQ_INFO("received signal %d, shutting down gracefully (send again to exit at once)", received);
  // A second signal ends the process at once, whatever the graceful path is doing.
  std::thread([signals] {
    int again = 0;
    sigwait(&signals, &again);
    UQ_WARN("received signal %d again, exiting now", again);
    _exit(1);
  }).detach();
  shutdown();
}

}  // namespace uq::server
