#include "core/flags.h"

#include <gtest/gtest.h>

#include "core/duration.h"

namespace uq {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

struct Parsed {
  bool verbose = false;
  bool stepdown = true;
  std::string addr = "localhost:4001";
  int64_t count = 5;
  nanoseconds interval = seconds(3);
};

Status parse(FlagSet* flags, Parsed* out, std::vector<const char*> args) {
  flags->add_bool("verbose", &out->verbose, "talk more");
  flags->add_bool("raft-shutdown-stepdown", &out->stepdown, "step down");
  flags->add_string("http-addr", &out->addr, "bind address");
  flags->add_int("join-attempts", &out->count, "attempts");
  flags->add_duration("join-interval", &out->interval, "interval");
  args.insert(args.begin(), "uqlited");
  return flags->parse(static_cast<int>(args.size()), args.data());
}

TEST(Flags, AllGoSpellingsAreAccepted) {
  FlagSet flags("uqlited");
  Parsed p;
  ASSERT_TRUE(parse(&flags, &p,
                    {"-verbose", "--http-addr", "127.0.0.1:5001", "-join-attempts=7",
                     "--join-interval=1m30s", "-raft-shutdown-stepdown=false", "data"})
                  .is_ok());
  EXPECT_TRUE(p.verbose);
  EXPECT_FALSE(p.stepdown);
  EXPECT_EQ(p.addr, "127.0.0.1:5001");
  EXPECT_EQ(p.count, 7);
  EXPECT_EQ(p.interval, seconds(90));
  EXPECT_EQ(flags.positional(), std::vector<std::string>{"data"});
  EXPECT_TRUE(flags.was_set("verbose"));
}

TEST(Flags, SeparateFalseWordIsPositionalAsInGo) {
  FlagSet flags("uqlited");
  Parsed p;
  ASSERT_TRUE(parse(&flags, &p, {"-verbose", "false", "data"}).is_ok());
  EXPECT_TRUE(p.verbose);
  EXPECT_EQ(flags.positional(), (std::vector<std::string>{"false", "data"}));
}

TEST(Flags, UnknownFlagIsRejectedWithGoMessage) {
  FlagSet flags("uqlited");
  Parsed p;
  Status status = parse(&flags, &p, {"-no-such-flag", "data"});
  EXPECT_EQ(status.message(), "flag provided but not defined: -no-such-flag");
}

TEST(Flags, BadValuesAreRejected) {
  for (const char* arg : {"-join-attempts=x", "-join-interval=5", "-verbose=maybe"}) {
    FlagSet flags("uqlited");
    Parsed p;
    Status status = parse(&flags, &p, {arg});
    EXPECT_FALSE(status.is_ok()) << arg;
    EXPECT_NE(status.message().find("invalid value"), std::string::npos) << status.message();
  }
  FlagSet flags("uqlited");
  Parsed p;
  EXPECT_EQ(parse(&flags, &p, {"-http-addr"}).message(), "flag needs an argument: -http-addr");
}

TEST(Flags, HelpIsRequestedAndUsageListsDefaults) {
  FlagSet flags("uqlited");
  Parsed p;
  ASSERT_TRUE(parse(&flags, &p, {"-h"}).is_ok());
  EXPECT_TRUE(flags.help_requested());
  std::string usage = flags.usage();
  EXPECT_NE(usage.find("-http-addr string"), std::string::npos);
  EXPECT_NE(usage.find("(default \"localhost:4001\")"), std::string::npos);
  EXPECT_NE(usage.find("(default 3s)"), std::string::npos);
}

TEST(Duration, ParsesGoForms) {
  EXPECT_EQ(*parse_duration("100ms"), milliseconds(100));
  EXPECT_EQ(*parse_duration("1m30s"), seconds(90));
  EXPECT_EQ(*parse_duration("1.5h"), seconds(5400));
  EXPECT_EQ(*parse_duration("0"), nanoseconds(0));
  EXPECT_EQ(*parse_duration("2us"), nanoseconds(2000));
  EXPECT_EQ(*parse_duration("2\xc2\xb5s"), nanoseconds(2000));
  EXPECT_EQ(*parse_duration("-1s"), seconds(-1));
  EXPECT_EQ(*parse_duration(".5s"), milliseconds(500));
  for (const char* bad : {"", "5", "1x", "s", "1.s.", "-", "1e3s", "99999999999999999999h"}) {
    EXPECT_FALSE(parse_duration(bad).is_ok()) << bad;
  }
}

TEST(Duration, FormatsAsGo) {
  EXPECT_EQ(format_duration(nanoseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(50)), "50ms");
  EXPECT_EQ(format_duration(seconds(30)), "30s");
  EXPECT_EQ(format_duration(nanoseconds(402)), "402ns");
  EXPECT_EQ(format_duration(nanoseconds(312400)), "312.4\xc2\xb5s");
  EXPECT_EQ(format_duration(nanoseconds(3723400000000LL)), "1h2m3.4s");
  EXPECT_EQ(format_duration(seconds(120)), "2m0s");
  EXPECT_EQ(format_duration(nanoseconds(4900000000LL)), "4.9s");
  EXPECT_EQ(format_duration(seconds(-1)), "-1s");
}

}  // namespace
}  // namespace uq
