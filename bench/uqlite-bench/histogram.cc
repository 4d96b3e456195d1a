#include "bench/uqlite-bench/histogram.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace uq::bench {

namespace {

int most_significant_bit(uint64_t value) {
  return 63 - __builtin_clzll(value);
}

}  // namespace

Histogram::Histogram() : counts_(static_cast<size_t>(bucket_count()), 0) {}

int Histogram::bucket_count() {
  // Exact buckets for [0, 2^k), then 2^k buckets for each octave from 2^k up to 2^kMaxValueBits.
  return static_cast<int>(kSubBucketCount * (1 + kMaxValueBits - kSubBucketBits));
}

int Histogram::bucket_index(int64_t value) {
  if (value < 0) {
    value = 0;
  }
  if (value > kMaxValue) {
    value = kMaxValue;
  }
  if (value < kSubBucketCount) {
    return static_cast<int>(value);
  }
  const int msb = most_significant_bit(static_cast<uint64_t>(value));
  const int shift = msb - kSubBucketBits;
  const int64_t sub = (value >> shift) - kSubBucketCount;  // in [0, kSubBucketCount)
  return static_cast<int>(kSubBucketCount * (shift + 1) + sub);
}

int64_t Histogram::bucket_lowest(int index) {
  if (index < kSubBucketCount) {
    return index;
  }
  const int shift = static_cast<int>(index / kSubBucketCount) - 1;
  const int64_t sub = index % kSubBucketCount;
  return (kSubBucketCount + sub) << shift;
}

int64_t Histogram::bucket_highest(int index) {
  if (index < kSubBucketCount) {
    return index;
  }
  const int shift = static_cast<int>(index / kSubBucketCount) - 1;
  return bucket_lowest(index) + (int64_t{1} << shift) - 1;
}

void Histogram::record(int64_t value) {
  if (value < 0) {
    value = 0;
  }
  counts_[static_cast<size_t>(bucket_index(value))]++;
  if (count_ == 0 || value < min_) {
    min_ = value;
  }
  max_ = std::max(max_, value);
  sum_ += value;
  count_++;
}

void Histogram::merge(const Histogram& other) {
  UQ_CHECK(counts_.size() == other.counts_.size(), "histogram shapes differ");
  for (size_t i = 0; i < counts_.size(); i++) {
    counts_[i] += other.counts_[i];
  }
  if (other.count_ > 0) {
    min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  }
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  count_ += other.count_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = min_ = max_ = sum_ = 0;
}

int64_t Histogram::percentile(double p) const {
  if (count_ == 0) {
    return 0;
  }
  p = std::clamp(p, 0.0, 100.0);
  // The small epsilon keeps 99.9 % of 1000 at rank 999 despite binary rounding of 99.9.
  auto rank = static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(count_) - 1e-7));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); i++) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::min(bucket_highest(static_cast<int>(i)), max_);
    }
  }
  return max_;
}

}  // namespace uq::bench
