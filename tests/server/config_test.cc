#include "server/config.h"

#include <gtest/gtest.h>

#include <vector>

namespace uq::server {
namespace {

Result<ParsedConfig> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "uqlited");
  return parse_config(static_cast<int>(args.size()), args.data());
}

TEST(Config, DefaultsMatchRqlited) {
  auto parsed = parse({"data"});
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  const Config& c = parsed->config;
  EXPECT_EQ(c.http_addr, "localhost:4001");
  EXPECT_EQ(c.raft_addr, "localhost:4002");
  EXPECT_EQ(c.node_id, "localhost:4002");  // defaults to the advertised Raft address
  EXPECT_EQ(c.join_attempts, 5);
  EXPECT_EQ(c.write_queue_capacity, 1024);
  EXPECT_EQ(c.write_queue_batch_size, 128);
  EXPECT_EQ(c.write_queue_timeout, std::chrono::milliseconds(50));
  EXPECT_EQ(c.raft_snap, 8192);
  EXPECT_EQ(c.handoff_poll, std::chrono::microseconds(100));
  EXPECT_TRUE(c.raft_shutdown_stepdown);
  EXPECT_EQ(c.data_dir, "data");
}

TEST(Config, FlagsAreApplied) {
  auto parsed =
      parse({"-node-id", "7", "--http-addr=127.0.0.1:5001", "-raft-addr", "127.0.0.1:5002", "-fk",
             "-raft-shutdown-stepdown=false", "-write-queue-timeout", "1m30s", "dir"});
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->config.node_id, "7");
  EXPECT_EQ(parsed->config.http_addr, "127.0.0.1:5001");
  EXPECT_TRUE(parsed->config.fk);
  EXPECT_FALSE(parsed->config.raft_shutdown_stepdown);
  EXPECT_EQ(parsed->config.write_queue_timeout, std::chrono::seconds(90));
  auto off = parse({"-handoff-poll", "0", "dir"});
  ASSERT_TRUE(off.is_ok()) << off.status().to_string();
  EXPECT_EQ(off->config.handoff_poll, std::chrono::nanoseconds(0));
  auto custom = parse({"-handoff-poll=250us", "dir"});
  ASSERT_TRUE(custom.is_ok()) << custom.status().to_string();
  EXPECT_EQ(custom->config.handoff_poll, std::chrono::microseconds(250));
}

struct Rejected {
  std::vector<const char*> args;
  const char* message;
};

TEST(Config, ValidationRulesGiveRqlitedMessages) {
  const Rejected cases[] = {
      {{}, "no data directory set"},
      {{"a", "b"}, "arguments after data directory (a) are not accepted (b)"},
      {{"-http-addr", "http://localhost:4001", "d"},
       "HTTP options should not include protocol (http:// or https://)"},
      {{"-http-addr", "localhost:4002", "d"}, "HTTP and Raft bind addresses must differ"},
      {{"-http-cert", "x", "d"}, "both -http-cert and -http-key must be set, or neither"},
      {{"-http-verify-common-name", "cn", "d"},
       "-http-verify-common-name requires -http-verify-client"},
      {{"-raft-non-voter", "-bootstrap-expect", "3", "d"},
       "bootstrapping only applicable to voting nodes"},
      {{"-http-addr", "0.0.0.0:4001", "d"},
       "advertised HTTP address 0.0.0.0:4001 is not routable: set -http-adv-addr"},
      {{"-auth", "/nonexistent/auth.json", "d"}, "file /nonexistent/auth.json does not exist"},
      {{"-join", "localhost:4002", "d"}, "node cannot join with itself unless bootstrapping"},
      {{"-disco-mode", "zookeeper", "d"}, "invalid disco mode: zookeeper"},
      {{"-cdc-config", "stdout", "d"}, "-cdc-config is not supported by this build of uqlited yet"},
      {{"-handoff-poll", "11ms", "d"}, "-handoff-poll must be between 0 and 10ms"},
      {{"-handoff-poll", "-1us", "d"}, "-handoff-poll must be between 0 and 10ms"},
  };
  for (const Rejected& c : cases) {
    auto parsed = parse(c.args);
    ASSERT_FALSE(parsed.is_ok()) << c.message;
    EXPECT_EQ(parsed.status().code(), Code::kUnavailable);
    EXPECT_EQ(parsed.status().message(), c.message);
  }
}

TEST(Config, FlagSyntaxErrorsAreInvalidArgument) {
  auto parsed = parse({"-no-such-flag", "d"});
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "flag provided but not defined: -no-such-flag");
}

TEST(Config, HelpAndVersion) {
  auto help = parse({"-h"});
  ASSERT_TRUE(help.is_ok());
  EXPECT_EQ(help->outcome, ParseOutcome::kPrintUsage);
  EXPECT_NE(help->usage.find("-bootstrap-expect int"), std::string::npos);
  auto version = parse({"-version"});
  ASSERT_TRUE(version.is_ok());
  EXPECT_EQ(version->outcome, ParseOutcome::kPrintVersion);
  EXPECT_EQ(version_line().rfind("uqlited v", 0), 0u);
}

TEST(Config, SplitHostPort) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(split_host_port("localhost:4001", &host, &port));
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 4001);
  EXPECT_TRUE(split_host_port("[::1]:80", &host, &port));
  EXPECT_EQ(host, "[::1]");
  EXPECT_FALSE(split_host_port("localhost", &host, &port));
  EXPECT_FALSE(split_host_port("::1:80", &host, &port));
  EXPECT_FALSE(split_host_port("h:70000", &host, &port));
  EXPECT_FALSE(split_host_port("h:", &host, &port));
}

}  // namespace
}  // namespace uq::server
