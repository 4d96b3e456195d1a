// The uqlited binary's command line, run as a user would: exit codes and messages.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace {

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

CliRun run_uqlited(const std::string& args) {
  std::string command = std::string(UQLITED_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output.append(buffer, n);
  }
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(Cli, VersionGoesToStderrAndExitsZero) {
  CliRun run = run_uqlited("-version");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output.rfind("uqlited v", 0), 0u) << run.output;
}

TEST(Cli, HelpPrintsUsage) {
  CliRun run = run_uqlited("-h");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.output.find("-http-addr string"), std::string::npos);
}

TEST(Cli, UnknownFlagExitsTwoWithUsage) {
  CliRun run = run_uqlited("-bogus data");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output.rfind("flag provided but not defined: -bogus\n", 0), 0u) << run.output;
  EXPECT_NE(run.output.find("Usage: uqlited"), std::string::npos);
}

TEST(Cli, ConfigurationErrorsAreFatal) {
  CliRun missing = run_uqlited("");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.output, "fatal: no data directory set\n");
  CliRun extra = run_uqlited("a b");
  EXPECT_EQ(extra.exit_code, 1);
  EXPECT_EQ(extra.output, "fatal: arguments after data directory (a) are not accepted (b)\n");
}

TEST(Cli, DataDirectoryThatIsAFileIsRefused) {
  CliRun run = run_uqlited("-http-addr 127.0.0.1:0 -raft-addr 127.0.0.1:1 /dev/null");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.output.find("fatal:"), std::string::npos) << run.output;
}

}  // namespace
