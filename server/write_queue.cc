#include "server/write_queue.h"

#include <future>

#include "core/log.h"

namespace uq::server {

WriteQueue::WriteQueue(Submit submit, size_t capacity, size_t batch_size,
                       std::chrono::nanoseconds timeout, bool transaction)
    : submit_(std::move(submit)),
      capacity_(capacity),
      batch_size_(batch_size),
      timeout_(timeout),
      transaction_(transaction) {
  // Sequence numbers start at the wall clock in nanoseconds, as rqlite's do, so they keep growing
  // across restarts of the node.
  next_sequence_ = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  flusher_ = std::thread([this] { flusher_main(); });
}

WriteQueue::~WriteQueue() {
  close();
}

uint64_t WriteQueue::enqueue(sql::Request&& request, Waiter waiter) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_ || queue_.size() >= capacity_) {
    return 0;
  }
  uint64_t sequence = next_sequence_++;
  if (queue_.empty()) {
    first_arrival_ = std::chrono::steady_clock::now();
  }
  queue_.push_back(Item{sequence, std::move(request), std::move(waiter)});
  if (queue_.size() >= batch_size_) {
    cv_.notify_one();
  } else if (queue_.size() == 1) {
    cv_.notify_one();  // start the timeout for this batch
  }
  return sequence;
}

uint64_t WriteQueue::applied_sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_sequence_;
}

void WriteQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) {
      return;
    }
    closing_ = true;
    hard_stop_ = true;
  }
  cv_.notify_all();
  if (flusher_.joinable()) {
    flusher_.join();
  }
}

void WriteQueue::flusher_main() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
    if (queue_.empty()) {
      return;  // closing with nothing left
    }
    // A batch leaves when it is full, when its first request is `timeout` old, or at close.
    auto deadline = first_arrival_ + timeout_;
    cv_.wait_until(lock, deadline, [&] { return closing_ || queue_.size() >= batch_size_; });
    size_t count = std::min(queue_.size(), batch_size_);
    std::vector<Item> batch;
    batch.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (!queue_.empty()) {
      first_arrival_ = std::chrono::steady_clock::now();
    }
    lock.unlock();
    run_batch(std::move(batch));
    lock.lock();
  }
}

void WriteQueue::run_batch(std::vector<Item>&& items) {
  sql::Request combined;
  for (Item& item : items) {
    combined.append(item.request);
  }
  uint64_t last_sequence = items.back().sequence;
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  auto on_applied = [&](sql::Response&&) {
    // SQL errors inside a queued batch are dropped (spec §5): only "it was applied" matters.
    {
      std::lock_guard<std::mutex> lock(mu_);
      applied_sequence_ = last_sequence;
    }
    for (Item& item : items) {
      if (item.waiter) {
        item.waiter(true);
      }
    }
    std::lock_guard<std::mutex> lock(done_mu);
    done = true;
    done_cv.notify_one();
  };
  if (combined.statements().empty()) {
    on_applied(sql::Response{});
  }
  while (!combined.statements().empty()) {
    sql::ExecOptions options;
    options.transaction = transaction_;
    std::promise<sql::Response> answer;
    auto answered = answer.get_future();
    submit_(sql::Request(combined), std::move(options),
            [&answer](sql::Response&& r) { answer.set_value(std::move(r)); });
    sql::Response response = answered.get();
    if (response.http_status == 200 && !response.envelope_error) {
      on_applied(std::move(response));
      break;
    }
    // No leader, leadership lost, network: rqlite retries the same batch, keeping order.
    UQ_WARN("queued batch ending at sequence %llu not applied (%s); retrying in 1s",
            static_cast<unsigned long long>(last_sequence), response.body.c_str());
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return hard_stop_; })) {
      UQ_ERROR("queued batch ending at sequence %llu dropped at shutdown",
               static_cast<unsigned long long>(last_sequence));
      for (Item& item : items) {
        if (item.waiter) {
          item.waiter(false);
        }
      }
      return;
    }
  }
  std::unique_lock<std::mutex> lock(done_mu);
  done_cv.wait(lock, [&] { return done; });
}

}  // namespace uq::server
