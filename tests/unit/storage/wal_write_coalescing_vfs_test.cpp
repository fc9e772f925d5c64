#include "storage/wal_write_coalescing_vfs.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "storage/sqlite.h"
#include "support/temp_dir.h"
#include "support/write_calls.h"

namespace roomplane::storage::sqlite {
namespace {

std::unique_ptr<Connection> open(const std::string& path, const char* vfs,
                                 const std::string& pragmas) {
  auto connection = Connection::open(path, 5000, vfs);
  EXPECT_TRUE(connection.ok()) << connection.error().message;
  EXPECT_TRUE(connection.value()->exec("PRAGMA journal_mode = WAL; " + pragmas).ok());
  return std::move(connection).value();
}

std::int64_t query_int(Connection& c, const std::string& sql) {
  auto stmt = c.prepare(sql);
  EXPECT_TRUE(stmt.ok());
  auto row = (*stmt)->step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  const auto value = (*stmt)->int64(0);
  c.reset_statements();
  return value;
}

std::string query_text(Connection& c, const std::string& sql) {
  auto stmt = c.prepare(sql);
  EXPECT_TRUE(stmt.ok());
  auto row = (*stmt)->step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  auto value = (*stmt)->text(0);
  c.reset_statements();
  return value;
}

// Write calls made by one commit of `rows` rows of 3,000 bytes (a page each).
std::int64_t write_calls_of_one_commit(const std::string& path, const char* vfs, int rows) {
  auto c = open(path, vfs, "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;");
  EXPECT_TRUE(c->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)").ok());
  const auto before = testing::process_write_calls().value();
  EXPECT_TRUE(c->exec("BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                      "WHERE i < " +
                      std::to_string(rows) +
                      ") INSERT INTO t (data) SELECT randomblob(3000) FROM n; COMMIT;")
                  .ok());
  return testing::process_write_calls().value() - before;
}

TEST(WalWriteCoalescingVfs, ACommitReachesTheWalInAFewWritesInsteadOfTwoPerPage) {
  if (!testing::process_write_calls())
    GTEST_SKIP() << "/proc/self/io is not readable here";
  ASSERT_NE(wal_write_coalescing_vfs(), nullptr);
  testing::TempDir dir;
  // 100 pages of frames (about 412 KB): the default VFS writes each frame as a header and a page.
  const auto plain = write_calls_of_one_commit(dir.file("plain.db"), nullptr, 100);
  const auto coalesced =
      write_calls_of_one_commit(dir.file("coalesced.db"), wal_write_coalescing_vfs(), 100);
  EXPECT_GE(plain, 200);
  // 412 KB in pieces of at most 124 KiB, plus the WAL header and the table's creation.
  EXPECT_LE(coalesced, 12);
}

TEST(WalWriteCoalescingVfs, ATransactionLargerThanOneWriteIsCommittedWhole) {
  testing::TempDir dir;
  const auto path = dir.file("rp.db");
  {
    // About 2 MB of frames: more than the unix VFS takes in one call (128 KiB).
    auto c = open(path, wal_write_coalescing_vfs(), "PRAGMA synchronous = FULL;");
    ASSERT_TRUE(c->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)").ok());
    auto committed = c->exec(
        "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
        "INSERT INTO t (data) SELECT zeroblob(4000) FROM n; COMMIT;");
    ASSERT_TRUE(committed.ok()) << committed.error().message;
  }
  auto reopened = open(path, nullptr, "");
  EXPECT_EQ(query_int(*reopened, "SELECT count(*) FROM t"), 500);
  EXPECT_EQ(query_int(*reopened, "SELECT sum(length(data)) FROM t"), 500 * 4000);
  EXPECT_EQ(query_text(*reopened, "PRAGMA integrity_check"), "ok");
}

TEST(WalWriteCoalescingVfs, AnotherConnectionSeesEveryCommitEvenWithoutASync) {
  testing::TempDir dir;
  const auto path = dir.file("rp.db");
  // synchronous=OFF: no sync writes the frames out, only the WAL-index barrier does.
  auto writer = open(path, wal_write_coalescing_vfs(), "PRAGMA synchronous = OFF;");
  auto reader = open(path, nullptr, "");
  ASSERT_TRUE(writer
                  ->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, generation INTEGER, "
                         "data BLOB); INSERT INTO t VALUES (1, 0, zeroblob(6000));")
                  .ok());
  for (int generation = 1; generation <= 200; ++generation) {
    const auto g = std::to_string(generation);
    ASSERT_TRUE(
        writer->exec("UPDATE t SET generation = " + g + ", data = randomblob(6000) WHERE id = 1")
            .ok());
    ASSERT_EQ(query_int(*reader, "SELECT generation FROM t WHERE id = 1"), generation);
    ASSERT_EQ(query_int(*reader, "SELECT length(data) FROM t WHERE id = 1"), 6000);
    // The WAL starts over now and then, so stale frames at the same offsets would be found.
    if (generation % 50 == 0) {
      ASSERT_TRUE(writer->exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    }
  }
  EXPECT_EQ(query_text(*reader, "PRAGMA integrity_check"), "ok");
}

TEST(WalWriteCoalescingVfs, SpilledPagesAreReadBackAndARollbackLeavesNothing) {
  testing::TempDir dir;
  const auto path = dir.file("rp.db");
  // A page cache of 10 pages: a transaction of 300 pages spills frames into the WAL before it
  // commits, and reads them back from there.
  auto writer =
      open(path, wal_write_coalescing_vfs(), "PRAGMA synchronous = FULL; PRAGMA cache_size = 10;");
  ASSERT_TRUE(writer->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)").ok());
  const std::string fill =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
      "INSERT INTO t (data) SELECT randomblob(3000) FROM n;";

  ASSERT_TRUE(writer->exec("BEGIN; " + fill).ok());
  EXPECT_EQ(query_int(*writer, "SELECT sum(length(data)) FROM t"), 300 * 3000);
  ASSERT_TRUE(writer->exec("ROLLBACK").ok());
  EXPECT_EQ(query_int(*writer, "SELECT count(*) FROM t"), 0);

  ASSERT_TRUE(writer
                  ->exec("BEGIN; " + fill +
                         " UPDATE t SET data = zeroblob(3000) WHERE id % 2 = 0; "
                         "COMMIT;")
                  .ok());
  auto reader = open(path, nullptr, "");
  EXPECT_EQ(query_int(*reader, "SELECT count(*) FROM t"), 300);
  EXPECT_EQ(query_int(*reader, "SELECT count(*) FROM t WHERE data = zeroblob(3000)"), 150);
  EXPECT_EQ(query_text(*reader, "PRAGMA integrity_check"), "ok");
}

TEST(WalWriteCoalescingVfs, WhatACommitReturnsIsAlreadyInTheFiles) {
  testing::TempDir dir;
  const auto path = dir.file("rp.db");
  auto writer = open(path, wal_write_coalescing_vfs(),
                     "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;");
  ASSERT_TRUE(writer->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)").ok());
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(writer->exec("INSERT INTO t (data) VALUES (randomblob(5000))").ok());
  // Copies of the files as a crash would leave them: the writer is still open, nothing has been
  // checkpointed, so every row is only in the WAL. Recovery from the copy must find all of them.
  const auto copy = dir.file("copy.db");
  std::filesystem::copy_file(path, copy);
  std::filesystem::copy_file(path + "-wal", copy + "-wal");
  auto recovered = open(copy, nullptr, "");
  EXPECT_EQ(query_int(*recovered, "SELECT count(*) FROM t"), 20);
  EXPECT_EQ(query_int(*recovered, "SELECT sum(length(data)) FROM t"), 20 * 5000);
  EXPECT_EQ(query_text(*recovered, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace roomplane::storage::sqlite
