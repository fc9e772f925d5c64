#pragma once
// RAII over the SQLite C API: a Connection with a prepared-statement cache and a Statement with
// typed binds and columns. Failures become core::Error values (kUnavailable for busy/locked and
// I/O errors, kInternal otherwise); nothing here throws.
//
// A Connection is used by one thread at a time (SqliteDatabase hands them out).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include "core/result.h"

namespace roomplane::storage::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  // Binds are 1-based, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind_nullable(int index, const std::optional<std::string>& text);
  Statement& bind_nullable(int index, const std::optional<std::int64_t>& value);

  // Ok(true) when a row is available, Ok(false) when done.
  core::Result<bool> step();
  // Runs to completion, for statements that return no rows.
  core::Status run();
  int changes() const;

  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::int64_t int64(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  friend class Connection;
  void reset();
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string bind_error_;
};

class Connection {
 public:
  // vfs: the name of a registered SQLite VFS, or nullptr for the default one.
  static core::Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                        int busy_timeout_ms,
                                                        const char* vfs = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Returns a cached prepared statement, reset and with bindings cleared. Valid until the next
  // prepare() of the same SQL on this connection.
  core::Result<Statement*> prepare(const std::string& sql);
  // Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  core::Status exec(const std::string& sql);

  // Resets every statement prepared since the last call. A stepped but unreset SELECT keeps
  // its read transaction, and with it a stale WAL snapshot, open; SqliteDatabase calls this
  // whenever a read or write callback returns.
  void reset_statements();

  sqlite3* handle() { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
  std::vector<Statement*> in_use_;
};

core::Error sqlite_error(sqlite3* db, int rc, std::string_view what);

}  // namespace roomplane::storage::sqlite
