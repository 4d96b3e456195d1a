// WAL benchmarks. Each durable-append figure is measured next to its baseline in the same run
// on the same disk: raw pwrite+fdatasync of the same bytes on a preallocated file. Files go under
// $UQ_BENCH_DIR (default ./wal-bench-tmp in the working directory; keep it off tmpfs).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "core/log.h"
#include "wal/group_commit.h"
#include "wal/log.h"

namespace uq::wal {
namespace {

constexpr size_t kFrameBytes = 4096;
constexpr size_t kPayloadFor4KiBFrame = kFrameBytes - kFrameHeaderSize - kEntryHeaderSize;

std::string bench_dir(const std::string& name) {
  const char* base = std::getenv("UQ_BENCH_DIR");
  std::string dir = std::string(base != nullptr ? base : "wal-bench-tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) {
    c = static_cast<char>(rng());
  }
  return s;
}

// An INSERT with parameters, as the sql/ layer would encode a request (text form).
std::string insert_statement(uint64_t i) {
  return "{\"sql\":\"INSERT INTO users(id, name, email, age, created) VALUES(?, ?, ?, ?, ?)\","
         "\"params\":[" +
         std::to_string(i) + ",\"user" + std::to_string(i * 7919 % 100000) + "\",\"user" +
         std::to_string(i) + "@example.com\"," + std::to_string(18 + i % 60) +
         ",\"2026-11-27T09:00:00Z\"]}";
}

void BM_RawPwriteFdatasync4KiB(benchmark::State& state) {
  std::string dir = bench_dir("raw");
  int fd = ::open((dir + "/raw").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  const off_t capacity = 64 << 20;
  if (fd < 0 || posix_fallocate(fd, 0, capacity) != 0) {
    state.SkipWithError("cannot create the baseline file");
    return;
  }
  std::string block = random_bytes(kFrameBytes, 1);
  off_t offset = 0;
  for (auto _ : state) {
    if (::pwrite(fd, block.data(), block.size(), offset) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write failed");
      break;
    }
    offset = (offset + kFrameBytes) % capacity;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kFrameBytes);
  ::close(fd);
}
BENCHMARK(BM_RawPwriteFdatasync4KiB)->UseRealTime();

void BM_WalAppendSync4KiBFrame(benchmark::State& state) {
  auto log = Log::open(posix_file_system(), bench_dir("append"), LogOptions{});
  if (!log.is_ok()) {
    state.SkipWithError(log.status().to_string().c_str());
    return;
  }
  std::vector<Entry> entry{Entry{1, 1, 0, random_bytes(kPayloadFor4KiBFrame, 2)}};
  for (auto _ : state) {
    entry[0].index = (*log)->last_index() + 1;
    if (!(*log)->append(entry).is_ok() || !(*log)->sync().is_ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kFrameBytes);
}
BENCHMARK(BM_WalAppendSync4KiBFrame)->UseRealTime();

// Closed-loop appenders on the io_uring driver: each re-enqueues a new entry as soon as its
// previous one is durable, so up to `appenders` entries wait for each round.
struct LoopAppender final : AppendRequest {
  std::vector<Entry> entry;
  GroupCommitter* committer = nullptr;
  Index* next_index = nullptr;
  uint64_t* durable = nullptr;
  bool stop = false;
  bool failed = false;
  void on_durable(const Status& status) override {
    failed = failed || !status.is_ok();
    ++*durable;
    if (!stop && status.is_ok()) {
      entry[0].index = (*next_index)++;
      entries = entry;
      committer->enqueue(this);
    }
  }
};

void run_uring_appenders(benchmark::State& state, int appenders, size_t payload_bytes,
                         bool sql_payloads, size_t compress_min_bytes) {
  io_uring ring;
  if (io_uring_queue_init(64, &ring, 0) < 0) {
    state.SkipWithError("io_uring unavailable");
    return;
  }
  LogOptions options;
  options.compress_min_bytes = compress_min_bytes;
  auto log = Log::open(posix_file_system(), bench_dir("uring"), options);
  if (!log.is_ok()) {
    state.SkipWithError(log.status().to_string().c_str());
    return;
  }
  GroupCommitter committer;
  UringGroupDriver driver(log->get(), &committer, &ring);
  Index next_index = 1;
  uint64_t durable = 0;
  std::vector<LoopAppender> loop(appenders);
  for (int i = 0; i < appenders; ++i) {
    std::string payload = sql_payloads ? insert_statement(i) : random_bytes(payload_bytes, i);
    loop[i].entry = {Entry{next_index++, 1, 0, payload}};
    loop[i].entries = loop[i].entry;
    loop[i].committer = &committer;
    loop[i].next_index = &next_index;
    loop[i].durable = &durable;
    committer.enqueue(&loop[i]);
  }
  driver.poke();
  uint64_t start_rounds = committer.rounds();
  for (auto _ : state) {
    // One iteration = one reaped CQE (half a round); entries counted by `durable`.
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(&ring, &cqe) != 0) {
      state.SkipWithError("io_uring_wait_cqe");
      break;
    }
    auto* completion = static_cast<core::Completion*>(io_uring_cqe_get_data(cqe));
    int32_t res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    completion->complete(res, 0);
  }
  for (auto& a : loop) {
    a.stop = true;
  }
  for (int i = 0; i < 1000 && committer.in_flight(); ++i) {
    io_uring_cqe* cqe = nullptr;
    io_uring_wait_cqe(&ring, &cqe);
    auto* completion = static_cast<core::Completion*>(io_uring_cqe_get_data(cqe));
    int32_t res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    completion->complete(res, 0);
  }
  state.SetItemsProcessed(static_cast<int64_t>(durable));
  state.counters["rounds"] = static_cast<double>(committer.rounds() - start_rounds);
  state.counters["entries_per_round"] =
      static_cast<double>(durable) / static_cast<double>(committer.rounds() - start_rounds + 1);
  io_uring_queue_exit(&ring);
}

void BM_UringAppendSync4KiBFrame(benchmark::State& state) {
  run_uring_appenders(state, 1, kPayloadFor4KiBFrame, false, 512);
}
BENCHMARK(BM_UringAppendSync4KiBFrame)->UseRealTime();

void BM_OneSyncPerEntry100B(benchmark::State& state) {
  auto log = Log::open(posix_file_system(), bench_dir("one"), LogOptions{});
  std::vector<Entry> entry{Entry{1, 1, 0, random_bytes(100, 3)}};
  for (auto _ : state) {
    entry[0].index = (*log)->last_index() + 1;
    if (!(*log)->append(entry).is_ok() || !(*log)->sync().is_ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OneSyncPerEntry100B)->UseRealTime();

void BM_GroupCommit64Appenders100B(benchmark::State& state) {
  run_uring_appenders(state, 64, 100, false, 512);
}
BENCHMARK(BM_GroupCommit64Appenders100B)->UseRealTime();

void BM_GroupCommit64AppendersInsertsCompressed(benchmark::State& state) {
  run_uring_appenders(state, 64, 0, true, 512);
}
BENCHMARK(BM_GroupCommit64AppendersInsertsCompressed)->UseRealTime();

void BM_GroupCommit64AppendersInsertsRaw(benchmark::State& state) {
  run_uring_appenders(state, 64, 0, true, SIZE_MAX);
}
BENCHMARK(BM_GroupCommit64AppendersInsertsRaw)->UseRealTime();

// zstd level 1 on a batch of INSERT statements: MB/s of raw input and the stored/raw ratio.
void BM_CompressInsertBatch(benchmark::State& state) {
  std::vector<Entry> batch;
  for (int64_t i = 0; i < state.range(0); ++i) {
    batch.push_back(Entry{static_cast<Index>(i + 1), 1, 0, insert_statement(i)});
  }
  std::vector<const Entry*> pointers;
  for (const Entry& e : batch) {
    pointers.push_back(&e);
  }
  FrameEncoder encoder(512, 1);
  std::vector<uint8_t> out;
  FrameHeader header;
  for (auto _ : state) {
    header = encoder.encode(pointers, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * header.raw_length);
  state.counters["ratio_raw_over_stored"] =
      static_cast<double>(header.raw_length) / static_cast<double>(header.stored_length);
}
BENCHMARK(BM_CompressInsertBatch)->Arg(16)->Arg(64)->Arg(512);

// Opens (recovers) a log of state.range(0) MiB: every frame's checksum verified. Page cache warm.
void BM_RecoveryScan(benchmark::State& state) {
  std::string dir = bench_dir("recovery");
  uint64_t target = static_cast<uint64_t>(state.range(0)) << 20;
  {
    auto log = Log::open(posix_file_system(), dir, LogOptions{});
    std::vector<Entry> batch;
    Index next = 1;
    // Distinct random payloads: incompressible, so the scan covers `target` bytes on disk.
    std::vector<std::string> payloads;
    for (int i = 0; i < 64; ++i) {
      payloads.push_back(random_bytes(1000, 4 + i));
    }
    uint64_t written = 0;
    while (written < target) {
      batch.clear();
      for (int i = 0; i < 64; ++i) {
        batch.push_back(Entry{next++, 1, 0, payloads[(i + next / 64) % 64]});
      }
      if (!(*log)->append(batch).is_ok()) {
        state.SkipWithError("append failed");
        return;
      }
      written += 64 * (1000 + kEntryHeaderSize) + kFrameHeaderSize;
    }
    (void)(*log)->sync();
  }
  uint64_t scanned = 0;
  for (auto _ : state) {
    auto log = Log::open(posix_file_system(), dir, LogOptions{});
    if (!log.is_ok()) {
      state.SkipWithError(log.status().to_string().c_str());
      break;
    }
    scanned += (*log)->recovery().bytes_scanned;
  }
  state.SetBytesProcessed(static_cast<int64_t>(scanned));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecoveryScan)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace uq::wal

// Quiet the per-open INFO lines before the benchmarks run.
static const bool kQuiet = [] {
  uq::log::set_level(uq::log::Level::kWarn);
  return true;
}();
