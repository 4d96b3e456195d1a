#include "bench/uqlite-bench/bench_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uq::bench {
namespace {

Result<BenchConfig> parse(std::vector<std::string> args) {
  std::vector<const char*> argv = {"uqlite-bench"};
  for (const std::string& a : args) {
    argv.push_back(a.c_str());
  }
  return parse_flags(static_cast<int>(argv.size()), argv.data());
}

TEST(BenchFlags, DefaultsMatchTheBrief) {
  auto cfg = parse({});
  ASSERT_TRUE(cfg.is_ok());
  EXPECT_EQ(cfg->host, "127.0.0.1");
  EXPECT_EQ(cfg->port, 4001);
  EXPECT_EQ(cfg->mode, Mode::kInsert);
  EXPECT_EQ(cfg->conns, 64);
  EXPECT_EQ(cfg->threads, 1);
  EXPECT_EQ(cfg->pipeline, 1);
  EXPECT_EQ(cfg->duration_ns, 10'000'000'000);
  EXPECT_EQ(cfg->warmup_ns, 1'000'000'000);
  EXPECT_EQ(cfg->batch, 1000);
  EXPECT_EQ(cfg->requests, 0);
  EXPECT_FALSE(cfg->param);
  EXPECT_TRUE(cfg->level.empty());
}

TEST(BenchFlags, AcceptsEveryGoSpelling) {
  auto cfg = parse({"-addr", "localhost:4011", "--mode=batch", "-conns=8", "--threads", "2",
                    "-param", "-duration", "1m30s", "-warmup=250ms", "-batch", "10",
                    "-requests=5000", "-value-size", "32", "-setup=true", "-pipeline", "4"});
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  EXPECT_EQ(cfg->host, "localhost");
  EXPECT_EQ(cfg->port, 4011);
  EXPECT_EQ(cfg->mode, Mode::kBatch);
  EXPECT_EQ(cfg->conns, 8);
  EXPECT_EQ(cfg->threads, 2);
  EXPECT_TRUE(cfg->param);
  EXPECT_TRUE(cfg->setup);
  EXPECT_EQ(cfg->duration_ns, 90'000'000'000);
  EXPECT_EQ(cfg->warmup_ns, 250'000'000);
  EXPECT_EQ(cfg->batch, 10);
  EXPECT_EQ(cfg->requests, 5000);
  EXPECT_EQ(cfg->value_size, 32);
  EXPECT_EQ(cfg->pipeline, 4);
  EXPECT_EQ(cfg->rows_per_request(), 10);
}

TEST(BenchFlags, QueryModeTakesLevelAndGet) {
  auto cfg = parse({"-mode", "query", "-level", "linearizable", "-get", "-rows", "500"});
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  EXPECT_EQ(cfg->mode, Mode::kQuery);
  EXPECT_EQ(cfg->level, "linearizable");
  EXPECT_TRUE(cfg->get);
  EXPECT_EQ(cfg->rows, 500);
  EXPECT_EQ(cfg->rows_per_request(), 1);
}

TEST(BenchFlags, RateSelectsOpenLoop) {
  auto cfg = parse({"-rate", "25000"});
  ASSERT_TRUE(cfg.is_ok());
  EXPECT_EQ(cfg->rate, 25000);
  EXPECT_EQ(parse({})->rate, 0);
}

TEST(BenchFlags, BareBooleanCanBeTurnedOffExplicitly) {
  auto cfg = parse({"-param=false"});
  ASSERT_TRUE(cfg.is_ok());
  EXPECT_FALSE(cfg->param);
}

TEST(BenchFlags, IPv6AddressInBrackets) {
  auto cfg = parse({"-addr", "[::1]:4001"});
  ASSERT_TRUE(cfg.is_ok());
  EXPECT_EQ(cfg->host, "::1");
}

TEST(BenchFlags, HelpIsNotAnError) {
  for (const char* h : {"-h", "--help", "-help"}) {
    auto cfg = parse({h});
    ASSERT_FALSE(cfg.is_ok());
    EXPECT_EQ(cfg.status().code(), Code::kNotFound) << h;
  }
  EXPECT_NE(usage().find("-pipeline"), std::string::npos);
}

TEST(BenchFlags, RejectsBadInput) {
  const std::vector<std::vector<std::string>> cases = {
      {"-nope"},
      {"positional"},
      {"-conns"},
      {"-conns", "0"},
      {"-conns", "ten"},
      {"-threads", "4", "-conns", "2"},
      {"-mode", "delete"},
      {"-level", "eventual", "-mode", "query"},
      {"-level", "none"},  // level only means something for queries
      {"-get"},            // GET only for queries
      {"-mode", "query", "-get", "-param"},
      {"-duration", "10"},  // Go durations need a unit
      {"-duration", "0"},
      {"-warmup", "1x"},
      {"-addr", "localhost"},
      {"-addr", "localhost:99999"},
      {"-param=maybe"},
      {"-batch", "-1"},
      {"-rate", "1", "-threads", "2", "-conns", "2"},
      {"-rate", "-5"},
  };
  for (const auto& args : cases) {
    auto cfg = parse(args);
    EXPECT_FALSE(cfg.is_ok()) << args[0] << (args.size() > 1 ? " " + args[1] : "");
    if (!cfg.is_ok()) {
      EXPECT_EQ(cfg.status().code(), Code::kInvalidArgument);
    }
  }
}

TEST(BenchFlags, DurationFlagsTakeGoDurations) {
  auto cfg = parse({"-duration", "1.5s", "-warmup", "0", "-timeout=1h2m3s"});
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  EXPECT_EQ(cfg->duration_ns, 1'500'000'000);
  EXPECT_EQ(cfg->warmup_ns, 0);
  EXPECT_EQ(cfg->timeout_ns, 3'723'000'000'000);
  cfg = parse({"-duration=100us", "-warmup=7ns"});
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  EXPECT_EQ(cfg->duration_ns, 100'000);
  EXPECT_EQ(cfg->warmup_ns, 7);
}

TEST(BenchFlags, RejectsMalformedAndNegativeDurations) {
  for (const char* flag : {"-duration", "-warmup", "-timeout"}) {
    for (const char* value : {"", "s", "5", "-1s"}) {
      auto cfg = parse({flag, value});
      EXPECT_FALSE(cfg.is_ok()) << flag << " " << value;
      if (!cfg.is_ok()) {
        EXPECT_EQ(cfg.status().code(), Code::kInvalidArgument);
      }
    }
  }
}

TEST(BenchFlags, ErrorsNameTheFlagAsGoDoes) {
  auto message = [](std::vector<std::string> args) {
    auto cfg = parse(std::move(args));
    return cfg.is_ok() ? std::string("accepted") : cfg.status().message();
  };
  EXPECT_EQ(message({"-nope"}), "flag provided but not defined: -nope");
  EXPECT_EQ(message({"-conns"}), "flag needs an argument: -conns");
  EXPECT_EQ(message({"-conns", "ten"}), "invalid value \"ten\" for flag -conns: parse error");
  EXPECT_EQ(message({"-param=maybe"}), "invalid value \"maybe\" for flag -param: parse error");
  EXPECT_EQ(message({"-warmup", "1x"}), "invalid value \"1x\" for flag -warmup: parse error");
  EXPECT_EQ(message({"-conns", "0"}), "invalid value \"0\" for flag -conns: outside [1, 100000]");
  EXPECT_EQ(message({"-warmup", "-1s"}),
            "invalid value \"-1s\" for flag -warmup: negative duration");
  EXPECT_EQ(message({"-mode", "delete"}),
            "invalid value \"delete\" for flag -mode: want insert | batch | query | queue");
  EXPECT_EQ(message({"-addr", "localhost"}),
            "invalid value \"localhost\" for flag -addr: want host:port with a port in [1, "
            "65535]");
  EXPECT_EQ(message({"-conns", "8", "extra", "-threads", "2"}), "unexpected argument: extra");
}

TEST(BenchFlags, UsageListsEveryFlagWithItsDefault) {
  const std::string text = usage();
  for (const char* flag : {"-addr", "-mode", "-conns", "-threads", "-pipeline", "-duration",
                           "-requests", "-warmup", "-batch", "-param", "-get", "-setup", "-rows",
                           "-value-size", "-level", "-seed", "-rate", "-timeout"}) {
    EXPECT_NE(text.find(std::string("  ") + flag), std::string::npos) << flag;
  }
  EXPECT_NE(text.find("(default \"127.0.0.1:4001\")"), std::string::npos);
  EXPECT_NE(text.find("(default 10s)"), std::string::npos);
  EXPECT_NE(text.find("(default 64)"), std::string::npos);
}

}  // namespace
}  // namespace uq::bench
