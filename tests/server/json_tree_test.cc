#include "server/json_tree.h"

#include <gtest/gtest.h>

namespace uq::server {
namespace {

TEST(JsonTree, ObjectsSortKeysStructsKeepOrder) {
  JsonNode doc = JsonNode::object();
  doc["zeta"] = 1;
  doc["alpha"] = "a";
  JsonNode node = JsonNode::fields();
  node.add_field("id", "1");
  node.add_field("api_addr", "http://x");
  doc["node"] = std::move(node);
  EXPECT_EQ(doc.encode(false), R"({"alpha":"a","node":{"id":"1","api_addr":"http://x"},"zeta":1})");
}

TEST(JsonTree, FindPathFollowsRqliteRules) {
  JsonNode doc = JsonNode::object();
  doc["store"]["raft"]["state"] = "Leader";
  EXPECT_EQ(doc.find_path("store.raft.state").encode(false), "\"Leader\"");
  EXPECT_EQ(doc.find_path("store.raft.state.more").encode(false), "\"Leader\"");
  EXPECT_EQ(doc.find_path("store.nothing").encode(false), "{}");
  EXPECT_EQ(doc.find_path("store.raft").encode(false), R"({"state":"Leader"})");
}

TEST(JsonTree, PrettyIsFourSpaces) {
  JsonNode doc = JsonNode::object();
  doc["a"].push_back(1);
  EXPECT_EQ(doc.encode(true), "{\n    \"a\": [\n        1\n    ]\n}");
}

}  // namespace
}  // namespace uq::server
