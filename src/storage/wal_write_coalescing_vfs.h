#pragma once
// A SQLite VFS that hands a transaction's WAL frames to the kernel in one write() instead of two
// per page. The ledger writer's connection opens with it (SqliteDatabase::open).
//
// Why: SQLite writes each WAL frame with two calls, its 24-byte header and then the page, so a
// commit of 26 callbacks makes about 100 pwrite() calls. Under webhook load those calls were a
// fifth of the writer thread's time on the development machine, where a system call is dear (a
// virtual machine); the copying they do is a small part of it (bench/README.md).
//
// How: it wraps the platform's default VFS and changes one thing. A write to a WAL file that
// continues the previous one is kept in memory; every other call on that WAL (a read, a sync, a
// size or truncate, a write somewhere else, closing it) first writes out what was kept, in
// order. So the WAL file goes through the same states as without the wrapper, in fewer steps,
// and a failed write is reported by the call that wrote it out: with synchronous=FULL, the
// commit's sync, so the commit fails as it would have.
//
// Other connections read frames only once the writer publishes a new WAL-index header, and
// SQLite calls xShmBarrier on the main database file while it does that (walIndexWriteHdr). The
// wrapper of the main file writes out its WAL's pending frames there, so a commit made with
// synchronous=NORMAL or OFF is readable too. xShmBarrier cannot report an error, though: a write
// that fails there is reported by the WAL's next call, after readers may have seen the header.
// Use this VFS only on connections that commit with synchronous=FULL, where the sync comes
// first and nothing is left to write at the barrier.
//
// Reading frames back (a transaction whose pages spilled, a checkpoint on the same connection,
// recovery) goes through xRead, so it always sees what was written.

namespace roomplane::storage::sqlite {

// Registers the VFS with SQLite on first use (thread-safe) and returns its name, for
// sqlite3_open_v2. nullptr if it could not be registered; open with the default VFS then.
const char* wal_write_coalescing_vfs();

}  // namespace roomplane::storage::sqlite
