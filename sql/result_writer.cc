#include "sql/result_writer.h"

#include <algorithm>
#include <vector>

#include "sql/timestamp.h"

namespace uq::sql {
namespace {

enum class Decl : uint8_t { kOther, kBoolean, kDate };

struct Column {
  std::string name;
  std::string encoded_name;  // name as a JSON string, for associative rows' keys
  std::string type;          // declared (lower-cased) or inferred from the first row
  Decl decl = Decl::kOther;
  bool text_like = false;  // BLOB cells render as strings
};

std::string lowered(const char* s) {
  std::string out = s != nullptr ? s : "";
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

const char* inferred_type(int storage_class) {
  switch (storage_class) {
    case SQLITE_INTEGER:
      return "integer";
    case SQLITE_FLOAT:
      return "real";
    case SQLITE_TEXT:
    case SQLITE_BLOB:
      return "text";
    default:
      return "";
  }
}

// Column metadata; `has_row` means the statement sits on its first row (for type inference).
std::vector<Column> describe_columns(sqlite3_stmt* stmt, bool has_row, bool qualify) {
  int n = sqlite3_column_count(stmt);
  std::vector<Column> cols(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Column& c = cols[static_cast<size_t>(i)];
    const char* name = sqlite3_column_name(stmt, i);
    c.name = name != nullptr ? name : "";
    if (qualify) {
      const char* table = sqlite3_column_table_name(stmt, i);
      if (table != nullptr && *table != '\0') {
        c.name = std::string(table) + "." + c.name;
      }
    }
    std::string decl = lowered(sqlite3_column_decltype(stmt, i));
    if (decl == "boolean") {
      c.decl = Decl::kBoolean;
    } else if (decl == "date" || decl == "datetime" || decl == "timestamp") {
      c.decl = Decl::kDate;
    }
    c.type = !decl.empty() ? decl : has_row ? inferred_type(sqlite3_column_type(stmt, i)) : "";
    c.text_like = is_text_type(c.type);
    core::JsonWriter::append_string(&c.encoded_name, c.name);
  }
  return cols;
}

// Go map encoding: keys sorted, a repeated column name keeps its last column.
std::vector<int> associative_order(const std::vector<Column>& cols) {
  std::vector<int> order(cols.size());
  for (size_t i = 0; i < cols.size(); ++i) {
    order[i] = static_cast<int>(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return cols[a].name < cols[b].name; });
  std::vector<int> unique;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i + 1 < order.size() && cols[order[i]].name == cols[order[i + 1]].name) {
      continue;  // a later column of the same name wins
    }
    unique.push_back(order[i]);
  }
  return unique;
}

// Writes one cell; false (with *error) only for a timestamp Go cannot marshal. The cell is read
// through its sqlite3_value: each sqlite3_column_*() call would enter and leave the connection's
// mutex and check for a malloc failure, two or three times per cell. The value is used at once, on
// the thread that owns the connection, before the next step.
bool write_cell(core::JsonWriter* w, sqlite3_stmt* stmt, int i, const Column& col, bool blob_array,
                std::string* scratch, RowsError* error) {
  sqlite3_value* cell = sqlite3_column_value(stmt, i);
  switch (sqlite3_value_type(cell)) {
    case SQLITE_INTEGER: {
      int64_t v = sqlite3_value_int64(cell);
      if (col.decl == Decl::kBoolean) {
        w->value_bool(v > 0);
      } else if (col.decl == Decl::kDate) {
        scratch->clear();
        if (!append_timestamp_from_unix(scratch, v)) {
          error->code = SQLITE_ERROR;
          error->message = kTimestampYearError;
          return false;
        }
        w->value_string(*scratch);
      } else {
        w->value_int(v);
      }
      return true;
    }
    case SQLITE_FLOAT:
      w->value_double(sqlite3_value_double(cell));
      return true;
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(cell));
      std::string_view text(p != nullptr ? p : "", static_cast<size_t>(sqlite3_value_bytes(cell)));
      if (col.decl == Decl::kDate) {
        scratch->clear();
        append_timestamp_from_text(scratch, text);
        w->value_string(*scratch);
      } else {
        w->value_string(text);
      }
      return true;
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const char*>(sqlite3_value_blob(cell));
      std::string_view bytes(p != nullptr ? p : "", static_cast<size_t>(sqlite3_value_bytes(cell)));
      if (col.text_like) {
        w->value_string(bytes);
      } else if (blob_array) {
        w->begin_array();
        for (char b : bytes) {
          w->value_int(static_cast<unsigned char>(b));
        }
        w->end_array();
      } else {
        scratch->clear();
        append_base64(scratch, bytes);
        w->value_string(*scratch);
      }
      return true;
    }
    default:
      w->value_null();
      return true;
  }
}

