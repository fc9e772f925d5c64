#include "storage/sqlite.h"

namespace roomplane::storage::sqlite {

core::Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  const int primary = rc & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
      primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) {
    return core::Error::unavailable("database_unavailable", std::move(message));
  }
  if (primary == SQLITE_CONSTRAINT) {
    return core::Error::conflict("constraint_violation", std::move(message));
  }
  return core::Error::internal(std::move(message));
}

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    bind_error_ = sqlite3_errmsg(db_);
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK)
    bind_error_ = sqlite3_errmsg(db_);
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK)
    bind_error_ = sqlite3_errmsg(db_);
  return *this;
}

Statement& Statement::bind_nullable(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind(index, std::nullopt);
}

Statement& Statement::bind_nullable(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind(index, std::nullopt);
}

core::Result<bool> Statement::step() {
  if (!bind_error_.empty()) {
    return core::Error::internal("sqlite bind failed: " + bind_error_);
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  return sqlite_error(db_, rc, "sqlite step");
}

core::Status Statement::run() {
  while (true) {
    auto row = step();
    if (!row)
      return std::move(row).take_error();
    if (!*row)
      return {};
  }
}

int Statement::changes() const {
  return sqlite3_changes(db_);
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL)
    return std::nullopt;
  return text(column);
}

std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL)
    return std::nullopt;
  return int64(column);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_.clear();
}

core::Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                           int busy_timeout_ms, const char* vfs) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
  if (rc != SQLITE_OK) {
    auto error = core::Error::unavailable("database_unavailable",
                                          "cannot open SQLite database " + path + ": " +
                                              (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return error;
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_)
    sqlite3_finalize(stmt->stmt_);
  cache_.clear();
  sqlite3_close_v2(db_);
}

core::Result<Statement*> Connection::prepare(const std::string& sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) {
    it->second->reset();
    in_use_.push_back(it->second.get());
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK)
    return sqlite_error(db_, rc, "sqlite prepare");
  auto [it, inserted] = cache_.emplace(sql, std::make_unique<Statement>(db_, stmt));
  in_use_.push_back(it->second.get());
  return it->second.get();
}

void Connection::reset_statements() {
  for (auto* statement : in_use_)
    statement->reset();
  in_use_.clear();
}

core::Status Connection::exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    auto error = sqlite_error(nullptr, rc, "sqlite exec");
    error.message = "sqlite exec: " + text;
    return error;
  }
  return {};
}

}  // namespace roomplane::storage::sqlite
