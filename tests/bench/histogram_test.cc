#include "bench/uqlite-bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace uq::bench {
namespace {

// The naive model: every sample, sorted; the answer is the one of rank ceil(p/100 * n).
int64_t naive_percentile(const std::vector<int64_t>& sorted, double p) {
  auto rank =
      static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()) - 1e-7));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[static_cast<size_t>(rank - 1)];
}

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.percentile(50), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.min(), 0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int64_t v = 0; v < Histogram::kSubBucketCount; v++) {
    h.record(v);
  }
  EXPECT_EQ(h.percentile(50), Histogram::kSubBucketCount / 2 - 1);
  EXPECT_EQ(h.percentile(100), Histogram::kSubBucketCount - 1);
  EXPECT_EQ(h.min(), 0);
}

TEST(Histogram, BucketsTileTheRangeWithoutGaps) {
  for (int i = 1; i < Histogram::bucket_count(); i++) {
    ASSERT_EQ(Histogram::bucket_lowest(i), Histogram::bucket_highest(i - 1) + 1) << "bucket " << i;
  }
  EXPECT_EQ(Histogram::bucket_highest(Histogram::bucket_count() - 1), Histogram::kMaxValue);
  for (int64_t v : {int64_t{0}, int64_t{127}, int64_t{128}, int64_t{255}, int64_t{256},
                    int64_t{1'000'000}, Histogram::kMaxValue}) {
    const int idx = Histogram::bucket_index(v);
    EXPECT_LE(Histogram::bucket_lowest(idx), v);
    EXPECT_GE(Histogram::bucket_highest(idx), v);
  }
}

TEST(Histogram, PercentilesMatchSortedModelWithinBucketWidth) {
  std::mt19937_64 rng(42);
  const double percentiles[] = {0, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
  for (int round = 0; round < 50; round++) {
    // Log-uniform latencies from 1 µs to 1 s, with a few outliers, like a real run.
    std::uniform_real_distribution<double> exponent(3, 9);
    const int n = 1 + static_cast<int>(rng() % 20000);
    std::vector<int64_t> samples;
    Histogram h;
    for (int i = 0; i < n; i++) {
      int64_t v = static_cast<int64_t>(std::pow(10.0, exponent(rng)));
      if (rng() % 1000 == 0) {
        v *= 100;
      }
      samples.push_back(v);
      h.record(v);
    }
    std::sort(samples.begin(), samples.end());
    for (double p : percentiles) {
      const int64_t truth = naive_percentile(samples, p);
      const int64_t got = h.percentile(p);
      // Never below the true sample, at most one bucket width (1/128 of the value) above.
      EXPECT_GE(got, truth) << "round " << round << " p" << p << " n=" << n;
      EXPECT_LE(got, truth + truth / Histogram::kSubBucketCount + 1)
          << "round " << round << " p" << p << " n=" << n;
    }
    EXPECT_EQ(h.max(), samples.back());
    EXPECT_EQ(h.min(), samples.front());
    EXPECT_EQ(h.count(), n);
  }
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  Histogram a;
  Histogram b;
  Histogram all;
  for (int i = 0; i < 10000; i++) {
    const int64_t v = static_cast<int64_t>(rng() % 50'000'000);
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  for (double p : {10.0, 50.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(a.percentile(p), all.percentile(p)) << p;
  }
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
}

TEST(Histogram, HugeAndNegativeValuesAreClamped) {
  Histogram h;
  h.record(-5);
  h.record(Histogram::kMaxValue * 4);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), Histogram::kMaxValue * 4);
  EXPECT_EQ(h.percentile(100), Histogram::kMaxValue);
}

}  // namespace
}  // namespace uq::bench
