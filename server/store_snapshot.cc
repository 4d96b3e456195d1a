// The raft core's snapshots: taking them (every -raft-snap entries, or POST /snapshot),
// compacting the log behind them, shipping them to followers that fell behind the compacted
// prefix (InstallSnapshot, in zstd-compressed chunks with an end-to-end checksum), installing a
// received one, and starting from the newest at boot. Same threads as store.cc: reactor 0,
// except where noted.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>

#include "core/bytes.h"
#include "core/log.h"
#include "raft/codec.h"
#include "server/counters.h"
#include "server/store.h"

namespace uq::server {

namespace {

constexpr uint8_t kConfBlobVersion = 1;
constexpr size_t kChunkBytes = 1u << 20;
constexpr auto kChunkTimeout = std::chrono::seconds(10);

void put_ids(std::string* out, const std::vector<raft::NodeId>& ids) {
  core::put_varint(out, ids.size());
  for (raft::NodeId id : ids) {
    core::put_u64(out, id.value);
  }
}

// Copies a snapshot's database file for a restore; a copy that takes longer than a second says
// how far it is, once a second (bytes, %, rate), so a long start-up is not mistaken for a hang.
Status copy_with_progress(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return error(Code::kIoError, "opening snapshot " + from + ": " + std::strerror(errno));
  }
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    return error(Code::kIoError, "creating " + to + ": " + std::strerror(errno));
  }
  struct stat st {};
  ::fstat(in, &st);
  uint64_t total = static_cast<uint64_t>(st.st_size);
  std::string buffer(8u << 20, '\0');
  auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  uint64_t done = 0;
  Status status;
  for (;;) {
    ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n == 0) {
      break;
    }
    if (n < 0 || ::write(out, buffer.data(), static_cast<size_t>(n)) != n) {
      status = error(Code::kIoError, "copying snapshot " + from + ": " + std::strerror(errno));
      break;
    }
    done += static_cast<uint64_t>(n);
    auto now = std::chrono::steady_clock::now();
    if (now - last_report >= std::chrono::seconds(1)) {
      last_report = now;
      double seconds = std::chrono::duration<double>(now - start).count();
      UQ_INFO("restoring snapshot %s: %llu of %llu MB (%d%%), %.0f MB/s", from.c_str(),
              static_cast<unsigned long long>(done >> 20),
              static_cast<unsigned long long>(total >> 20),
              total == 0 ? 100 : static_cast<int>(done * 100 / total),
              static_cast<double>(done >> 20) / seconds);
    }
  }
  ::close(in);
  ::close(out);
  return status;
}

std::vector<raft::NodeId> read_ids(core::ByteReader* r) {
  std::vector<raft::NodeId> ids;
  uint64_t n = r->varint();
  for (uint64_t i = 0; i < n && r->ok() && r->remaining() >= 8; ++i) {
    ids.emplace_back(r->u64());
  }
  return ids;
}

}  // namespace

std::string Store::encode_conf_blob(const raft::ConfState& conf) const {
  std::string out;
  core::put_u8(&out, kConfBlobVersion);
  put_ids(&out, conf.voters);
  put_ids(&out, conf.learners);
  core::put_varint(&out, members_.size());
  for (const auto& [id, member] : members_) {
    core::put_bytes_varint(&out, encode_member(member));
  }
  return out;
}

bool Store::decode_conf_blob(std::string_view blob, raft::ConfState* conf) {
  core::ByteReader r(blob);
  if (r.u8() != kConfBlobVersion) {
    return false;
  }
  conf->voters = read_ids(&r);
  conf->learners = read_ids(&r);
  uint64_t n = r.varint();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    auto m = decode_member(r.bytes_varint());
    if (m) {
      members_[raft_id_of(m->id).value] = *m;
    }
  }
  return r.ok() && r.remaining() == 0;
}

