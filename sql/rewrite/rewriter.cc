#include "sql/rewrite/rewriter.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "sql/rewrite/keywords.h"

namespace uq::sql::rewrite::detail {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);
// RANDOMBLOB(N) with a larger N is left alone (still non-deterministic) rather than turned into
// a literal of twice N bytes: a bound on what one statement may grow to in the Raft log.
constexpr uint64_t kRandomBlobBytesMax = 1u << 20;

enum TokenFlag : uint8_t {
  kCallName = 1,  // a function name: its `(` follows without a space
  kQuote = 2,     // a target table/column name: emitted as a "double-quoted" identifier
  kUpper = 4,     // a non-reserved word used as a keyword here: emitted upper-case
  kNotCall = 8,   // a name followed by `(` that is not a call (INSERT INTO t(...))
};

struct Edit {
  size_t begin;  // token range [begin, end) replaced by `text`
  size_t end;
  std::string text;
};

// What the last emitted token was, as far as spacing cares. kOperator: punctuation (not `)`) or a
// reserved word, after which `-`, `+` and `~` are unary (kUnary) and take no space after them.
enum class Previous { kNothing, kOpenParen, kDot, kCallName, kOperator, kUnary, kOther };

void append_upper(std::string* out, std::string_view text) {
  for (char c : text) {
    out->push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
}

// The name an identifier token stands for: quotes removed, doubled quotes undone.
std::string identifier_value(const Token& token) {
  if (token.kind != TokenKind::kQuotedId) {
    return std::string(token.text);
  }
  char open = token.text.front();
  std::string_view inner = token.text.substr(1, token.text.size() - 2);
  if (open == '[') {
    return std::string(inner);
  }
  std::string value;
  for (size_t i = 0; i < inner.size(); ++i) {
    value.push_back(inner[i]);
    if (inner[i] == open) {
      ++i;  // skip the second of a doubled quote
    }
  }
  return value;
}

void append_double_quoted(std::string* out, std::string_view value) {
  out->push_back('"');
  for (char c : value) {
    out->push_back(c);
    if (c == '"') {
      out->push_back('"');
    }
  }
  out->push_back('"');
}

// 'now', "now" or bare now, any case (spec §7.2).
bool is_now(const Token& token) {
  switch (token.kind) {
    case TokenKind::kWord:
      return equals_lower(token.text, "now");
    case TokenKind::kString:
    case TokenKind::kQuotedId:
      return (token.text.front() == '\'' || token.text.front() == '"') &&
             equals_lower(token.text.substr(1, token.text.size() - 2), "now");
    default:
      return false;
  }
}

// Parses an integer literal (decimal or 0x hex); false if it is not one or exceeds `max`.
bool parse_count(std::string_view text, uint64_t max, uint64_t* value) {
  uint64_t result = 0;
  int base = 10;
  size_t i = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    i = 2;
  }
  for (; i < text.size(); ++i) {
    char c = text[i];
    int digit = -1;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    }
    if (digit < 0) {
      return false;  // a real number such as 16.0 or 1e2: left to SQLite
    }
    result = result * base + static_cast<uint64_t>(digit);
    if (result > max) {
      return false;
    }
  }
  *value = result;
  return true;
}

}  // namespace

namespace {

// Plans and emits the rewrite of one statement. Lives for one rewrite_script() call.
class StatementRewriter {
 public:
  StatementRewriter(const Script& script, const Statement& statement, const RewriteContext& context)
      : script_(script),
        begin_(statement.begin),
        end_(statement.end),
        context_(context),
        flags_(statement.end - statement.begin, 0) {}

