// server/json_tree.h — a small JSON document model for the diagnostic endpoints.
//
// /status, /nodes, /leader and /debug/vars are built as trees because rqlite emits them from Go
// values: a Go map comes out with its keys sorted (Object, a std::map, gives that for free), a Go
// struct with its fields in declaration order (Struct keeps insertion order), and `?key=a.b.c`
// walks into a sub-tree. Data-API responses never use this (they are encoded straight from SQLite
// by sql/). A value type; any thread, not shared.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace uq::server {

class JsonNode {
 public:
  using Object = std::map<std::string, JsonNode>;
  using Array = std::vector<JsonNode>;
  using Struct = std::vector<std::pair<std::string, JsonNode>>;

  JsonNode() : value_(nullptr) {}
  JsonNode(std::nullptr_t) : value_(nullptr) {}
  JsonNode(bool b) : value_(b) {}
  JsonNode(int v) : value_(static_cast<int64_t>(v)) {}
  JsonNode(int64_t v) : value_(v) {}
  JsonNode(uint64_t v) : value_(static_cast<int64_t>(v)) {}
  JsonNode(double v) : value_(v) {}
  JsonNode(const char* s) : value_(std::string(s)) {}
  JsonNode(std::string s) : value_(std::move(s)) {}
  JsonNode(std::string_view s) : value_(std::string(s)) {}
  JsonNode(Object o) : value_(std::move(o)) {}
  JsonNode(Array a) : value_(std::move(a)) {}
  JsonNode(Struct s) : value_(std::move(s)) {}

  static JsonNode object() { return JsonNode(Object{}); }
  static JsonNode array() { return JsonNode(Array{}); }
  static JsonNode fields() { return JsonNode(Struct{}); }

  // Object access; turns a null node into an object first.
  JsonNode& operator[](const std::string& key);
  void push_back(JsonNode node);  // turns a null node into an array first
  // Struct field, appended in call order; turns a null node into a struct first.
  JsonNode& add_field(std::string key, JsonNode value);

  bool is_object() const { return std::holds_alternative<Object>(value_); }
  const Object* as_object() const { return std::get_if<Object>(&value_); }

  // rqlite's `?key=a.b.c`: walk objects along the dot-separated path; a missing key gives {};
  // reaching a non-object returns that value and ignores the rest of the path.
  const JsonNode& find_path(std::string_view path) const;

  // Go's encoding: compact, or 4-space indented when pretty.
  std::string encode(bool pretty) const;

 private:
  friend void encode_node(const JsonNode& node, void* writer);
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Object, Array, Struct> value_;
};

}  // namespace uq::server
