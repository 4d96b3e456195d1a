#include "core/cpu_pressure.h"

#include <gtest/gtest.h>

namespace uq::core {
namespace {

TEST(CpuPressure, ParsesTheSomeLinesTotal) {
  EXPECT_EQ(parse_psi_some_total("some avg10=20.55 avg60=46.52 avg300=31.35 total=15192137280\n"
                                 "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
            15192137280u);
  EXPECT_EQ(parse_psi_some_total("some avg10=0.00 avg60=0.00 avg300=0.00 total=7"), 7u);
}

TEST(CpuPressure, RejectsWhatIsNotASomeLineWithATotal) {
  EXPECT_FALSE(parse_psi_some_total(""));
  EXPECT_FALSE(parse_psi_some_total("full avg10=0.00 total=5\n"));
  EXPECT_FALSE(parse_psi_some_total("some avg10=0.00 avg60=0.00\ntotal=5\n"));
  EXPECT_FALSE(parse_psi_some_total("some avg10=0.00 total=\n"));
  EXPECT_FALSE(parse_psi_some_total("some avg10=0.00 total=12x\n"));
  EXPECT_FALSE(parse_psi_some_total("some avg10=0.00 total=-3\n"));
}

TEST(CpuPressure, FirstSampleIsUnknownAndLaterOnesAreAShare) {
  CpuPressure pressure;
  EXPECT_EQ(pressure.sample(), -1);
  double share = pressure.sample();
  // -1 where the kernel has no PSI; otherwise a share of the wall time.
  EXPECT_TRUE(share == -1 || (share >= 0 && share <= 1)) << share;
}

TEST(ContentionSwitch, TurnsOnAtOnceAndOffOnlyAfterTheHoldAndACalmSample) {
  ContentionSwitch s;
  EXPECT_FALSE(s.update(-1, 0));    // unknown: stays as it was
  EXPECT_FALSE(s.update(0.49, 0));  // below the threshold
  EXPECT_TRUE(s.update(0.50, 100));
  EXPECT_TRUE(s.update(0.0, 200));  // calm, but within the hold
  EXPECT_TRUE(s.update(0.0, 100 + ContentionSwitch::kHoldMs - 1));
  EXPECT_TRUE(s.update(0.40, 100 + ContentionSwitch::kHoldMs));  // held long enough, not calm
  EXPECT_TRUE(s.update(-1, 100 + ContentionSwitch::kHoldMs));
  EXPECT_FALSE(s.update(0.34, 100 + ContentionSwitch::kHoldMs));
  EXPECT_FALSE(s.update(0.45, 200 + ContentionSwitch::kHoldMs));  // between: the decision stands
  EXPECT_TRUE(s.update(0.9, 300 + ContentionSwitch::kHoldMs));
  EXPECT_TRUE(s.update(0.0, 400 + ContentionSwitch::kHoldMs));  // a new hold from the last peak
}

}  // namespace
}  // namespace uq::core
