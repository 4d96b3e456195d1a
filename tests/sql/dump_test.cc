// Tests of sql/dump.h: the SQL dump format and its round trip, page copies of the database file,
// and the gzip framing.
#include "sql/dump.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace uq::sql {
namespace {

class DumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/uq_dump_test_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/db.sqlite";
    db_ = open(path_);
    exec(db_, "PRAGMA journal_mode=WAL");
  }
  void TearDown() override {
    sqlite3_close_v2(db_);
    std::filesystem::remove_all(dir_);
  }

  static sqlite3* open(const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    return db;
  }
  static void exec(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << (message ? message : "");
    sqlite3_free(message);
  }
  // Every row of `sql`, each column as "typeof:quote" joined with '|'.
  static std::vector<std::string> rows(sqlite3* db, const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, ("SELECT * FROM (" + sql + ")").c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sql;
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        sqlite3_value* v = sqlite3_column_value(stmt, i);
        sqlite3_stmt* q = nullptr;
        sqlite3_prepare_v2(db, "SELECT typeof(?1) || ':' || quote(?1) || ':' || hex(?1)", -1, &q,
                           nullptr);
        sqlite3_bind_value(q, 1, v);
        sqlite3_step(q);
        row += reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
        row += '|';
        sqlite3_finalize(q);
      }
      out.push_back(row);
    }
    sqlite3_finalize(stmt);
    return out;
  }
  // The whole content of a database: schema and every row of every table.
  static std::vector<std::string> content(sqlite3* db) {
    std::vector<std::string> all = rows(db,
                                        "SELECT type, name, tbl_name, sql FROM sqlite_master "
                                        "ORDER BY name");
    for (std::string t : {"t", "sqlite_sequence", "auto", "\"we\"\"ird\"", "other"}) {
      sqlite3_stmt* probe = nullptr;
      if (sqlite3_prepare_v2(db, ("SELECT * FROM " + t).c_str(), -1, &probe, nullptr) ==
          SQLITE_OK) {
        for (const std::string& row : rows(db, "SELECT * FROM " + t + " ORDER BY rowid")) {
          all.push_back(t + ":" + row);
        }
      }
      sqlite3_finalize(probe);
    }
    return all;
  }
  std::string dump(const std::vector<std::string>& tables = {}) {
    auto text = dump_sql_file(path_, tables);
    EXPECT_TRUE(text.is_ok()) << text.status().to_string();
    return text.is_ok() ? *text : std::string();
  }
  // Loads `text` into a fresh database and returns its content.
  std::vector<std::string> load_fresh(const std::string& text) {
    std::string fresh = dir_ + "/fresh" + std::to_string(fresh_count_++) + ".sqlite";
    sqlite3* db = open(fresh);
    exec(db, text);
    auto out = content(db);
    sqlite3_close_v2(db);
    return out;
  }
  void populate_every_type() {
    exec(db_, "CREATE TABLE t (id INTEGER PRIMARY KEY, v)");
    exec(db_,
         "INSERT INTO t(v) VALUES (NULL), (42), (-9223372036854775808), (3.25), (1e100), (-0.0), "
         "(0.1), ('it''s \"quoted\"'), ('line1\nline2\r\n'), (''), (x'00ff10'), (x'')");
  }

  std::string dir_;
  std::string path_;
  sqlite3* db_ = nullptr;
  int fresh_count_ = 0;
};

TEST_F(DumpTest, SmallTableDumpsInExactFormat) {
  exec(db_, "CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT)");
  exec(db_, "INSERT INTO foo(name) VALUES('fiona'), (NULL)");
  EXPECT_EQ(dump(),
            "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
            "CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT);\n"
            "INSERT INTO \"foo\" VALUES(1,'fiona');\n"
            "INSERT INTO \"foo\" VALUES(2,NULL);\n"
            "COMMIT;\n");
}

TEST_F(DumpTest, EmptyDatabaseDumpsOnlyTheFrame) {
  EXPECT_EQ(dump(), "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCOMMIT;\n");
}