// Boot: the newest snapshot, if any, becomes the database and the start of the log.
Status Store::load_snapshot(raft::DurableState* durable) {
  auto latest = snapshots_->latest();
  if (!latest.is_ok()) {
    return latest.status();
  }
  if (!latest->has_value()) {
    return Status::ok();
  }
  const sql::SnapshotMeta& meta = **latest;
  raft::ConfState conf;
  if (!decode_conf_blob(meta.conf, &conf)) {
    return error(Code::kCorruption,
                 "snapshot " + snapshots_->db_path(meta) + ": configuration does not decode");
  }
  durable->snapshot = raft::SnapshotMeta{raft::LogIndex(meta.index), raft::Term(meta.term), conf};
  snapshot_index_ = meta.index;
  snapshot_term_ = meta.term;
  publish_snapshots();
  if (db_.applied_index() >= meta.index) {
    counters_.add("store", "num_restores_start_skipped");
    return Status::ok();  // the database kept from a clean shutdown is at least as new
  }
  // Verified where it lies, so a damaged snapshot is reported under its own name; the copy is
  // then not checksummed again.
  UQ_RETURN_IF_ERROR(snapshots_->verify(meta));
  // The snapshot's own file stays as it is (a follower may need it): restore from a copy.
  std::string copy = snapshots_->new_db_path();
  UQ_RETURN_IF_ERROR(copy_with_progress(snapshots_->db_path(meta), copy));
  std::promise<Status> restored;
  db_.submit_restore(copy, meta.index, 0,
                     [&restored](Status s) { restored.set_value(std::move(s)); });
  UQ_RETURN_IF_ERROR(restored.get_future().get());
  UQ_INFO("restored snapshot at index %llu (%llu bytes)",
          static_cast<unsigned long long>(meta.index),
          static_cast<unsigned long long>(meta.db_bytes));
  counters_.add("store", "num_restores_start");
  return Status::ok();
}

void Store::request_snapshot(uint64_t trailing, StatusDone done) {
  run_on_core([this, trailing, done = std::move(done)]() mutable {
    take_snapshot(false, trailing, std::move(done));
  });
}

void Store::take_snapshot(bool force, uint64_t trailing, StatusDone done) {
  if (snapshot_running_) {
    done(error(Code::kUnavailable, "a snapshot is already being taken"));
    return;
  }
  if (!force && db_.applied_index() <= snapshot_index_) {
    done(error(Code::kNotFound, "nothing new to snapshot"));
    return;
  }
  snapshot_running_ = true;
  std::string path = snapshots_->new_db_path();
  db_.submit_snapshot(path, [this, done, path, force,
                             trailing](Result<sql::SnapshotResult> taken) mutable {
    // Snapshot thread: the copy is on disk; finish on the raft core.
    run_on_core([this, taken = std::move(taken), done, path, force, trailing]() mutable {
      snapshot_running_ = false;
      Status s = taken.is_ok() ? finish_snapshot(*taken, path, force, trailing) : taken.status();
      if (!s.is_ok()) {
        UQ_ERROR("snapshot failed: %s", s.to_string().c_str());
      }
      done(s);
    });
  });
}

