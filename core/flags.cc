#include "core/flags.h"

#include <algorithm>
#include <charconv>

#include "core/duration.h"

namespace uq {

namespace {

// Go's strconv.ParseBool.
bool parse_bool(std::string_view text, bool* out) {
  for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (text == yes) {
      *out = true;
      return true;
    }
  }
  for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (text == no) {
      *out = false;
      return true;
    }
  }
  return false;
}

}  // namespace

void FlagSet::add_bool(std::string name, bool* target, std::string usage) {
  flags_.push_back(
      {std::move(name), Kind::kBool, target, std::move(usage), *target ? "true" : "false"});
}

void FlagSet::add_string(std::string name, std::string* target, std::string usage) {
  flags_.push_back({std::move(name), Kind::kString, target, std::move(usage), *target});
}

void FlagSet::add_int(std::string name, int64_t* target, std::string usage) {
  flags_.push_back(
      {std::move(name), Kind::kInt, target, std::move(usage), std::to_string(*target)});
}

void FlagSet::add_duration(std::string name, std::chrono::nanoseconds* target, std::string usage) {
  flags_.push_back(
      {std::move(name), Kind::kDuration, target, std::move(usage), format_duration(*target)});
}

FlagSet::Flag* FlagSet::find(std::string_view name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) {
      return &flag;
    }
  }
  return nullptr;
}

bool FlagSet::was_set(std::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) {
      return flag.set;
    }
  }
  return false;
}

Status FlagSet::assign(Flag* flag, std::string_view value) {
  auto bad = [&](std::string_view why) {
    return error(Code::kInvalidArgument, "invalid value \"" + std::string(value) + "\" for flag -" +
                                             flag->name + ": " + std::string(why));
  };
  switch (flag->kind) {
    case Kind::kBool:
      if (!parse_bool(value, static_cast<bool*>(flag->target))) {
        return bad("parse error");
      }
      break;
    case Kind::kString:
      *static_cast<std::string*>(flag->target) = std::string(value);
      break;
    case Kind::kInt: {
      int64_t parsed = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return bad("parse error");
      }
      *static_cast<int64_t*>(flag->target) = parsed;
      break;
    }
    case Kind::kDuration: {
      auto parsed = parse_duration(value);
      if (!parsed.is_ok()) {
        return bad("parse error");
      }
      *static_cast<std::chrono::nanoseconds*>(flag->target) = *parsed;
      break;
    }
  }
  flag->set = true;
  return Status::ok();
}

Status FlagSet::parse(int argc, const char* const* argv) {
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      break;  // first positional argument
    }
    if (arg == "--") {
      ++i;
      break;
    }
    std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      return error(Code::kInvalidArgument, "bad flag syntax: " + std::string(arg));
    }
    size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    Flag* flag = find(name);
    if (flag == nullptr) {
      if (name == "h" || name == "help") {
        help_requested_ = true;
        return Status::ok();
      }
      return error(Code::kInvalidArgument, "flag provided but not defined: -" + std::string(name));
    }
    if (eq != std::string_view::npos) {
      UQ_RETURN_IF_ERROR(assign(flag, body.substr(eq + 1)));
    } else if (flag->kind == Kind::kBool) {
      UQ_RETURN_IF_ERROR(assign(flag, "true"));
    } else if (i + 1 < argc) {
      UQ_RETURN_IF_ERROR(assign(flag, argv[++i]));
    } else {
      return error(Code::kInvalidArgument, "flag needs an argument: -" + std::string(name));
    }
  }
  for (; i < argc; ++i) {
    positional_.emplace_back(argv[i]);
  }
  return Status::ok();
}

std::string FlagSet::usage() const {
  std::vector<const Flag*> sorted;
  for (const Flag& flag : flags_) {
    sorted.push_back(&flag);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const Flag* a, const Flag* b) { return a->name < b->name; });
  std::string out = "Usage of " + program_ + ":\n";
  for (const Flag* flag : sorted) {
    out += "  -" + flag->name;
    switch (flag->kind) {
      case Kind::kBool:
        break;
      case Kind::kString:
        out += " string";
        break;
      case Kind::kInt:
        out += " int";
        break;
      case Kind::kDuration:
        out += " duration";
        break;
    }
    out += "\n    \t" + flag->usage;
    bool zero = flag->default_text.empty() || flag->default_text == "false" ||
                flag->default_text == "0" || flag->default_text == "0s";
    if (!zero) {
      out += flag->kind == Kind::kString ? " (default \"" + flag->default_text + "\")"
                                         : " (default " + flag->default_text + ")";
    }
    out += "\n";
  }
  return out;
}

}  // namespace uq
