// Backup and restore endpoints: GET /db/backup, POST /db/load, POST /boot (spec §6.6-6.8).
//
// Copies, dumps and the boot file write are blocking work, so they run on a reader thread of the
// database (borrowed through submit_classify with an empty request), never on the reactor and
// never on the apply thread: writes go on while a backup is taken. Answers come back to this
// reactor through run_on_reactor.
// Large bodies stream in both directions: a backup is written to a temp file in the data
// directory and sent from it (net::ResponseFile; the file is unlinked as soon as it is open, so
// nothing is left behind whatever happens to the connection); a /boot body arrives as a file
// in the data directory (net::BodyFile, HttpServerOptions::stream_body_dir set in node.cc) that
// Store::boot_database renames into place. Only a backup answered to another node (forwarded)
// is read back into memory, as it travels in one node-to-node frame.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <memory>
#include <string>
#include <vector>

#include "server/http_api.h"
#include "server/node.h"
#include "sql/command.h"
#include "sql/dump.h"
#include "sql/executor.h"
#include "sql/request.h"

namespace uq::server {

namespace {

enum class BackupFormat { kBinary, kSql, kDelete };

// fmt=binary|sql|delete, case-insensitive; absent or unknown → binary (spec §2.5).
BackupFormat backup_format(const QueryParams& params) {
  auto fmt = params.get("fmt");
  if (!fmt) {
    return BackupFormat::kBinary;
  }
  std::string lower(*fmt);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "sql") {
    return BackupFormat::kSql;
  }
  return lower == "delete" ? BackupFormat::kDelete : BackupFormat::kBinary;
}

// tables=a, b,c → {"a","b","c"}: comma-separated, each trimmed, empty names dropped.
std::vector<std::string> backup_tables(const QueryParams& params) {
  std::vector<std::string> tables;
  auto csv = params.get("tables");
  if (!csv) {
    return tables;
  }
  std::string_view rest = *csv;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) {
      name.remove_prefix(1);
    }
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) {
      name.remove_suffix(1);
    }
    if (!name.empty()) {
      tables.emplace_back(name);
    }
    if (comma == std::string_view::npos) {
      return tables;
    }
    rest.remove_prefix(comma + 1);
  }
}

// rqlite's test for a SQLite image: longer than 13 bytes and starting "SQLite format".
bool is_sqlite_data(std::string_view body) {
  return body.size() > 13 && body.starts_with("SQLite format");
}

// An empty new file under dir, for SQLite or the dump to fill.
Result<std::string> create_temp_file(const std::string& dir, const char* prefix) {
  std::string path = dir + "/" + prefix + "XXXXXX";
  int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) {
    return error(Code::kIoError, "cannot create a file in " + dir + ": " + std::strerror(errno));
  }
  ::close(fd);
  return path;
}

// The backup body of spec §6.6 as a file under dir: the copy or dump, then its gzip framing
// when asked. The path, or an error with nothing left behind.
Result<std::string> write_backup_file(const std::string& dir, const std::string& db_path,
                                      bool sql_dump, const std::vector<std::string>& tables,
                                      const sql::CopyOptions& copy, bool compress) {
  auto raw = create_temp_file(dir, "backup-");
  if (!raw.is_ok()) {
    return raw.status();
  }
  Status status = sql_dump ? sql::dump_sql_to_file(db_path, tables, *raw)
                           : sql::copy_database_to_file(db_path, copy, *raw);
  if (status.is_ok() && compress) {
    auto gz = create_temp_file(dir, "backup-gz-");
    status = gz.is_ok() ? sql::gzip_stored_file(*raw, *gz) : gz.status();
    ::unlink(raw->c_str());
    if (!status.is_ok()) {
      if (gz.is_ok()) {
        ::unlink(gz->c_str());
      }
      return status;
    }
    return *gz;
  }
  if (!status.is_ok()) {
    ::unlink(raw->c_str());
    return status;
  }
  return *raw;
}

// Opens the finished backup file and unlinks it at once (the descriptor keeps it readable):
// the response body, or for a forwarded request its bytes.
Status open_backup_body(const std::string& path, bool in_memory, net::HttpResponse* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ::unlink(path.c_str());
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return error(Code::kIoError, "cannot open the backup file " + path);
  }
  auto size = static_cast<uint64_t>(st.st_size);
  if (!in_memory) {
    out->file = std::make_shared<net::ResponseFile>(fd, size);
    return Status::ok();
  }
  out->body.resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out->body.data() + done, size - done, static_cast<off_t>(done));
    if (n <= 0) {
      ::close(fd);
      return error(Code::kIoError, "cannot read the backup file " + path);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::ok();
}

}  // namespace

