#include "server/json_tree.h"

#include "core/json_writer.h"

namespace uq::server {

namespace {
const JsonNode& empty_object() {
  static const JsonNode node = JsonNode::object();
  return node;
}
}  // namespace

JsonNode& JsonNode::operator[](const std::string& key) {
  if (!is_object()) {
    value_ = Object{};
  }
  return std::get<Object>(value_)[key];
}

void JsonNode::push_back(JsonNode node) {
  if (!std::holds_alternative<Array>(value_)) {
    value_ = Array{};
  }
  std::get<Array>(value_).push_back(std::move(node));
}

JsonNode& JsonNode::add_field(std::string key, JsonNode value) {
  if (!std::holds_alternative<Struct>(value_)) {
    value_ = Struct{};
  }
  auto& fields = std::get<Struct>(value_);
  fields.emplace_back(std::move(key), std::move(value));
  return fields.back().second;
}

const JsonNode& JsonNode::find_path(std::string_view path) const {
  const JsonNode* node = this;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (const Object* object = node->as_object()) {
      auto it = object->find(std::string(part));
      if (it == object->end()) {
        return empty_object();
      }
      node = &it->second;
    } else if (const Struct* fields = std::get_if<Struct>(&node->value_)) {
      const JsonNode* found = nullptr;
      for (const auto& [key, child] : *fields) {
        if (key == part) {
          found = &child;
          break;
        }
      }
      if (found == nullptr) {
        return empty_object();
      }
      node = found;
    } else {
      return *node;
    }
  }
  return *node;
}

void encode_node(const JsonNode& node, void* opaque) {
  auto* writer = static_cast<core::JsonWriter*>(opaque);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          writer->value_null();
        } else if constexpr (std::is_same_v<T, bool>) {
          writer->value_bool(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          writer->value_int(v);
        } else if constexpr (std::is_same_v<T, double>) {
          writer->value_double(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          writer->value_string(v);
        } else if constexpr (std::is_same_v<T, JsonNode::Object> ||
                             std::is_same_v<T, JsonNode::Struct>) {
          writer->begin_object();
          for (const auto& [key, child] : v) {
            writer->key(key);
            encode_node(child, writer);
          }
          writer->end_object();
        } else {
          writer->begin_array();
          for (const auto& child : v) {
            encode_node(child, writer);
          }
          writer->end_array();
        }
      },
      node.value_);
}

std::string JsonNode::encode(bool pretty) const {
  std::string out;
  core::JsonWriter writer(&out, pretty);
  encode_node(*this, &writer);
  return out;
}

}  // namespace uq::server