Status Store::finish_snapshot(const sql::SnapshotResult& taken, const std::string& path, bool force,
                              uint64_t trailing) {
  // Forced (after /boot changed the database outside the log): the snapshot at the same index
  // replaces the old one.
  if (stopped_ || taken.index < snapshot_index_ || (taken.index == snapshot_index_ && !force)) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return Status::ok();
  }
  if (taken.index == snapshot_index_ && snapshot_index_ > 0) {
    sql::SnapshotMeta meta;
    meta.index = taken.index;
    meta.term = snapshot_term_;
    meta.db_bytes = taken.bytes;
    meta.db_checksum = taken.checksum;
    meta.conf = encode_conf_blob(node_->log().snapshot().conf);
    UQ_RETURN_IF_ERROR(snapshots_->commit(path, meta));
    publish_snapshots();
    return Status::ok();
  }
  // Compact the in-memory log exactly at the snapshot: raft then describes this very snapshot
  // (index, term, configuration at that index) to a follower that needs it.
  node_->compact(raft::LogIndex(taken.index), trailing);
  const raft::SnapshotMeta& raft_meta = node_->log().snapshot();
  if (raft_meta.index.value != taken.index) {
    return error(Code::kInternal, "raft did not compact at the snapshot index");
  }
  sql::SnapshotMeta meta;
  meta.index = taken.index;
  meta.term = raft_meta.term.value;
  meta.db_bytes = taken.bytes;
  meta.db_checksum = taken.checksum;
  meta.conf = encode_conf_blob(raft_meta.conf);
  UQ_RETURN_IF_ERROR(snapshots_->commit(path, meta));
  // Durable snapshot first, then the log behind it may go: the WAL keeps what the in-memory log
  // keeps (the trailing entries too, though a restart starts its log after the snapshot).
  raft::LogIndex kept_after = node_->log().first_index() - 1;
  if (kept_after.value >= log_->first_index()) {
    UQ_RETURN_IF_ERROR(
        log_->compact_prefix(kept_after.value, node_->log().term_at(kept_after)->value));
  }
  snapshot_index_ = meta.index;
  snapshot_term_ = meta.term;
  log_bytes_since_snapshot_ = 0;  // about: what was appended during the copy is forgotten
  auto reaped = snapshots_->reap(1);
  if (!reaped.is_ok()) {
    UQ_WARN("reaping old snapshots: %s", reaped.status().to_string().c_str());
  }
  publish_snapshots();
  counters_.add("store", "num_snapshots");
  counters_.add("snapshot", "num_created");
  counters_.add("store", "num_compactions");
  UQ_INFO("snapshot at index %llu (%llu bytes); log compacted",
          static_cast<unsigned long long>(meta.index),
          static_cast<unsigned long long>(meta.db_bytes));
  publish_numbers();
  return Status::ok();
}

// Automatic snapshots keep rqlite's trailing entries, but no more of them than
// -raft-snap-wal-size bytes: with large entries, 10240 of them could hold gigabytes.
uint64_t Store::auto_trailing(uint64_t index) const {
  if (config_.raft_snap_wal_size <= 0) {
    return kAutoTrailingLogs;
  }
  const raft::RaftLog& log = node_->log();
  uint64_t budget = static_cast<uint64_t>(config_.raft_snap_wal_size);
  uint64_t kept = 0;
  uint64_t bytes = 0;
  while (kept < kAutoTrailingLogs && index > kept && index - kept >= log.first_index().value) {
    bytes += log.at(raft::LogIndex(index - kept)).data.size();
    if (bytes > budget) {
      break;
    }
    ++kept;
  }
  return kept;
}

void Store::maybe_auto_snapshot() {
  // Conditions are checked every -raft-snap-int, as rqlite does. A snapshot copies the whole
  // database (writes go on, but the copy competes with them for the disk), so it also waits
  // until ten times the last one's duration has passed: copies then take at most about a tenth
  // of the time, however large the database grows.
  int64_t now = reactor_->now_ms();
  if (snapshot_running_ || config_.raft_snap <= 0 || now < next_snapshot_check_ms_) {
    return;
  }
  next_snapshot_check_ms_ =
      now +
      std::max<int64_t>(
          1, std::chrono::duration_cast<std::chrono::milliseconds>(config_.raft_snap_int).count());
  uint64_t applied = db_.applied_index();
  // -raft-snap-wal-size is rqlite's SQLite-WAL trigger; the apply thread here checkpoints the
  // SQLite WAL on its own, so the bytes that pile up are the Raft log's: the same threshold
  // bounds them, so large entries cannot grow the log far beyond it before a snapshot.
  bool by_entries = applied >= snapshot_index_ + static_cast<uint64_t>(config_.raft_snap);
  bool by_bytes = config_.raft_snap_wal_size > 0 &&
                  log_bytes_since_snapshot_ >= static_cast<uint64_t>(config_.raft_snap_wal_size);
  if ((by_entries || by_bytes) && applied > snapshot_index_ && now >= snapshot_allowed_ms_) {
    int64_t started = now;
    take_snapshot(false, auto_trailing(applied), [this, started](const Status&) {
      int64_t took = reactor_->now_ms() - started;
      snapshot_allowed_ms_ = reactor_->now_ms() + 9 * took;
    });
  }
}

// ---- InstallSnapshot: the sending side ------------------------------------------------------