void HttpApi::handle_backup(const Call& call) {
  node_.counters().add("http", "backups");
  BackupFormat format = backup_format(call.params);
  if (call.params.has("vacuum") && format != BackupFormat::kBinary) {
    reply_text_error(call.responder, 400, "invalid backup format");
    return;
  }
  if (!call.params.has("noleader") && !node_.store().is_leader()) {
    forward_to_leader(call);
    return;
  }
  auto tables = backup_tables(call.params);
  sql::CopyOptions copy;
  copy.delete_mode = format == BackupFormat::kDelete;
  copy.vacuum = call.params.has("vacuum");
  bool compress = call.params.has("compress");
  auto work = [this, format, tables = std::move(tables), copy, compress, path = node_.db_path(),
               dir = node_.temp_dir(), responder = call.responder](sql::Request&&, bool) {
    // On a reader thread: one read transaction on a connection of our own, into a file.
    auto file = write_backup_file(dir, path, format == BackupFormat::kSql, tables, copy, compress);
    auto out = std::make_shared<net::HttpResponse>();
    Status status =
        file.is_ok() ? open_backup_body(*file, responder.captured(), out.get()) : file.status();
    run_on_reactor([this, format, responder, out, status] {
      if (!status.is_ok()) {
        reply_text_error(responder, 500, status.message());
        return;
      }
      net::HttpResponse reply = response(200);
      reply.headers.emplace_back("Content-Type", format == BackupFormat::kSql
                                                     ? "application/sql"
                                                     : "application/octet-stream");
      reply.body = std::move(out->body);
      reply.file = std::move(out->file);
      finish(responder, std::move(reply));
      node_.note_backup();
    });
  };
  if (!node_.db().submit_classify(sql::Request{}, std::move(work))) {
    reply_text_error(call.responder, 503, "read queue full");
  }
}

void HttpApi::handle_load(const Call& call) {
  node_.counters().add("http", "loads");
  // The answer comes back on a database thread; the reply is written on this reactor.
  sql::Database::Done done = [this, responder = call.responder](sql::Response&& result) {
    auto shared = std::make_shared<sql::Response>(std::move(result));
    run_on_reactor([this, responder, shared] {
      if (shared->http_status != 200) {
        std::string text = std::move(shared->body);
        if (!text.empty() && text.back() == '\n') {
          text.pop_back();
        }
        reply_text_error(responder, shared->http_status, text);
        return;
      }
      // /db/load sets no content type in rqlite; Go sniffs its JSON as text (spec §2.3).
      net::HttpResponse out = response(200);
      out.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      if (!shared->envelope_error) {
        out.headers.emplace_back("X-Rqlite-Served-By", node_.config().effective_http_adv_addr());
      }
      out.body = std::move(shared->body);
      finish(responder, std::move(out));
    });
  };
  if (!node_.store().is_leader()) {
    forward_to_leader(call);
    return;
  }
  std::string_view body = call.request.body;
  if (is_sqlite_data(body)) {
    // Through the log as one entry: every node swaps the image in at the same index.
    node_.store().load_database(std::string(body), std::move(done));
    return;
  }
  // SQL text (e.g. a dump): one statement string, so every statement in it runs, stopping and
  // rolling back at the first error. Not rewritten, as rqlite does not rewrite loads.
  sql::Request request = sql::request_from_sql(body);
  sql::ExecOptions options = exec_options(call);
  options.rollback_on_error = true;
  if (!prepare_statements(call.params, /*rewrite=*/false, /*honour_noparse=*/true, &request,
                          &options)) {
    sql::ExecOptions envelope_options;
    envelope_options.pretty = options.pretty;
    done(sql::error_envelope("disallowed pragma", envelope_options));
    return;
  }
  sql::Command command = sql::make_command(sql::Kind::kExecute, std::move(request), options);
  node_.store().execute(std::move(command), std::move(options), std::move(done));
}

void HttpApi::handle_boot(const Call& call) {
  node_.counters().add("http", "boot");
  std::string_view body = call.request.body;
  // rqlite reads the first 32 bytes with io.ReadFull before it looks at them (spec §6.8).
  if (body.size() < 32) {
    reply_text_error(call.responder, 503, body.empty() ? "EOF" : "unexpected EOF");
    return;
  }
  if (!is_sqlite_data(body)) {
    reply_text_error(call.responder, 400, "invalid SQLite data");
    return;
  }
  if (!node_.store().is_leader()) {
    reply_text_error(call.responder, 503, "not leader");
    return;
  }
  // Node streams every POST /boot body into <data>/tmp as it arrives (the database's
  // filesystem), so Store::boot_database can rename it into place; a file it did not take is
  // ours to delete.
  if (call.request.body_file == nullptr) {
    reply_text_error(call.responder, 500, "boot body was not streamed to disk");
    return;
  }
  std::string file = call.request.body_file->release();
  node_.store().boot_database(file, [this, responder = call.responder, file](Status s) {
    if (!s.is_ok()) {
      ::unlink(file.c_str());
    }
    run_on_reactor([this, responder, s] {
      if (!s.is_ok()) {
        reply_text_error(responder, s.code() == Code::kUnavailable ? 503 : 500, s.message());
        return;
      }
      finish(responder, response(200));
    });
  });
}

}  // namespace uq::server