  // Finds the rewrites; returns true if the statement counts as rewritten (spec §7.1: a literal
  // was substituted, or a date/time function with arguments was seen while time rewriting is on).
  bool plan() {
    if (begin_ == end_) {
      return false;
    }
    size_t scope = find_scope();
    if (scope != kNone) {
      size_t verb = find_verb(scope);
      if (verb != kNone) {
        mark_target_names(verb);
      }
    }
    walk(scope);
    std::sort(edits_.begin(), edits_.end(),
              [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
    return counted_ || !edits_.empty();
  }

  void emit(std::string* out) const;

 private:
  const Token& token(size_t i) const { return script_.tokens[i]; }
  uint8_t& flag(size_t i) { return flags_[i - begin_]; }
  uint8_t flag(size_t i) const { return flags_[i - begin_]; }
  bool word_at(size_t i, std::string_view lower) const {
    return i < end_ && is_word(token(i), lower);
  }
  bool punct_at(size_t i, std::string_view p) const { return i < end_ && is_punct(token(i), p); }
  // Index after the parenthesised group opening at i, or i + 1 for any other token.
  size_t skip_group(size_t i) const { return punct_at(i, "(") ? script_.partner[i] + 1 : i + 1; }
  bool is_nameable(size_t i) const {
    return i < end_ && (token(i).kind == TokenKind::kQuotedId ||
                        (token(i).kind == TokenKind::kWord && !is_reserved_word(token(i).text)));
  }

  size_t find_scope();
  size_t find_create_table_select(size_t create) const;
  size_t find_verb(size_t scope) const;
  void mark_target_names(size_t verb);
  size_t mark_qualified_name(size_t i);
  void walk(size_t scope);
  void mark_contextual_keyword(size_t i);
  bool is_call(size_t i) const;
  bool is_cte_name(size_t i) const;
  void visit_call(size_t i, bool in_order_by);
  void rewrite_random(size_t i, const std::string& name);
  void rewrite_time(size_t i, const std::string& name);
  std::string random_blob_literal(uint64_t bytes_count) const;
  void append_token(std::string* out, size_t i) const;

  const Script& script_;
  size_t begin_;
  size_t end_;
  const RewriteContext& context_;
  std::vector<uint8_t> flags_;  // TokenFlag bits per token of the statement
  std::vector<Edit> edits_;
  bool counted_ = false;
};

// Returns the first token where calls may be rewritten, or kNone. Only statements that run once
// qualify: DML and SELECT, and the SELECT of CREATE TABLE … AS. Anything stored and re-run later
// (trigger and view bodies, column DEFAULT/CHECK/generated expressions) must stay as written.
size_t StatementRewriter::find_scope() {
  size_t i = begin_;
  if (word_at(i, "explain")) {
    flag(i) |= kUpper;
    ++i;
    if (word_at(i, "query") && word_at(i + 1, "plan")) {
      flag(i) |= kUpper;
      flag(i + 1) |= kUpper;
      i += 2;
    }
  }
  if (i >= end_) {
    return kNone;
  }
  flag(i) |= kUpper;
  for (std::string_view head : {"select", "values", "insert", "replace", "update", "delete"}) {
    if (word_at(i, head)) {
      return i;
    }
  }
  if (word_at(i, "with")) {
    if (word_at(i + 1, "recursive")) {
      flag(i + 1) |= kUpper;
    }
    return i;
  }
  if (word_at(i, "create")) {
    return find_create_table_select(i);
  }
  return kNone;
}

size_t StatementRewriter::find_create_table_select(size_t create) const {
  size_t i = create + 1;
  if (word_at(i, "temp") || word_at(i, "temporary")) {
    ++i;
  }
  if (!word_at(i, "table")) {
    return kNone;
  }
  for (; i < end_; i = skip_group(i)) {
    if (word_at(i, "as") &&
        (word_at(i + 1, "select") || word_at(i + 1, "with") || word_at(i + 1, "values"))) {
      return i + 1;
    }
  }
  return kNone;
}

// The main verb: the scope's first word, or after a WITH clause the first top-level verb (the
// common table expressions' bodies are parenthesised, so they are skipped whole).
size_t StatementRewriter::find_verb(size_t scope) const {
  if (!word_at(scope, "with")) {
    return scope;
  }
  for (size_t i = scope + 1; i < end_; i = skip_group(i)) {
    for (std::string_view verb : {"select", "values", "insert", "replace", "update", "delete"}) {
      if (word_at(i, verb)) {
        return i;
      }
    }
  }
  return kNone;
}

// Quotes the target of INSERT/REPLACE (with its column list), UPDATE and DELETE, as the
// reference's re-serialisation does. Quoting is safe there: a target name never falls back to a
// string literal the way an unknown "name" in an expression does.
void StatementRewriter::mark_target_names(size_t verb) {
  size_t i = verb + 1;
  bool insert = word_at(verb, "insert") || word_at(verb, "replace");
  if ((insert || word_at(verb, "update")) && word_at(i, "or") && i + 1 < end_) {
    flag(i + 1) |= kUpper;  // INSERT OR REPLACE, UPDATE OR IGNORE, ...
    i += 2;
  }
  if (insert) {
    if (!word_at(i, "into")) {
      return;
    }
    i = mark_qualified_name(i + 1);
    if (word_at(i, "as") && is_nameable(i + 1)) {
      flag(i + 1) |= kQuote | kNotCall;
      i += 2;
    }
    if (punct_at(i, "(")) {
      for (size_t k = i + 1; k < script_.partner[i]; ++k) {
        if (is_nameable(k)) {
          flag(k) |= kQuote | kNotCall;
        }
      }
    }
  } else if (word_at(verb, "update")) {
    mark_qualified_name(i);
  } else if (word_at(verb, "delete") && word_at(i, "from")) {
    mark_qualified_name(i + 1);
  }
}

// [schema.]name at i: marks the names; returns the index after them.
size_t StatementRewriter::mark_qualified_name(size_t i) {
  if (!is_nameable(i)) {
    return i;
  }
  flag(i) |= kQuote | kNotCall;
  if (punct_at(i + 1, ".") && is_nameable(i + 2)) {
    flag(i + 2) |= kQuote | kNotCall;
    return i + 3;
  }
  return i + 1;
}

// One pass over the statement: tracks nesting and ORDER BY terms, marks calls and contextual
// keywords everywhere (for emission) and plans rewrites of calls from `scope` on.
void StatementRewriter::walk(size_t scope) {
  int depth = 0;
  int order_by_depth = -1;  // depth of the ORDER BY whose terms we are in, or -1
  for (size_t i = begin_; i < end_; ++i) {
    const Token& t = token(i);
    if (is_punct(t, "(")) {
      ++depth;
      continue;
    }
    if (is_punct(t, ")")) {
      --depth;
      if (depth < order_by_depth) {
        order_by_depth = -1;  // the group holding the ORDER BY closed
      }
      continue;
    }
    if (t.kind == TokenKind::kWord) {
      if (order_by_depth < 0 && is_word(t, "order") && word_at(i + 1, "by")) {
        order_by_depth = depth;
      } else if (order_by_depth == depth &&
                 (is_word(t, "limit") || is_word(t, "on") || is_word(t, "returning"))) {
        order_by_depth = -1;  // the clauses that may follow ORDER BY at its level
      }
      mark_contextual_keyword(i);
    }
    if (is_call(i)) {
      flag(i) |= kCallName;
      if (scope != kNone && i >= scope) {
        visit_call(i, order_by_depth >= 0);
      }
    }
  }
}

// Non-reserved words that are plainly keywords here get upper-cased like reserved ones.
void StatementRewriter::mark_contextual_keyword(size_t i) {
  const Token& t = token(i);
  if (is_word(t, "by") && i > begin_ &&
      (word_at(i - 1, "order") || word_at(i - 1, "group") || word_at(i - 1, "partition"))) {
    flag(i) |= kUpper;
  } else if (is_join_word(t.text) && i + 1 < end_ && token(i + 1).kind == TokenKind::kWord &&
             (word_at(i + 1, "join") || is_join_word(token(i + 1).text))) {
    flag(i) |= kUpper;
  } else if ((is_word(t, "partition") && word_at(i + 1, "by")) ||
             (is_word(t, "cast") && punct_at(i + 1, "(")) ||
             ((is_word(t, "filter") || is_word(t, "over")) && i > begin_ && punct_at(i - 1, ")"))) {
    flag(i) |= kUpper;  // CAST(, PARTITION BY, count(*) FILTER (...) OVER (...)
  }
}

// A name directly followed by `(` is a function call unless it is a reserved word (VALUES (,
// IN (, ...), a target name, a CTE name, a type name (CAST(x AS t(10))), qualified, or follows a
// `)` (OVER (...), FILTER (...)) or a literal.
bool StatementRewriter::is_call(size_t i) const {
  const Token& t = token(i);
  if (!punct_at(i + 1, "(") || (flag(i) & kNotCall) != 0) {
    return false;
  }
  if (t.kind != TokenKind::kQuotedId && (t.kind != TokenKind::kWord || is_reserved_word(t.text))) {
    return false;
  }
  if (i > begin_) {
    TokenKind before = token(i - 1).kind;
    // After a literal or `)` a name ends an operand (OVER, FILTER, an alias); literals count too
    // so that a rewritten call's literal does not turn its neighbour into a call on a re-run.
    if (punct_at(i - 1, ".") || punct_at(i - 1, ")") || word_at(i - 1, "as") ||
        before == TokenKind::kNumber || before == TokenKind::kString ||
        before == TokenKind::kBlob || before == TokenKind::kVariable) {
      return false;
    }
  }
  return !is_cte_name(i);
}

// WITH name(columns) AS [NOT] [MATERIALIZED] (...): the name is not a call.
bool StatementRewriter::is_cte_name(size_t i) const {
  size_t next = script_.partner[i + 1] + 1;
  if (!word_at(next, "as")) {
    return false;
  }
  ++next;
  if (word_at(next, "not")) {
    ++next;
  }
  if (word_at(next, "materialized")) {
    ++next;
  }
  return punct_at(next, "(");
}

void StatementRewriter::visit_call(size_t i, bool in_order_by) {
  std::string name = identifier_value(token(i));
  if (context_.options.random && !in_order_by) {
    rewrite_random(i, name);
  }
  if (context_.options.time) {
    rewrite_time(i, name);
  }
}

// RANDOM() → a non-negative integer literal; RANDOMBLOB(N), N an integer literal → x'…'.
void StatementRewriter::rewrite_random(size_t i, const std::string& name) {
  size_t close = script_.partner[i + 1];
  if (equals_lower(name, "random")) {
    if (close == i + 2) {
      uint64_t value = context_.random_source(context_.random_ctx) & INT64_MAX;
      edits_.push_back(Edit{i, close + 1, std::to_string(value)});
    }
    return;
  }
  if (!equals_lower(name, "randomblob")) {
    return;
  }
  size_t arg = i + 2;
  bool negative = false;
  if (punct_at(arg, "-") || punct_at(arg, "+")) {
    negative = is_punct(token(arg), "-");
    ++arg;
  }
  uint64_t count = 0;
  if (arg + 1 != close || token(arg).kind != TokenKind::kNumber ||
      !parse_count(token(arg).text, kRandomBlobBytesMax, &count)) {
    return;
  }
  if (negative || count < 1) {
    count = 1;  // SQLite's randomblob(N) returns one byte for N < 1
  }
  edits_.push_back(Edit{i, close + 1, random_blob_literal(count)});
}

std::string StatementRewriter::random_blob_literal(uint64_t bytes_count) const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string literal = "x'";
  literal.reserve(bytes_count * 2 + 3);
  uint64_t bits = 0;
  for (uint64_t k = 0; k < bytes_count; ++k) {
    if (k % 8 == 0) {
      bits = context_.random_source(context_.random_ctx);
    }
    unsigned byte = static_cast<unsigned>(bits >> (8 * (k % 8))) & 0xFF;
    literal.push_back(kHex[byte >> 4]);
    literal.push_back(kHex[byte & 0xF]);
  }
  literal.push_back('\'');
  return literal;
}

// date/time/datetime/julianday/unixepoch: first argument; strftime: second; timediff: either.
void StatementRewriter::rewrite_time(size_t i, const std::string& name) {
  unsigned now_arguments = 0;  // bit k: argument k may be 'now'
  size_t arguments_min = 1;    // the reference counts a call with this many arguments as a rewrite
  if (equals_lower(name, "date") || equals_lower(name, "time") || equals_lower(name, "datetime") ||
      equals_lower(name, "julianday") || equals_lower(name, "unixepoch")) {
    now_arguments = 1;
  } else if (equals_lower(name, "strftime")) {
    now_arguments = 2;
    arguments_min = 2;
  } else if (equals_lower(name, "timediff")) {
    now_arguments = 3;
    arguments_min = 2;
  } else {
    return;
  }
  size_t close = script_.partner[i + 1];
  if (close == i + 2) {
    return;  // datetime() without arguments is not rewritten (spec §7.2)
  }
  char literal[32];
  std::snprintf(literal, sizeof literal, "%.6f", context_.now_julian_day);
  size_t argument = 0;
  size_t argument_begin = i + 2;
  for (size_t k = i + 2; k <= close; k = skip_group(k)) {
    if (k != close && !is_punct(token(k), ",")) {
      continue;
    }
    bool single = k == argument_begin + 1;
    if (single && argument < 32 && (now_arguments >> argument & 1) != 0 &&
        is_now(token(argument_begin))) {
      edits_.push_back(Edit{argument_begin, k, literal});
    }
    ++argument;
    argument_begin = k + 1;
  }
  if (argument >= arguments_min) {
    counted_ = true;
  }
}

void StatementRewriter::append_token(std::string* out, size_t i) const {
  const Token& t = token(i);
  if ((flag(i) & kQuote) != 0) {
    append_double_quoted(out, identifier_value(t));
  } else if (t.kind == TokenKind::kWord && ((flag(i) & kUpper) != 0 || is_reserved_word(t.text))) {
    append_upper(out, t.text);
  } else {
    out->append(t.text);
  }
}

// Single spaces between tokens, none inside parentheses' edges, before `,` `.` `;` or after `.`,
// and none between a function name and its `(`. A space is only dropped when the previous token
// still tokenizes to itself (`1 .x` must not become the number `1.`), so the output tokenizes into
// the same sequence.
void StatementRewriter::emit(std::string* out) const {
  Previous previous = Previous::kNothing;
  size_t previous_start = out->size();
  size_t edit = 0;
  for (size_t i = begin_; i < end_; ++i) {
    const Token& t = token(i);
    bool replaced = edit < edits_.size() && edits_[edit].begin == i;
    bool tight = previous == Previous::kOpenParen || previous == Previous::kDot ||
                 previous == Previous::kUnary;
    if (!replaced) {
      tight = tight || is_punct(t, ")") || is_punct(t, ",") || is_punct(t, ".") ||
              (is_punct(t, "(") && previous == Previous::kCallName);
    }
    size_t previous_size = out->size() - previous_start;
    if (previous != Previous::kNothing && !tight) {
      out->push_back(' ');
    }
    size_t start = out->size();
    if (replaced) {
      out->append(edits_[edit].text);
      i = edits_[edit].end - 1;
      ++edit;
    } else {
      append_token(out, i);
    }
    if (previous != Previous::kNothing && tight &&
        next_token(*out, previous_start).text.size() != previous_size) {
      out->insert(start, 1, ' ');  // the tokens would merge without the space
      ++start;
    }
    previous_start = start;
    bool operand_expected = previous == Previous::kNothing || previous == Previous::kOpenParen ||
                            previous == Previous::kOperator || previous == Previous::kUnary;
    if (replaced) {
      previous = Previous::kOther;
    } else if (operand_expected && (is_punct(t, "-") || is_punct(t, "+") || is_punct(t, "~"))) {
      previous = Previous::kUnary;
    } else if (is_punct(t, "(")) {
      previous = Previous::kOpenParen;
    } else if (is_punct(t, ".")) {
      previous = Previous::kDot;
    } else if ((flag(i) & kCallName) != 0) {
      previous = Previous::kCallName;
    } else if ((t.kind == TokenKind::kPunct && !is_punct(t, ")")) ||
               (t.kind == TokenKind::kWord && (flag(i) & kQuote) == 0 &&
                is_reserved_word(t.text))) {
      previous = Previous::kOperator;
    } else {
      previous = Previous::kOther;
    }
  }
}

}  // namespace

bool rewrite_script(std::string_view sql, const Script& script, const RewriteContext& context,
                    bool always_emit, std::string* out) {
  std::vector<StatementRewriter> rewriters;
  std::vector<bool> changed;
  rewriters.reserve(script.statements.size());
  bool any_changed = false;
  for (const Statement& statement : script.statements) {
    rewriters.emplace_back(script, statement, context);
    changed.push_back(rewriters.back().plan());
    any_changed = any_changed || changed.back();
  }
  if (!any_changed && !always_emit) {
    return false;
  }
  for (size_t s = 0; s < script.statements.size(); ++s) {
    const Statement& statement = script.statements[s];
    if (statement.begin < statement.end) {
      if (!out->empty() && out->back() == ';') {
        out->push_back(' ');
      }
      if (changed[s] || always_emit) {
        rewriters[s].emit(out);
      } else {
        // Unchanged statements keep their exact text (without leading or trailing comments,
        // so a trailing `-- comment` cannot swallow the `;` appended below).
        const Token& first = script.tokens[statement.begin];
        const Token& last = script.tokens[statement.end - 1];
        out->append(sql.substr(first.offset, last.offset + last.text.size() - first.offset));
      }
    }
    if (statement.terminated) {
      out->push_back(';');
    }
  }
  return any_changed;
}

}  // namespace uq::sql::rewrite::detail