struct Store::Transfer {
  raft::Message message;
  std::string addr;
  int fd = -1;
  uint64_t offset = 0;
  sql::SnapshotMeta meta;
  ~Transfer() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

void Store::send_snapshot(const raft::Message& m, const std::string& addr) {
  uint64_t peer = m.to.value;
  if (transfers_.contains(peer)) {
    return;  // one at a time per follower
  }
  auto latest = snapshots_->latest();
  if (!latest.is_ok() || !latest->has_value() || (**latest).index != m.snapshot.index.value) {
    UQ_WARN("no snapshot at index %llu to send to %s",
            static_cast<unsigned long long>(m.snapshot.index.value), addr.c_str());
    node_->report_snapshot(m.to, false);
    return;
  }
  auto transfer = std::make_shared<Transfer>();
  transfer->message = m;
  transfer->addr = addr;
  transfer->meta = **latest;
  // An open descriptor keeps the file readable even if a newer snapshot reaps it meanwhile.
  transfer->fd = ::open(snapshots_->db_path(transfer->meta).c_str(), O_RDONLY | O_CLOEXEC);
  if (transfer->fd < 0) {
    node_->report_snapshot(m.to, false);
    return;
  }
  transfers_[peer] = transfer;
  UQ_INFO("sending snapshot at index %llu (%llu bytes) to %s",
          static_cast<unsigned long long>(transfer->meta.index),
          static_cast<unsigned long long>(transfer->meta.db_bytes), addr.c_str());
  send_next_chunk(transfer);
}

void Store::send_next_chunk(std::shared_ptr<Transfer> transfer) {
  uint64_t peer = transfer->message.to.value;
  auto fail = [this, peer](const std::string& why) {
    UQ_WARN("snapshot transfer to %s failed: %s", transfers_[peer]->addr.c_str(), why.c_str());
    transfers_.erase(peer);
    node_->report_snapshot(raft::NodeId(peer), false);
    schedule_ready();
  };
  const sql::SnapshotMeta& meta = transfer->meta;
  size_t want =
      static_cast<size_t>(std::min<uint64_t>(kChunkBytes, meta.db_bytes - transfer->offset));
  std::string raw(want, '\0');
  ssize_t n =
      want == 0 ? 0 : ::pread(transfer->fd, raw.data(), want, static_cast<off_t>(transfer->offset));
  if (n != static_cast<ssize_t>(want)) {
    fail("short read of the snapshot file");
    return;
  }
  std::string compressed(ZSTD_compressBound(raw.size()), '\0');
  size_t z = ZSTD_compress(compressed.data(), compressed.size(), raw.data(), raw.size(), 1);
  if (ZSTD_isError(z)) {
    fail(ZSTD_getErrorName(z));
    return;
  }
  compressed.resize(z);
  std::string payload;
  core::put_u64(&payload, meta.index);
  core::put_u64(&payload, meta.term);
  core::put_u64(&payload, meta.db_bytes);
  core::put_u64(&payload, meta.db_checksum);
  core::put_u64(&payload, transfer->offset);
  core::put_u64(&payload, raw.size());
  core::put_bytes_varint(&payload, meta.conf);
  core::put_bytes_varint(&payload, compressed);
  uint64_t next_offset = transfer->offset + raw.size();
  transport_->call(transfer->addr, static_cast<uint8_t>(PeerMethod::kSnapshotChunk),
                   std::move(payload), kChunkTimeout,
                   [this, transfer, next_offset, fail](Result<std::string> answer) {
                     if (stopped_) {
                       return;
                     }
                     if (!answer.is_ok()) {
                       fail(answer.status().message());
                       return;
                     }
                     transfer->offset = next_offset;
                     if (next_offset < transfer->meta.db_bytes) {
                       send_next_chunk(transfer);
                       return;
                     }
                     // The follower holds the snapshot durably: now raft may tell it to use it.
                     uint64_t peer = transfer->message.to.value;
                     std::string bytes(1, kTagRaft);
                     raft::encode_message(transfer->message, &bytes);
                     transport_->send(transfer->addr, std::move(bytes));
                     transfers_.erase(peer);
                     node_->report_snapshot(raft::NodeId(peer), true);
                     counters_.add("peers", "snapshots_sent");
                     schedule_ready();
                   });
}

// ---- InstallSnapshot: the receiving side ----------------------------------------------------

void Store::handle_snapshot_chunk(std::string_view payload, net::PeerTransport::Reply reply) {
  core::ByteReader r(payload);
  sql::SnapshotMeta meta;
  meta.index = r.u64();
  meta.term = r.u64();
  meta.db_bytes = r.u64();
  meta.db_checksum = r.u64();
  uint64_t offset = r.u64();
  uint64_t raw_size = r.u64();
  meta.conf = r.bytes_varint();
  std::string_view compressed = r.bytes_varint();
  if (!r.ok() || r.remaining() != 0 || raw_size > kChunkBytes ||
      offset + raw_size > meta.db_bytes) {
    reply.fail(Code::kCorruption, "bad snapshot chunk");
    return;
  }
  if (offset == 0) {
    incoming_ = std::make_unique<Incoming>();
    incoming_->path = snapshots_->new_db_path();
    incoming_->fd = ::open(incoming_->path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    incoming_->meta = meta;
  }
  if (!incoming_ || incoming_->fd < 0 || incoming_->meta.index != meta.index ||
      incoming_->next_offset != offset) {
    reply.fail(Code::kInvalidArgument, "snapshot chunk out of order");
    incoming_.reset();
    return;
  }
  std::string raw(raw_size, '\0');
  size_t got = ZSTD_decompress(raw.data(), raw.size(), compressed.data(), compressed.size());
  if (!ZSTD_isError(got) && got > 0 && corrupt_next_chunk_) {
    // Test hook (UQ_TEST_CORRUPT_SNAPSHOT_CHUNK): damage one received chunk, once, as a bad
    // disk or memory would; the end-to-end checksum must catch it.
    corrupt_next_chunk_ = false;
    raw[got / 2] = static_cast<char>(raw[got / 2] ^ 0x5a);
  }
  if (ZSTD_isError(got) || got != raw_size ||
      ::pwrite(incoming_->fd, raw.data(), raw.size(), static_cast<off_t>(offset)) !=
          static_cast<ssize_t>(raw.size())) {
    reply.fail(Code::kCorruption, "snapshot chunk does not decompress or cannot be written");
    incoming_.reset();
    return;
  }
  incoming_->next_offset += raw_size;
  if (incoming_->next_offset < meta.db_bytes) {
    reply.send("");
    return;
  }
  // Whole file received: it must be exactly what the leader checksummed before it counts.
  ::close(incoming_->fd);
  incoming_->fd = -1;
  std::string path = incoming_->path;
  auto digest = sql::digest_file(path, /*fsync_file=*/true);
  Status accepted = !digest.is_ok() ? digest.status()
                    : digest->bytes != meta.db_bytes || digest->checksum != meta.db_checksum
                        ? error(Code::kCorruption, "snapshot checksum mismatch")
                        : Status::ok();
  if (accepted.is_ok()) {
    accepted = snapshots_->commit(path, meta);
    incoming_->path.clear();  // consumed by commit, or to be removed with incoming_
  }
  incoming_.reset();
  if (!accepted.is_ok()) {
    UQ_WARN("received snapshot at index %llu rejected: %s",
            static_cast<unsigned long long>(meta.index), accepted.to_string().c_str());
    counters_.add("peers", "snapshots_rejected");
    reply.fail(Code::kCorruption, accepted.message());
    return;
  }
  counters_.add("peers", "snapshots_received");
  publish_snapshots();
  reply.send("");
}

Store::Incoming::~Incoming() {
  if (fd >= 0) {
    ::close(fd);
  }
  if (!path.empty()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
}

// Ready.snapshot on a follower: raft has adopted the leader's snapshot (whose file arrived
// first, in chunks); the database and the log follow.
void Store::install_snapshot(const raft::SnapshotMeta& raft_meta) {
  auto latest = snapshots_->latest();
  if (!latest.is_ok() || !latest->has_value() || (**latest).index != raft_meta.index.value) {
    fatal("raft installed snapshot " + std::to_string(raft_meta.index.value) +
          " but it is not in the snapshot store");
    return;
  }
  const sql::SnapshotMeta& meta = **latest;
  raft::ConfState conf;
  (void)decode_conf_blob(meta.conf, &conf);
  std::string copy = snapshots_->new_db_path();
  Status copied = copy_with_progress(snapshots_->db_path(meta), copy);
  if (!copied.is_ok()) {
    fatal(copied.message());
    return;
  }
  db_.submit_restore(copy, meta.index, meta.db_checksum, [index = meta.index](Status s) {
    if (!s.is_ok()) {
      UQ_ERROR("restoring snapshot %llu failed: %s", static_cast<unsigned long long>(index),
               s.to_string().c_str());
      std::_Exit(1);  // the database no longer matches the log: restart and recover
    }
  });
  snapshot_index_ = meta.index;
  snapshot_term_ = meta.term;
  counters_.add("store", "num_restores");
  publish_view();
  UQ_INFO("installed snapshot at index %llu from the leader",
          static_cast<unsigned long long>(meta.index));
}

void Store::reap_snapshots(std::function<void(Result<size_t>)> done) {
  run_on_core([this, done = std::move(done)] {
    auto reaped = snapshots_->reap(1);
    if (reaped.is_ok()) {
      counters_.add("snapshot", "num_reaped", static_cast<int64_t>(*reaped));
    }
    publish_snapshots();
    done(std::move(reaped));
  });
}

std::vector<sql::SnapshotMeta> Store::snapshot_list() const {
  std::lock_guard<std::mutex> lock(view_mu_);
  return snapshot_list_;
}

void Store::publish_snapshots() {
  std::vector<sql::SnapshotMeta> list = snapshots_->list();
  std::lock_guard<std::mutex> lock(view_mu_);
  snapshot_list_ = std::move(list);
}

// ---- loading a database -----------------------------------------------------------------

void Store::load_database(std::string image, Done done) {
  sql::Command command;
  command.load_image = std::move(image);
  execute(std::move(command), sql::ExecOptions{}, std::move(done));
}

void Store::apply_load(uint64_t index, const std::string& image, Done done) {
  // Every node writes the image next to its database and swaps it in, in log order.
  std::string path = snapshots_->new_db_path();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool written =
      fd >= 0 && ::write(fd, image.data(), image.size()) == static_cast<ssize_t>(image.size());
  if (fd >= 0) {
    ::close(fd);
  }
  auto answer = [done](Status s) {
    if (!done) {
      return;
    }
    done(s.is_ok() ? sql::Response{200, "{\"results\":[]}", false}
                   : sql::Response{500, s.message() + "\n", false});
  };
  if (!written) {
    UQ_ERROR("load at index %llu: cannot write the image", static_cast<unsigned long long>(index));
    db_.submit_marker(index);
    answer(error(Code::kIoError, "cannot write the loaded database"));
    return;
  }
  db_.submit_restore(path, index, 0, [index, answer](Status s) {
    if (!s.is_ok()) {
      // The same on every node (the image is the same): the old database stays everywhere.
      UQ_WARN("load at index %llu refused: %s", static_cast<unsigned long long>(index),
              s.to_string().c_str());
    }
    answer(s);
  });
}

void Store::boot_database(std::string path, StatusDone done) {
  run_on_core([this, path = std::move(path), done = std::move(done)]() mutable {
    if (node_->role() != raft::Role::kLeader) {
      done(error(Code::kUnavailable, "not leader"));
      return;
    }
    const raft::ConfState& conf = node_->conf();
    if (conf.voters.size() + conf.learners.size() != 1) {
      done(error(Code::kUnavailable, "not single-node"));
      return;
    }
    // Queued behind every entry already handed to the database, so the booted file holds the
    // state "as of" that index; a snapshot then makes the log and restarts agree with it.
    uint64_t index = node_->log().applied().value;
    db_.submit_restore(path, index, 0, [this, done](Status s) {
      if (!s.is_ok()) {
        done(s);
        return;
      }
      run_on_core([this, done] { take_snapshot(true, 0, done); });
    });
  });
}

}  // namespace uq::server
