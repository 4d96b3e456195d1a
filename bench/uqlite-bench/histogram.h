// bench/uqlite-bench/histogram.h — log-bucketed latency histogram (HDR-like) for the load
// generator.
//
// Owns: a fixed array of counters sized at construction; record() never allocates, so the hot
// path of a load thread stays free of malloc. Values are non-negative integers (nanoseconds in
// uqlite-bench). Below 2^kSubBucketBits every value has its own bucket; above, each power of two
// is split into 2^kSubBucketBits equal buckets, so a reported percentile is at most 1/128 (0.8 %)
// above the true order statistic and never below it. Values above kMaxValue are clamped into the
// top bucket (max() still reports the true maximum).
//
// Threads: one Histogram belongs to one thread; merge() them after the threads have joined.
#pragma once

#include <cstdint>
#include <vector>

namespace uq::bench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kSubBucketCount = int64_t{1} << kSubBucketBits;
  static constexpr int kMaxValueBits = 42;  // 2^42 ns is about 73 minutes
  static constexpr int64_t kMaxValue = (int64_t{1} << kMaxValueBits) - 1;

  Histogram();

  void record(int64_t value);
  void merge(const Histogram& other);
  void reset();

  int64_t count() const { return count_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  // The value at percentile p in [0, 100]: the highest value of the bucket holding the sample of
  // rank ceil(p/100 * count) (rank 1 at least), clamped to max(). 0 when empty.
  int64_t percentile(double p) const;

  // Bucket arithmetic, exposed for tests.
  static int bucket_index(int64_t value);
  static int64_t bucket_lowest(int index);
  static int64_t bucket_highest(int index);
  static int bucket_count();

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  int64_t sum_ = 0;
};

}  // namespace uq::bench
