#include "storage/sqlite_database.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "storage/migrations.h"
#include "storage/wal_write_coalescing_vfs.h"

namespace roomplane::storage {
namespace {

// FULL: a commit is on disk before we answer. Webhook acknowledgements depend on that.
// mmap_size: pages are read from the shared OS page cache by memory access instead of one
// read() per page miss. Profiled under webhook load, the writer spent more time copying pages in
// read() than in SQLite itself once the ledger outgrew SQLite's default 2 MiB page cache.
// (Address space only: the memory is the OS page cache the file has anyway.)
constexpr const char* kConnectionPragmas =
    "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; "
    "PRAGMA mmap_size = 1073741824;";
// The writer also keeps more pages of its own: index pages that every insert touches (the
// ledger's idempotency keys land all over their index) stay parsed between transactions.
constexpr const char* kWriterPragmas = "PRAGMA cache_size = -32768;";  // 32 MiB

}  // namespace

core::Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const SqliteOptions& options) {
  if (options.path.empty()) {
    return core::Error::invalid_argument("database_path_empty",
                                         "the SQLite database path is empty");
  }
  std::error_code ec;
  const auto parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return core::Error::unavailable(
          "database_unavailable",
          "cannot create directory " + parent.string() + ": " + ec.message());
    }
  }
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(options));
  // The writer hands each commit's WAL frames to the kernel in one write (the VFS's header says
  // why); it commits with synchronous=FULL, which that VFS requires.
  auto writer = sqlite::Connection::open(options.path, options.busy_timeout_ms,
                                         sqlite::wal_write_coalescing_vfs());
  if (!writer)
    return std::move(writer).take_error();
  db->writer_ = std::move(writer).value();
  if (auto s = db->writer_->exec("PRAGMA journal_mode = WAL;"); !s)
    return std::move(s).take_error();
  if (auto s = db->writer_->exec(kConnectionPragmas); !s)
    return std::move(s).take_error();
  if (auto s = db->writer_->exec(kWriterPragmas); !s)
    return std::move(s).take_error();
  // Replaces SQLite's automatic checkpoint on this connection (a WAL hook and the automatic
  // checkpoint are one mechanism in SQLite): on_wal_commit() does what it did, and also keeps
  // the WAL's size for checkpoint_if_idle().
  sqlite3_wal_hook(db->writer_->handle(), &SqliteDatabase::on_wal_commit, db.get());
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options.readers); ++i) {
    auto reader = sqlite::Connection::open(options.path, options.busy_timeout_ms);
    if (!reader)
      return std::move(reader).take_error();
    if (auto s = reader.value()->exec(kConnectionPragmas); !s)
      return std::move(s).take_error();
    db->readers_.push_back(std::move(reader).value());
  }
  if (options.background_checkpoints) {
    auto checkpointer = sqlite::Connection::open(options.path, options.busy_timeout_ms);
    if (!checkpointer)
      return std::move(checkpointer).take_error();
    if (auto s = checkpointer.value()->exec(kConnectionPragmas); !s)
      return std::move(s).take_error();
    db->checkpointer_ = std::move(checkpointer).value();
    db->checkpoint_thread_ = std::thread([raw = db.get()] { raw->run_checkpointer(); });
  }
  return db;
}

SqliteDatabase::~SqliteDatabase() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    stopping_ = true;
  }
  checkpoint_wanted_.notify_one();
  if (checkpoint_thread_.joinable())
    checkpoint_thread_.join();
}

bool SqliteDatabase::checkpoint(sqlite3* db, const char* schema, CheckpointRun::Trigger trigger) {
  const auto started = std::chrono::steady_clock::now();
  int log = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  CheckpointRun run;
  run.trigger = trigger;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  run.wal_frames = std::max(log, 0);
  run.frames_remaining = std::max(log - copied, 0);
  if (rc == SQLITE_OK)
    copied_frames_.store(copied, std::memory_order_relaxed);
  if (rc == SQLITE_BUSY)
    run.outcome = CheckpointRun::Outcome::kBusy;
  else if (rc != SQLITE_OK)
    run.outcome = CheckpointRun::Outcome::kError;
  else
    run.outcome = log == copied ? CheckpointRun::Outcome::kDone : CheckpointRun::Outcome::kPartial;
  if (options_.on_checkpoint)
    options_.on_checkpoint(run);
  return run.outcome == CheckpointRun::Outcome::kDone;
}

std::string_view to_string(CheckpointRun::Trigger trigger) {
  switch (trigger) {
    case CheckpointRun::Trigger::kBackground:
      return "background";
    case CheckpointRun::Trigger::kIdle:
      return "idle";
    case CheckpointRun::Trigger::kCommit:
      return "commit";
  }
  return "unknown";
}

std::string_view to_string(CheckpointRun::Outcome outcome) {
  switch (outcome) {
    case CheckpointRun::Outcome::kDone:
      return "done";
    case CheckpointRun::Outcome::kPartial:
      return "partial";
    case CheckpointRun::Outcome::kBusy:
      return "busy";
    case CheckpointRun::Outcome::kError:
      return "error";
  }
  return "unknown";
}

void SqliteDatabase::request_checkpoint() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_requested_ = true;
  }
  checkpoint_wanted_.notify_one();
}