TEST_F(DumpTest, EveryValueTypeRoundTripsThroughTheDump) {
  populate_every_type();
  std::string text = dump();
  EXPECT_NE(text.find("INSERT INTO \"t\" VALUES(5,1.0e+100);\n"), std::string::npos) << text;
  EXPECT_NE(text.find("X'00FF10'"), std::string::npos) << text;
  EXPECT_NE(text.find("'line1\nline2\r\n'"), std::string::npos) << text;
  auto original = content(db_);
  ASSERT_EQ(original.size(), 1u + 12u);
  EXPECT_EQ(load_fresh(text), original);
}

TEST_F(DumpTest, SequenceIndexViewAndTriggerFollowTheTables) {
  exec(db_, "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)");
  exec(db_, "CREATE TABLE auto (n INTEGER)");
  exec(db_, "CREATE INDEX t_name ON t(name)");
  exec(db_, "CREATE VIEW v AS SELECT name FROM t");
  exec(db_, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO auto VALUES (new.id); END");
  exec(db_, "INSERT INTO t(name) VALUES ('a'), ('b'), ('c')");
  exec(db_, "DELETE FROM t WHERE name = 'c'");  // sqlite_sequence keeps 3
  std::string text = dump();
  size_t create_t = text.find("CREATE TABLE t ");
  size_t sequence = text.find(
      "DELETE FROM \"sqlite_sequence\";\n"
      "INSERT INTO \"sqlite_sequence\" VALUES('t',3);\n");
  size_t index = text.find("CREATE INDEX t_name ON t(name);\n");
  size_t view = text.find("CREATE VIEW v AS SELECT name FROM t;\n");
  size_t trigger = text.find("CREATE TRIGGER tr AFTER INSERT");
  ASSERT_NE(sequence, std::string::npos) << text;
  ASSERT_NE(index, std::string::npos) << text;
  ASSERT_NE(view, std::string::npos) << text;
  ASSERT_NE(trigger, std::string::npos) << text;
  EXPECT_LT(create_t, sequence);
  EXPECT_LT(sequence, index);
  EXPECT_TRUE(text.ends_with("COMMIT;\n"));
  auto original = content(db_);
  EXPECT_EQ(load_fresh(text), original);
  // The next AUTOINCREMENT id continues after the dumped sequence, not after the rows.
  std::string fresh = dir_ + "/seq.sqlite";
  sqlite3* db = open(fresh);
  exec(db, text);
  exec(db, "INSERT INTO t(name) VALUES ('d')");
  EXPECT_EQ(rows(db, "SELECT max(id) FROM t"), std::vector<std::string>{"integer:4:34|"});
  sqlite3_close_v2(db);
}

TEST_F(DumpTest, TablesFilterKeepsOnlyNamedTablesAndTheirIndexes) {
  exec(db_, "CREATE TABLE t (a)");
  exec(db_, "CREATE TABLE other (b)");
  exec(db_, "CREATE INDEX other_b ON other(b)");
  exec(db_, "CREATE INDEX t_a ON t(a)");
  exec(db_, "INSERT INTO t VALUES (1)");
  exec(db_, "INSERT INTO other VALUES (2)");
  EXPECT_EQ(dump({"t"}),
            "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
            "CREATE TABLE t (a);\n"
            "INSERT INTO \"t\" VALUES(1);\n"
            "CREATE INDEX t_a ON t(a);\n"
            "COMMIT;\n");
  EXPECT_EQ(dump({"nosuch"}), "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCOMMIT;\n");
}

TEST_F(DumpTest, QuotesInTableAndColumnNamesAreEscaped) {
  exec(db_, "CREATE TABLE \"we\"\"ird\" (\"c\"\"1\", 'c''2')");
  exec(db_, "INSERT INTO \"we\"\"ird\" VALUES ('x', 2)");
  std::string text = dump();
  EXPECT_NE(text.find("INSERT INTO \"we\"\"ird\" VALUES('x',2);\n"), std::string::npos) << text;
  EXPECT_EQ(load_fresh(text), content(db_));
}

TEST_F(DumpTest, Stat1IsRecreatedWithAnalyze) {
  exec(db_, "CREATE TABLE t (a)");
  exec(db_, "CREATE INDEX t_a ON t(a)");
  exec(db_, "INSERT INTO t VALUES (1), (2)");
  exec(db_, "ANALYZE");
  std::string text = dump();
  EXPECT_NE(
      text.find(
          "ANALYZE \"sqlite_master\";\nINSERT INTO \"sqlite_stat1\" VALUES('t','t_a','2 1');\n"),
      std::string::npos)
      << text;
  std::string fresh = dir_ + "/stat.sqlite";
  sqlite3* db = open(fresh);
  exec(db, text);
  EXPECT_EQ(rows(db, "SELECT stat FROM sqlite_stat1"),
            std::vector<std::string>{"text:'2 1':322031|"});
  sqlite3_close_v2(db);
}

TEST_F(DumpTest, Sqlite3CliLoadsTheDump) {
  if (std::system("sqlite3 -version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no sqlite3 CLI";
  }
  populate_every_type();
  // The shell's line reader turns "\r\n" into "\n" even inside a string literal; the SQLite API
  // (and so POST /db/load) keeps it, which EveryValueTypeRoundTripsThroughTheDump checks.
  exec(db_, "UPDATE t SET v = replace(v, char(13), '') WHERE typeof(v) = 'text'");
  exec(db_, "CREATE TABLE auto (id INTEGER PRIMARY KEY AUTOINCREMENT, n)");
  exec(db_, "INSERT INTO auto(n) VALUES (1)");
  exec(db_, "CREATE VIEW vv AS SELECT * FROM t");
  std::string dump_path = dir_ + "/dump.sql";
  std::ofstream(dump_path, std::ios::binary) << dump();
  std::string cli_db = dir_ + "/cli.sqlite";
  std::string command = "sqlite3 -bail " + cli_db + " < " + dump_path + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  sqlite3* db = open(cli_db);
  EXPECT_EQ(content(db), content(db_));
  sqlite3_close_v2(db);
}

TEST_F(DumpTest, CopyIsCompleteAndKeepsTheWalHeader) {
  populate_every_type();
  auto image = copy_database(path_, {});
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  ASSERT_GT(image->size(), 100u);
  EXPECT_TRUE(image->starts_with(std::string("SQLite format 3\0", 16)));
  EXPECT_EQ((*image)[18], 2);
  EXPECT_EQ((*image)[19], 2);
  std::string copy = dir_ + "/copy.sqlite";
  std::ofstream(copy, std::ios::binary) << *image;
  sqlite3* db = open(copy);
  EXPECT_EQ(content(db), content(db_));
  sqlite3_close_v2(db);
}

TEST_F(DumpTest, CopyExcludesAnOpenWriteTransactionAndDoesNotWaitForIt) {
  exec(db_, "CREATE TABLE t (a)");
  exec(db_, "INSERT INTO t VALUES (1)");
  exec(db_, "BEGIN");
  exec(db_, "INSERT INTO t VALUES (2)");
  auto image = copy_database(path_, {});
  exec(db_, "COMMIT");
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  std::string copy = dir_ + "/copy.sqlite";
  std::ofstream(copy, std::ios::binary) << *image;
  sqlite3* db = open(copy);
  EXPECT_EQ(rows(db, "SELECT a FROM t"), std::vector<std::string>{"integer:1:31|"});
  sqlite3_close_v2(db);
}

TEST_F(DumpTest, DeleteModeCopyHasRollbackHeader) {
  populate_every_type();
  auto image = copy_database(path_, {.delete_mode = true});
  ASSERT_TRUE(image.is_ok()) << image.status().to_string();
  EXPECT_EQ((*image)[18], 1);
  EXPECT_EQ((*image)[19], 1);
  std::string copy = dir_ + "/copy.sqlite";
  std::ofstream(copy, std::ios::binary) << *image;
  sqlite3* db = open(copy);
  EXPECT_EQ(rows(db, "SELECT * FROM pragma_journal_mode"),
            std::vector<std::string>{"text:'delete':64656C657465|"});
  EXPECT_EQ(content(db), content(db_));
  sqlite3_close_v2(db);
}

TEST_F(DumpTest, VacuumedCopyDropsFreePagesAndKeepsContent) {
  exec(db_, "CREATE TABLE t (a)");
  exec(db_, "CREATE TABLE other (b)");
  exec(db_, "INSERT INTO other VALUES (zeroblob(1000000))");
  exec(db_, "INSERT INTO t VALUES (1)");
  exec(db_, "DELETE FROM other");
  auto plain = copy_database(path_, {});
  auto vacuumed = copy_database(path_, {.vacuum = true});
  ASSERT_TRUE(plain.is_ok() && vacuumed.is_ok());
  EXPECT_LT(vacuumed->size() * 10, plain->size());
  EXPECT_EQ((*vacuumed)[18], 2);
  std::string copy = dir_ + "/copy.sqlite";
  std::ofstream(copy, std::ios::binary) << *vacuumed;
  sqlite3* db = open(copy);
  EXPECT_EQ(content(db), content(db_));
  EXPECT_EQ(rows(db, "SELECT * FROM pragma_integrity_check"),
            std::vector<std::string>{"text:'ok':6F6B|"});
  sqlite3_close_v2(db);
}

TEST_F(DumpTest, CopyOfMissingFileFails) {
  EXPECT_FALSE(copy_database(dir_ + "/nosuch/db.sqlite", {}).is_ok());
  EXPECT_FALSE(dump_sql_file(dir_ + "/nosuch/db.sqlite", {}).is_ok());
}

TEST(Gzip, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
  EXPECT_EQ(crc32("6789", crc32("12345")), 0xCBF43926u);
}

// The table-driven CRC (eight bytes at a time, then a byte at a time) against the plain
// bit-by-bit definition, for every length and starting offset up to 40 bytes and a long buffer.
TEST(Gzip, Crc32MatchesTheBitwiseDefinitionAtEveryLengthAndOffset) {
  auto bitwise = [](std::string_view data, uint32_t crc) {
    crc = ~crc;
    for (unsigned char ch : data) {
      crc ^= ch;
      for (int k = 0; k < 8; ++k) {
        crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
      }
    }
    return ~crc;
  };
  std::string bytes;
  for (int i = 0; i < 100000; ++i) {
    bytes.push_back(static_cast<char>((i * 2654435761u) >> 24));
  }
  for (size_t off = 0; off < 8; ++off) {
    for (size_t len = 0; len <= 40; ++len) {
      std::string_view piece(bytes.data() + off, len);
      ASSERT_EQ(crc32(piece), bitwise(piece, 0)) << off << " " << len;
      ASSERT_EQ(crc32(piece, 0x12345678u), bitwise(piece, 0x12345678u)) << off << " " << len;
    }
  }
  EXPECT_EQ(crc32(bytes), bitwise(bytes, 0));
}

TEST(Gzip, StoredMemberFraming) {
  std::string out = gzip_stored("abc");
  ASSERT_EQ(out.size(), 10u + 5u + 3u + 8u);
  EXPECT_EQ(out.substr(0, 3), "\x1f\x8b\x08");
  EXPECT_EQ(out.substr(10, 5), std::string("\x01\x03\x00\xfc\xff", 5));
  EXPECT_EQ(out.substr(15, 3), "abc");
  EXPECT_EQ(gzip_stored("").size(), 10u + 5u + 8u);
}

TEST(Gzip, GunzipRestoresMultiBlockData) {
  if (std::system("gzip --version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no gzip";
  }
  std::string data;
  for (int i = 0; i < 200000; ++i) {
    data.push_back(static_cast<char>((i * 7919) & 0xFF));
  }
  char tmpl[] = "/tmp/uq_gzip_test_XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/x.gz", std::ios::binary) << gzip_stored(data);
  ASSERT_EQ(std::system(("gzip -d " + dir + "/x.gz").c_str()), 0);
  std::ifstream in(dir + "/x", std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, data);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace uq::sql
