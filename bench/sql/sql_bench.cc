// Hot paths of the SQL layer: request parsing, result encoding, applying writes.
//
//   cmake --build build-rel --target sql_bench && ./build-rel/bench/sql/sql_bench
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <future>
#include <string>

#include "core/json_writer.h"
#include "core/malloc_config.h"
#include "sql/connection.h"
#include "sql/database.h"
#include "sql/exec_options.h"
#include "sql/executor.h"
#include "sql/request.h"
#include "sql/result_writer.h"

namespace uq::sql {
namespace {

std::string parameterised_body(int statements) {
  std::string body = "[";
  for (int i = 0; i < statements; ++i) {
    if (i > 0) {
      body += ",";
    }
    body += R"j(["INSERT INTO foo(name, age, score, note) VALUES(?, ?, ?, ?)", "name-)j" +
            std::to_string(i) + R"j(", )j" + std::to_string(20 + i % 50) +
            R"j(, 3.25, "some longer note text for this row"])j";
  }
  body += "]";
  return body;
}

// Parses `body` (padded as simdjson needs) once per iteration; reports bytes per second.
void run_parse_benchmark(benchmark::State& state, const std::string& body) {
  std::string padded = body + std::string(64, '\0');
  std::string_view view(padded.data(), body.size());
  for (auto _ : state) {
    auto r = parse_request(view);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

// A bulk body of N parameterised INSERTs: 123 KB at 1000, 1.24 MB at 10000.
void BM_ParseRequestStatements(benchmark::State& state) {
  std::string body = parameterised_body(static_cast<int>(state.range(0)));
  run_parse_benchmark(state, body);
}
BENCHMARK(BM_ParseRequestStatements)->Arg(1000)->Arg(10000);

// The same shape without parameters: literal INSERT strings (what `sqlite3 .dump`-style loads
// send).
void BM_ParseRequest1000LiteralStatements(benchmark::State& state) {
  std::string body = "[";
  for (int i = 0; i < 1000; ++i) {
    body += (i > 0 ? "," : "");
    body += R"j("INSERT INTO foo(name, age, score, note) VALUES('name-)j" + std::to_string(i) +
            R"j(', 42, 3.25, 'some longer note text for this row')")j";
  }
  body += "]";
  run_parse_benchmark(state, body);
}
BENCHMARK(BM_ParseRequest1000LiteralStatements);

void BM_ParseRequestSingleStatement(benchmark::State& state) {
  std::string body = R"j([["SELECT * FROM foo WHERE id = ?", 42]])j";
  std::string padded = body + std::string(64, '\0');
  std::string_view view(padded.data(), body.size());
  for (auto _ : state) {
    auto r = parse_request(view);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRequestSingleStatement);

// An in-memory database whose table foo holds 1000 rows of (id, name, age, score, note).
sqlite3* open_rows1000_db() {
  sqlite3* db = nullptr;
  sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT, age INTEGER, score REAL, "
               "note TEXT);"
               "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
               "INSERT INTO foo SELECT x, 'name-' || x, x % 90, x * 1.25, "
               "'a note with <some> \"quotes\" ' || x FROM c;",
               nullptr, nullptr, nullptr);
  return db;
}

// 1000 rows of (id, name, age, score, note) from an in-memory table, encoded as rqlite JSON.
void BM_EncodeRows1000(benchmark::State& state) {
  sqlite3* db = open_rows1000_db();
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT * FROM foo", -1, &stmt, nullptr);
  ExecOptions options;
  options.associative = state.range(0) != 0;
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    core::JsonWriter w(&out);
    RowsError error;
    write_query_result(&w, stmt, options, 0, &error);
    sqlite3_reset(stmt);
    bytes += out.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["rows/s"] = benchmark::Counter(1000.0 * static_cast<double>(state.iterations()),
                                                benchmark::Counter::kIsRate);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}
BENCHMARK(BM_EncodeRows1000)->Arg(0)->Arg(1);

// The same 1000 rows' encoding without SQLite: the cells are fetched once (by the same
// sqlite3_column_* calls write_cell makes), then every iteration writes the identical bytes through
// the JsonWriter (columnar: arg 0; associative: arg 1). BM_EncodeRows1000 minus this is SQLite's
// stepping and column access.
void BM_EncodeRows1000Prefetched(benchmark::State& state) {
  struct Cell {
    int type;
    int64_t i;
    double d;
    std::string text;
  };
  sqlite3* db = open_rows1000_db();
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT * FROM foo", -1, &stmt, nullptr);
  const int columns = sqlite3_column_count(stmt);
  std::vector<std::string> names;
  std::vector<std::string> encoded_names;  // as write_query_result keeps them for row keys
  std::vector<std::string> types;
  for (int c = 0; c < columns; ++c) {
    names.emplace_back(sqlite3_column_name(stmt, c));
    core::JsonWriter::append_string(&encoded_names.emplace_back(), names.back());
    std::string t = sqlite3_column_decltype(stmt, c);
    for (char& ch : t) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    types.push_back(t);
  }
  // What write_query_result produces for these rows: the loop below must write the same bytes.
  const bool associative = state.range(0) != 0;
  std::string expected;
  {
    ExecOptions options;
    options.associative = associative;
    core::JsonWriter w(&expected);
    RowsError error;
    write_query_result(&w, stmt, options, 0, &error);
    sqlite3_reset(stmt);
  }
  std::vector<Cell> cells;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    for (int c = 0; c < columns; ++c) {
      Cell cell{sqlite3_column_type(stmt, c),
                sqlite3_column_int64(stmt, c),
                sqlite3_column_double(stmt, c),
                {}};
      if (cell.type == SQLITE_TEXT) {
        cell.text.assign(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                         static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      }
      cells.push_back(std::move(cell));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  // Go sorts map keys: the associative order of (id, name, age, score, note).
  const int sorted[] = {2, 0, 1, 4, 3};
  auto write_cell = [](core::JsonWriter* w, const Cell& cell) {
    if (cell.type == SQLITE_INTEGER) {
      w->value_int(cell.i);
    } else if (cell.type == SQLITE_FLOAT) {
      w->value_double(cell.d);
    } else {
      w->value_string(cell.text);
    }
  };
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    core::JsonWriter w(&out);
    w.begin_object();
    if (!associative) {
      w.key("columns");
      w.begin_array();
      for (const std::string& n : names) {
        w.value_string(n);
      }
      w.end_array();
    }
    w.key("types");
    if (associative) {
      w.begin_object();
      for (int c : sorted) {
        w.key(names[static_cast<size_t>(c)]);
        w.value_string(types[static_cast<size_t>(c)]);
      }
      w.end_object();
    } else {
      w.begin_array();
      for (const std::string& t : types) {
        w.value_string(t);
      }
      w.end_array();
    }
    w.key(associative ? "rows" : "values");
    w.begin_array();
    for (size_t row = 0; row + static_cast<size_t>(columns) <= cells.size();
         row += static_cast<size_t>(columns)) {
      if (associative) {
        w.begin_object();
        for (int c : sorted) {
          w.key_encoded(encoded_names[static_cast<size_t>(c)]);
          write_cell(&w, cells[row + static_cast<size_t>(c)]);
        }
        w.end_object();
      } else {
        w.begin_array();
        for (size_t c = 0; c < static_cast<size_t>(columns); ++c) {
          write_cell(&w, cells[row + c]);
        }
        w.end_array();
      }
    }
    w.end_array();
    w.end_object();
    bytes += out.size();
  }
  if (out != expected) {
    state.SkipWithError("prefetched encoding differs from write_query_result's bytes");
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["rows/s"] = benchmark::Counter(1000.0 * static_cast<double>(state.iterations()),
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EncodeRows1000Prefetched)->Arg(0)->Arg(1);

// The JSON writer alone: 1000 rows of 5 cells.
void BM_JsonWriterRows(benchmark::State& state) {
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    core::JsonWriter w(&out);
    w.begin_array();
    for (int i = 0; i < 1000; ++i) {
      w.begin_array();
      w.value_int(i);
      w.value_string("name-value");
      w.value_int(i % 90);
      w.value_double(i * 1.25);
      w.value_string("a note with <some> \"quotes\"");
      w.end_array();
    }
    w.end_array();
    bytes += out.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_JsonWriterRows);

class TempDb {
 public:
  explicit TempDb(bool fsync) {
    char tmpl[] = "/tmp/uq_sql_bench_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    DatabaseOptions options;
    options.path = dir_ + "/db.sqlite";
    options.fsync_on_commit = fsync;
    db_ = std::move(Database::open(options).value());
    run(request_from_sql("CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)"));
  }
  ~TempDb() {
    db_->close();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void run(Request r) {
    std::promise<void> p;
    db_->submit_write(Kind::kExecute, std::move(r), {}, [&p](Response&&) { p.set_value(); });
    p.get_future().wait();
  }
  Database& db() { return *db_; }

 private:
  std::string dir_;
  std::unique_ptr<Database> db_;
};

Request insert_request() {
  Request r;
  r.add("INSERT INTO foo(name, age) VALUES(?, ?)",
        {{"", Value::text("fiona")}, {"", Value::integer(20)}});
  return r;
}

// N single-statement INSERT requests in flight at once (as from N clients): group commit.
void BM_ApplySingleInsertsGrouped(benchmark::State& state) {
  TempDb db(state.range(0) != 0);
  constexpr int kInFlight = 256;
  for (auto _ : state) {
    std::atomic<int> remaining{kInFlight};
    std::promise<void> all;
    for (int i = 0; i < kInFlight; ++i) {
      db.db().submit_write(Kind::kExecute, insert_request(), {}, [&](Response&&) {
        if (--remaining == 0) {
          all.set_value();
        }
      });
    }
    all.get_future().wait();
  }
  state.SetItemsProcessed(state.iterations() * kInFlight);
  state.SetLabel(state.range(0) != 0 ? "synchronous=FULL" : "synchronous=OFF");
}
BENCHMARK(BM_ApplySingleInsertsGrouped)->Arg(1)->Arg(0)->UseRealTime();

// One request of 1000 parameterised INSERTs (a bulk load).
void BM_Apply1000StatementRequest(benchmark::State& state) {
  TempDb db(true);
  Request bulk;
  for (int i = 0; i < 1000; ++i) {
    bulk.append(insert_request());
  }
  for (auto _ : state) {
    db.run(bulk);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_Apply1000StatementRequest)->UseRealTime();

// A point query by key on the calling thread (no reader pool, no threads: callgrind can count its
// instructions), the way a reader runs one: prepare (or take from the statement cache), step,
// encode the envelope. First arg 0: parameterised, the same text every time; 1: the key inlined in
// the SQL, a new text on (almost) every request, as uqlite-bench -mode query sends. Second arg:
// requests per shared read transaction (Executor::begin_shared_read, as a reader's batch); 1 =
// each request in its own.
// One request; not inlined so that callgrind --toggle-collect=*point_query_once* counts exactly
// the per-request instructions.
[[gnu::noinline]] void point_query_once(Executor* exec, bool literal, int64_t id,
                                        std::string* body) {
  Request request;
  if (literal) {
    request = request_from_sql("SELECT id, v FROM bench WHERE id=" + std::to_string(id));
  } else {
    request.add("SELECT id, v FROM bench WHERE id=?", {{"", Value::integer(id)}});
  }
  body->clear();
  core::JsonWriter w(body, false);
  begin_envelope(&w);
  exec->run_read(Kind::kQuery, request, ExecOptions{}, &w);
  Response response = finish_envelope(&w, body, ExecOptions{}, 0);
  benchmark::DoNotOptimize(response);
  *body = std::move(response.body);
}

void BM_PointQueryOnConnection(benchmark::State& state) {
  char tmpl[] = "/tmp/uq_sql_bench_XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  ConnectionOptions options;
  options.path = dir + "/db.sqlite";
  options.synchronous_full = false;
  auto writer = std::move(Connection::open(options).value());
  writer->exec("CREATE TABLE bench(id INTEGER PRIMARY KEY, v TEXT); BEGIN");
  constexpr int kRows = 10000;
  for (int i = 1; i <= kRows; ++i) {
    std::string sql = "INSERT INTO bench(id, v) VALUES(" + std::to_string(i) + ", 'value')";
    writer->exec(sql.c_str());
  }
  writer->exec("COMMIT");
  options.read_only = true;
  auto reader = std::move(Connection::open(options).value());
  Executor exec(reader.get());
  const bool literal = state.range(0) != 0;
  uint64_t key = 12345;
  std::string body;
  const int64_t batch = state.range(1);
  int64_t in_batch = 0;
  for (auto _ : state) {
    key = key * 6364136223846793005ULL + 1442695040888963407ULL;  // uniform keys in [1, kRows]
    int64_t id = static_cast<int64_t>((key >> 33) % kRows) + 1;
    if (batch > 1 && in_batch == 0) {
      exec.begin_shared_read();
    }
    point_query_once(&exec, literal, id, &body);
    if (batch > 1 && ++in_batch == batch) {
      exec.end_shared_read();
      in_batch = 0;
    }
  }
  exec.end_shared_read();
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(literal ? "literal SQL" : "parameterised") +
                 (batch > 1 ? ", shared read of " + std::to_string(batch) : ""));
  reader.reset();
  writer.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_PointQueryOnConnection)->Args({0, 1})->Args({1, 1})->Args({0, 8})->Args({1, 8});

}  // namespace
}  // namespace uq::sql

// The server's allocator settings (core/malloc_config.h): without them glibc returns a parsed
// bulk body's memory to the kernel after every iteration and the parse benchmarks measure page
// faults.
int main(int argc, char** argv) {
  uq::core::configure_malloc();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