void write_time(core::JsonWriter* w, const ExecOptions& options, int64_t start_ns) {
  if (!options.timings) {
    return;
  }
  double seconds = seconds_since(start_ns, monotonic_ns());
  if (seconds != 0) {
    w->key("time");
    w->value_double(seconds);
  }
}

// Writes rows while the statement yields them; returns the final step code.
int write_rows(core::JsonWriter* w, sqlite3_stmt* stmt, const std::vector<Column>& cols,
               const std::vector<int>* order, const ExecOptions& options, int rc,
               RowsError* error) {
  std::string scratch;
  while (rc == SQLITE_ROW) {
    if (order != nullptr) {
      w->begin_object();
      for (int i : *order) {
        w->key_encoded(cols[static_cast<size_t>(i)].encoded_name);
        if (!write_cell(w, stmt, i, cols[static_cast<size_t>(i)], options.blob_array, &scratch,
                        error)) {
          return SQLITE_ERROR;
        }
      }
      w->end_object();
    } else {
      w->begin_array();
      for (size_t i = 0; i < cols.size(); ++i) {
        if (!write_cell(w, stmt, static_cast<int>(i), cols[i], options.blob_array, &scratch,
                        error)) {
          return SQLITE_ERROR;
        }
      }
      w->end_array();
    }
    rc = sqlite3_step(stmt);
  }
  return rc;
}

// A step failed midway: the output is left half-written for the caller to rewind.
bool rows_failed(sqlite3_stmt* stmt, int rc, RowsError* error) {
  if (error->code == SQLITE_OK) {
    error->code = rc;
    error->message = sqlite3_errmsg(sqlite3_db_handle(stmt));
  }
  return false;
}

}  // namespace

bool is_text_type(std::string_view t) {
  return t.empty() || t == "text" || t == "json" || t.starts_with("varchar") ||
         t.starts_with("varying character") || t.starts_with("nchar") ||
         t.starts_with("native character") || t.starts_with("nvarchar") || t.starts_with("clob");
}

void append_base64(std::string* out, std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
                    kAlphabet[v & 63]};
    out->append(quad, 4);
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
    out->append(quad, 4);
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
    out->append(quad, 4);
  }
}

void write_error_result(core::JsonWriter* w, std::string_view message, ErrorStyle style,
                        const ExecOptions& options) {
  w->begin_object();
  if (style == ErrorStyle::kQuery && options.associative) {
    w->key("rows");
    w->begin_array();
    w->end_array();
  }
  w->key("error");
  w->value_string(message);
  w->end_object();
}

void write_exec_result(core::JsonWriter* w, int64_t last_insert_id, int64_t rows_affected,
                       double seconds, const ExecOptions& options) {
  w->begin_object();
  if (last_insert_id != 0) {
    w->key("last_insert_id");
    w->value_int(last_insert_id);
  }
  if (rows_affected != 0) {
    w->key("rows_affected");
    w->value_int(rows_affected);
  }
  if (options.timings && seconds != 0) {
    w->key("time");
    w->value_double(seconds);
  }
  if (options.associative) {
    w->key("rows");
    w->value_null();
  }
  w->end_object();
}

bool write_query_result(core::JsonWriter* w, sqlite3_stmt* stmt, const ExecOptions& options,
                        int64_t start_ns, RowsError* error) {
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    error->code = rc;
    error->message = sqlite3_errmsg(sqlite3_db_handle(stmt));
    return false;
  }
  std::vector<Column> cols = describe_columns(stmt, rc == SQLITE_ROW, options.qualify_columns);
  w->begin_object();
  if (options.associative) {
    std::vector<int> order = associative_order(cols);
    if (!order.empty()) {
      w->key("types");
      w->begin_object();
      for (int i : order) {
        w->key(cols[static_cast<size_t>(i)].name);
        w->value_string(cols[static_cast<size_t>(i)].type);
      }
      w->end_object();
    }
    w->key("rows");
    w->begin_array();
    rc = write_rows(w, stmt, cols, &order, options, rc, error);
    if (rc != SQLITE_DONE) {
      return rows_failed(stmt, rc, error);
    }
    w->end_array();
  } else {
    if (!cols.empty()) {
      w->key("columns");
      w->begin_array();
      for (const Column& c : cols) {
        w->value_string(c.name);
      }
      w->end_array();
      w->key("types");
      w->begin_array();
      for (const Column& c : cols) {
        w->value_string(c.type);
      }
      w->end_array();
    }
    if (rc == SQLITE_ROW) {
      w->key("values");
      w->begin_array();
      rc = write_rows(w, stmt, cols, nullptr, options, rc, error);
      if (rc != SQLITE_DONE) {
        return rows_failed(stmt, rc, error);
      }
      w->end_array();
    }
  }
  write_time(w, options, start_ns);
  w->end_object();
  return true;
}

}  // namespace uq::sql