void SqliteDatabase::run_checkpointer() {
  std::unique_lock lock(checkpoint_mutex_);
  for (;;) {
    checkpoint_wanted_.wait(lock, [this] { return checkpoint_requested_ || stopping_; });
    if (stopping_)
      return;
    // Requests that arrive while this one runs collapse into one more run after it.
    checkpoint_requested_ = false;
    lock.unlock();
    // The writer's wal_pages_ is left alone: it may already count frames committed meanwhile.
    (void)checkpoint(checkpointer_->handle(), nullptr, CheckpointRun::Trigger::kBackground);
    lock.lock();
  }
}

int SqliteDatabase::on_wal_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto* database = static_cast<SqliteDatabase*>(self);
  database->wal_pages_.store(pages, std::memory_order_relaxed);
  int copied = database->copied_frames_.load(std::memory_order_relaxed);
  // A commit only adds frames, so a WAL no longer than what was copied has started over (a
  // stale count stored by a checkpoint that raced the restart is cleared the same way).
  if (pages <= copied && database->copied_frames_.compare_exchange_strong(copied, 0))
    copied = 0;
  if (pages - copied >= kBackgroundCheckpointPages && database->options_.background_checkpoints)
    database->request_checkpoint();
  // The backstop (what SQLite's automatic checkpoint does): a PASSIVE checkpoint that never
  // waits for readers, whose outcome does not concern the commit that triggered it.
  if (pages >= kCommitCheckpointPages &&
      database->checkpoint(db, schema, CheckpointRun::Trigger::kCommit)) {
    database->wal_pages_.store(0, std::memory_order_relaxed);
  }
  return SQLITE_OK;
}

bool SqliteDatabase::checkpoint_if_idle() {
  if (wal_pages_.load(std::memory_order_relaxed) < kIdleCheckpointPages)
    return false;
  std::lock_guard lock(writer_mutex_);
  // Everything copied back: the next commit starts the WAL over, so the count restarts.
  // Otherwise (a reader's snapshot pins frames, or the checkpointer holds the checkpoint lock)
  // the next commit's hook reports the size again.
  if (!checkpoint(writer_->handle(), nullptr, CheckpointRun::Trigger::kIdle))
    return false;
  wal_pages_.store(0, std::memory_order_relaxed);
  return true;
}

core::Result<int> SqliteDatabase::schema_version() {
  std::lock_guard lock(writer_mutex_);
  if (auto s = writer_->exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                             "PRIMARY KEY, name TEXT NOT "
                             "NULL, applied_at INTEGER NOT NULL)");
      !s) {
    return std::move(s).take_error();
  }
  auto stmt = writer_->prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!stmt)
    return std::move(stmt).take_error();
  auto row = (*stmt)->step();
  if (!row)
    return std::move(row).take_error();
  const auto version = static_cast<int>((*stmt)->int64(0));
  writer_->reset_statements();
  return version;
}

core::Result<MigrationReport> SqliteDatabase::migrate() {
  auto current = schema_version();
  if (!current)
    return std::move(current).take_error();
  MigrationReport report{*current, *current, {}};
  const auto migrations = sqlite_migrations();
  if (!migrations.empty() && *current > migrations.back().version) {
    return core::Error::unavailable(
        "schema_too_new", "the database schema is version " + std::to_string(*current) +
                              " but this roomplane knows only up to " +
                              std::to_string(migrations.back().version) + "; upgrade roomplane");
  }
  for (const auto& migration : migrations) {
    if (migration.version <= *current)
      continue;
    auto applied = write([&](sqlite::Connection& c) -> core::Status {
      if (auto s = c.exec(std::string(migration.sql)); !s)
        return s;
      auto stmt = c.prepare(
          "INSERT INTO schema_migrations (version, name, applied_at) "
          "VALUES (?, ?, CAST(strftime('%s','now') AS INTEGER) * 1000)");
      if (!stmt)
        return std::move(stmt).take_error();
      (*stmt)->bind(1, std::int64_t{migration.version}).bind(2, migration.name);
      return (*stmt)->run();
    });
    if (!applied) {
      auto error = std::move(applied).take_error();
      error.message = "migration " + std::string(migration.name) + " failed: " + error.message;
      return error;
    }
    report.applied.emplace_back(migration.name);
    report.to_version = migration.version;
  }
  return report;
}

core::Status SqliteDatabase::ping() {
  return read([](sqlite::Connection& c) -> core::Status {
    auto stmt = c.prepare("SELECT 1");
    if (!stmt)
      return std::move(stmt).take_error();
    auto row = (*stmt)->step();
    if (!row)
      return std::move(row).take_error();
    return {};
  });
}

std::unique_ptr<sqlite::Connection> SqliteDatabase::borrow_reader() {
  std::unique_lock lock(readers_mutex_);
  readers_available_.wait(lock, [this] { return !readers_.empty(); });
  auto connection = std::move(readers_.back());
  readers_.pop_back();
  return connection;
}

void SqliteDatabase::return_reader(std::unique_ptr<sqlite::Connection> connection) {
  {
    std::lock_guard lock(readers_mutex_);
    readers_.push_back(std::move(connection));
  }
  readers_available_.notify_one();
}

}  // namespace roomplane::storage
