#pragma once
// The SQLite database: one writer connection (SQLite allows one writer at a time anyway, so
// serialising here avoids busy-waiting) and a small pool of reader connections, in WAL mode so
// readers never block the writer. Blocking: call only from WorkPool threads or the CLI, never
// from an I/O thread.
//
// Created by the composition root (or a test) with open(), then migrate(). Thread-safe.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.h"
#include "storage/sqlite.h"

namespace roomplane::storage {

// One WAL checkpoint, as reported to SqliteOptions::on_checkpoint (metrics).
struct CheckpointRun {
  enum class Trigger { kBackground, kIdle, kCommit };
  enum class Outcome { kDone, kPartial, kBusy, kError };
  Trigger trigger = Trigger::kBackground;
  // kDone: every frame of the WAL is in the database file; kPartial: frames remain (a reader's
  // snapshot pins them, or commits landed meanwhile); kBusy: another checkpoint was running.
  Outcome outcome = Outcome::kDone;
  double seconds = 0;
  int wal_frames = 0;        // frames in the WAL when it ran
  int frames_remaining = 0;  // of those, not yet in the database file afterwards

  // Every value, for metrics that show each series from the start.
  static constexpr std::array kTriggers = {Trigger::kBackground, Trigger::kIdle, Trigger::kCommit};
  static constexpr std::array kOutcomes = {Outcome::kDone, Outcome::kPartial, Outcome::kBusy,
                                           Outcome::kError};
};

// Metric label values: "background", "idle", "commit"; "done", "partial", "busy", "error".
std::string_view to_string(CheckpointRun::Trigger trigger);
std::string_view to_string(CheckpointRun::Outcome outcome);

struct SqliteOptions {
  std::string path;            // file path; parent directories are created
  int busy_timeout_ms = 5000;  // how long a statement waits for a lock before failing
  std::size_t readers = 4;     // reader connections
  // A thread with its own connection copies the WAL back while the writer goes on committing
  // (see "WAL checkpoints" below). Off only in tests that need the other triggers alone.
  bool background_checkpoints = true;
  // Called after every checkpoint, on the thread that ran it (the checkpointer, or the writer's
  // for kIdle and kCommit): keep it cheap. Empty: not reported.
  std::function<void(const CheckpointRun&)> on_checkpoint = {};
};

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // "0001_initial", ...
};

class SqliteDatabase {
 public:
  static core::Result<std::unique_ptr<SqliteDatabase>> open(const SqliteOptions& options);
  ~SqliteDatabase();  // stops the checkpointer, then closes the connections
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Applies every migration newer than the database's version, each in its own transaction.
  core::Result<MigrationReport> migrate();
  core::Result<int> schema_version();
  // Cheap round trip used by /readyz.
  core::Status ping();

  // Runs `fn(Connection&)` in a BEGIN IMMEDIATE transaction on the writer connection; commits
  // when fn returns ok, rolls back when it returns an error. fn returns core::Result<T>.
  template <class Fn>
  auto write(Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>()));

  // Runs `fn(Connection&)` on a reader connection (a consistent snapshot per statement; wrap in
  // BEGIN/COMMIT yourself if several reads must agree).
  template <class Fn>
  auto read(Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>()));

  const std::string& path() const { return options_.path; }

  // WAL checkpoints. SQLite's automatic checkpoint runs inside the commit that pushes the WAL
  // past 1,000 pages, so one commit in a few hundred stalls for the copy and an fsync of the
  // database file: the webhook tail latency. Here three triggers share the work:
  // - background: once kBackgroundCheckpointPages or more frames of the WAL have not been copied
  //   back, the checkpointer thread runs a PASSIVE checkpoint on its own connection,
  //   concurrently with the writer's next commits (SQLite lets one checkpoint run beside one
  //   writer). This does the copying. Counted from what the last checkpoint copied, not from
  //   the WAL's size: under load the WAL does not start over after a background run (the
  //   writer keeps appending), and waking the thread on size alone ran a checkpoint, with two
  //   fsyncs, after every commit.
  // - idle: checkpoint_if_idle(), which the webhook writer calls when its queue is empty, runs
  //   one on the writer's connection while no commit can start, so it can finish the WAL and
  //   the next commit starts the WAL over from its beginning (a checkpoint beside a writer that
  //   keeps appending may never reach the WAL's end).
  // - commit: SQLite's own behaviour, kept as the backstop: a commit that leaves
  //   kCommitCheckpointPages or more checkpoints inline. Under sustained load this is what
  //   lets the WAL start over; the background thread has by then copied most of its frames, so
  //   the inline one copies only the rest.
  // The background and idle thresholds are equal by choice, not by necessity
  // (bench/README.md, 2026-12-03 09:00: 500 pages for the thread kept throughput but gave back
  // most of the tail's gain).
  static constexpr int kBackgroundCheckpointPages = 200;
  static constexpr int kIdleCheckpointPages = 200;
  static constexpr int kCommitCheckpointPages = 1000;
  // The idle trigger. Returns whether it checkpointed.
  bool checkpoint_if_idle();
  int wal_pages() const { return wal_pages_.load(std::memory_order_relaxed); }

 private:
  explicit SqliteDatabase(SqliteOptions options) : options_(std::move(options)) {}
  static int on_wal_commit(void* self, sqlite3* db, const char* schema, int pages);
  // Runs a PASSIVE checkpoint on `db` and reports it; true when the WAL was copied entirely.
  bool checkpoint(sqlite3* db, const char* schema, CheckpointRun::Trigger trigger);
  void request_checkpoint();
  void run_checkpointer();
  std::unique_ptr<sqlite::Connection> borrow_reader();
  void return_reader(std::unique_ptr<sqlite::Connection> connection);

  SqliteOptions options_;
  std::mutex writer_mutex_;
  std::unique_ptr<sqlite::Connection> writer_;
  std::mutex readers_mutex_;
  std::condition_variable readers_available_;
  std::vector<std::unique_ptr<sqlite::Connection>> readers_;
  std::atomic<int> wal_pages_{0};  // frames in the WAL after the last commit (writer's view)
  // Frames of the current WAL that the last checkpoint (any trigger) left copied back; the
  // writer's commit hook resets it when it sees the WAL started over.
  std::atomic<int> copied_frames_{0};

  std::unique_ptr<sqlite::Connection> checkpointer_;  // used by checkpoint_thread_ only
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wanted_;
  bool checkpoint_requested_ = false;  // guarded by checkpoint_mutex_
  bool stopping_ = false;              // guarded by checkpoint_mutex_
  std::thread checkpoint_thread_;      // joined by the destructor before any connection closes
};

template <class Fn>
auto SqliteDatabase::write(Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>())) {
  std::lock_guard lock(writer_mutex_);
  if (auto begun = writer_->exec("BEGIN IMMEDIATE"); !begun) {
    return std::move(begun).take_error();
  }
  auto result = fn(*writer_);
  writer_->reset_statements();
  if (!result) {
    (void)writer_->exec("ROLLBACK");
    return result;
  }
  if (auto committed = writer_->exec("COMMIT"); !committed) {
    (void)writer_->exec("ROLLBACK");
    return std::move(committed).take_error();
  }
  return result;
}

template <class Fn>
auto SqliteDatabase::read(Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>())) {
  auto connection = borrow_reader();
  auto result = fn(*connection);
  connection->reset_statements();
  return_reader(std::move(connection));
  return result;
}

}  // namespace roomplane::storage
