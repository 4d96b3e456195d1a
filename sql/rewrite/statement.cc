#include "sql/rewrite/statement.h"

#include "sql/rewrite/keywords.h"

namespace uq::sql::rewrite::detail {
namespace {

// Error texts quote at most this much of a token, so a huge unterminated string stays readable.
constexpr size_t kQuotedTokenBytesMax = 64;

std::string quote_token(std::string_view text) {
  return std::string(text.substr(0, kQuotedTokenBytesMax));
}

// CREATE [TEMP|TEMPORARY] TRIGGER: its body holds `;`s that do not end the statement.
bool starts_trigger(const std::vector<Token>& tokens, size_t begin) {
  size_t i = begin;
  if (i < tokens.size() && is_word(tokens[i], "explain")) {
    ++i;
    if (i + 1 < tokens.size() && is_word(tokens[i], "query") && is_word(tokens[i + 1], "plan")) {
      i += 2;
    }
  }
  if (i >= tokens.size() || !is_word(tokens[i], "create")) {
    return false;
  }
  ++i;
  if (i < tokens.size() && (is_word(tokens[i], "temp") || is_word(tokens[i], "temporary"))) {
    ++i;
  }
  return i < tokens.size() && is_word(tokens[i], "trigger");
}

// A trigger body is `BEGIN stmt; stmt; END`: its closing END always follows a `;`, which tells it
// apart from the END of a CASE expression or a column named "end".
void split_statements(Script* script) {
  const std::vector<Token>& tokens = script->tokens;
  size_t begin = 0;
  bool in_trigger = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i == begin) {
      in_trigger = starts_trigger(tokens, begin);
    }
    if (!is_punct(tokens[i], ";")) {
      continue;
    }
    bool closes_body = i >= 2 && is_word(tokens[i - 1], "end") && is_punct(tokens[i - 2], ";");
    if (in_trigger && !closes_body) {
      continue;  // a `;` between the trigger's body statements
    }
    script->statements.push_back(Statement{begin, i, true});
    begin = i + 1;
  }
  if (begin < tokens.size()) {
    script->statements.push_back(Statement{begin, tokens.size(), false});
  }
}

std::string check_parentheses(Script* script, const Statement& statement) {
  std::vector<size_t> open;
  for (size_t i = statement.begin; i < statement.end; ++i) {
    const Token& token = script->tokens[i];
    if (is_punct(token, "(")) {
      open.push_back(i);
    } else if (is_punct(token, ")")) {
      if (open.empty()) {
        return "near \")\": syntax error";
      }
      script->partner[i] = open.back();
      script->partner[open.back()] = i;
      open.pop_back();
    }
  }
  return open.empty() ? std::string() : std::string("incomplete input");
}

std::string check_statement(Script* script, const Statement& statement) {
  const std::vector<Token>& tokens = script->tokens;
  if (statement.begin == statement.end) {
    return {};  // an empty statement (`;;`) is skipped, as SQLite does
  }
  size_t first = statement.begin;
  if (is_word(tokens[first], "explain")) {
    ++first;
    if (first + 1 < statement.end && is_word(tokens[first], "query") &&
        is_word(tokens[first + 1], "plan")) {
      first += 2;
    }
    if (first == statement.end) {
      return "incomplete input";
    }
  }
  const Token& head = tokens[first];
  if (head.kind != TokenKind::kWord || !is_statement_start(head.text) || is_word(head, "explain")) {
    return "near \"" + quote_token(head.text) + "\": syntax error";
  }
  std::string error = check_parentheses(script, statement);
  if (!error.empty()) {
    return error;
  }
  size_t last = statement.end - 1;
  if (starts_trigger(tokens, statement.begin) &&
      (last < statement.begin + 2 || !is_word(tokens[last], "end") ||
       !is_punct(tokens[last - 1], ";"))) {
    return "incomplete input";
  }
  return {};
}

}  // namespace

Script parse_script(std::string_view sql) {
  Script script;
  Tokenizer tokenizer(sql);
  while (!tokenizer.done()) {
    Token token = tokenizer.next();
    if (token.kind == TokenKind::kIllegal) {
      script.error = "unrecognized token: \"" + quote_token(token.text) + "\"";
      return script;
    }
    if (is_significant(token.kind)) {
      script.tokens.push_back(token);
    }
  }
  script.partner.assign(script.tokens.size(), 0);
  split_statements(&script);
  for (const Statement& statement : script.statements) {
    script.error = check_statement(&script, statement);
    if (!script.error.empty()) {
      break;
    }
  }
  return script;
}

}  // namespace uq::sql::rewrite::detail
