#include "storage/wal_write_coalescing_vfs.h"

#include <algorithm>
#include <cstddef>
#include <new>
#include <vector>

#include <sqlite3.h>

namespace roomplane::storage::sqlite {
namespace {

constexpr const char* kVfsName = "roomplane-wal-coalescing";

// A transaction larger than this (a big migration, say) is written out in runs of this size.
constexpr std::size_t kMaxPendingBytes = std::size_t{4} << 20;
// The unix VFS writes at most 128 KiB - 1 bytes per call (os_unix.c masks the length with
// 0x1ffff and reports SQLITE_FULL when nothing was written), so pending bytes go out in pieces
// of at most this many: 31 pages of 4 KiB.
constexpr int kMaxWriteBytes = 31 * 4096;

// Contiguous writes to a WAL file not yet handed to the wrapped file.
struct PendingWrites {
  std::vector<unsigned char> bytes;
  sqlite3_int64 offset = 0;
  // A write-out that failed where no error can be returned (xShmBarrier): the WAL's next call
  // reports it.
  int deferred_error = SQLITE_OK;
};

// Every file this VFS opens. SQLite allocates szOsFile bytes for it and never constructs it, so
// it stays a C-compatible aggregate set up in xOpen; the wrapped VFS's file lives right after it.
struct File {
  sqlite3_file base;       // first: what SQLite sees
  sqlite3_file* wrapped;   // the default VFS's file, in the same allocation
  PendingWrites* pending;  // WAL files only, owned
  File* main_database;     // WAL files: the main database file of the same connection
  File* wal;               // main database files: their WAL while it is open
};

constexpr std::size_t kWrappedOffset = (sizeof(File) + alignof(std::max_align_t) - 1) /
                                       alignof(std::max_align_t) * alignof(std::max_align_t);

File* as_file(sqlite3_file* file) {
  return reinterpret_cast<File*>(file);
}

const sqlite3_io_methods* wrapped_methods(File* file) {
  return file->wrapped->pMethods;
}

// Hands the pending bytes to the wrapped file. An earlier deferred failure is reported first.
int write_out(File* file) {
  PendingWrites* pending = file->pending;
  if (pending == nullptr)
    return SQLITE_OK;
  if (pending->deferred_error != SQLITE_OK) {
    const int rc = pending->deferred_error;
    pending->deferred_error = SQLITE_OK;
    pending->bytes.clear();
    return rc;
  }
  int rc = SQLITE_OK;
  const std::size_t size = pending->bytes.size();
  for (std::size_t done = 0; done < size && rc == SQLITE_OK;) {
    const int piece = static_cast<int>(std::min<std::size_t>(size - done, kMaxWriteBytes));
    rc = wrapped_methods(file)->xWrite(file->wrapped, pending->bytes.data() + done, piece,
                                       pending->offset + static_cast<sqlite3_int64>(done));
    done += static_cast<std::size_t>(piece);
  }
  pending->bytes.clear();
  return rc;
}

int x_close(sqlite3_file* f) {
  File* file = as_file(f);
  const int written = write_out(file);
  if (file->main_database != nullptr)
    file->main_database->wal = nullptr;
  if (file->wal != nullptr)
    file->wal->main_database = nullptr;
  delete file->pending;
  file->pending = nullptr;
  const int closed = wrapped_methods(file)->xClose(file->wrapped);
  return written != SQLITE_OK ? written : closed;
}

int x_read(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  File* file = as_file(f);
  if (const int rc = write_out(file); rc != SQLITE_OK)
    return rc;
  return wrapped_methods(file)->xRead(file->wrapped, buffer, amount, offset);
}

int x_write(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  File* file = as_file(f);
  PendingWrites* pending = file->pending;
  if (pending == nullptr)
    return wrapped_methods(file)->xWrite(file->wrapped, buffer, amount, offset);
  const auto size = static_cast<std::size_t>(amount);
  const bool continues =
      !pending->bytes.empty() &&
      offset == pending->offset + static_cast<sqlite3_int64>(pending->bytes.size()) &&
      pending->bytes.size() + size <= kMaxPendingBytes;
  if (!continues) {
    if (const int rc = write_out(file); rc != SQLITE_OK)
      return rc;
    if (size > kMaxPendingBytes)
      return wrapped_methods(file)->xWrite(file->wrapped, buffer, amount, offset);
    pending->offset = offset;
  }
  const auto* bytes = static_cast<const unsigned char*>(buffer);
  try {
    pending->bytes.insert(pending->bytes.end(), bytes, bytes + size);
  } catch (const std::bad_alloc&) {
    // What was pending is still whole: write it and this one out directly.
    if (const int rc = write_out(file); rc != SQLITE_OK)
      return rc;
    return wrapped_methods(file)->xWrite(file->wrapped, buffer, amount, offset);
  }
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  File* file = as_file(f);
  if (const int rc = write_out(file); rc != SQLITE_OK)
    return rc;
  return wrapped_methods(file)->xTruncate(file->wrapped, size);
}

int x_sync(sqlite3_file* f, int flags) {
  File* file = as_file(f);
  if (const int rc = write_out(file); rc != SQLITE_OK)
    return rc;
  return wrapped_methods(file)->xSync(file->wrapped, flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  File* file = as_file(f);
  if (const int rc = write_out(file); rc != SQLITE_OK)
    return rc;
  return wrapped_methods(file)->xFileSize(file->wrapped, size);
}

int x_lock(sqlite3_file* f, int level) {
  File* file = as_file(f);
  return wrapped_methods(file)->xLock(file->wrapped, level);
}

int x_unlock(sqlite3_file* f, int level) {
  File* file = as_file(f);
  return wrapped_methods(file)->xUnlock(file->wrapped, level);
}

int x_check_reserved_lock(sqlite3_file* f, int* reserved) {
  File* file = as_file(f);
  return wrapped_methods(file)->xCheckReservedLock(file->wrapped, reserved);
}

int x_file_control(sqlite3_file* f, int op, void* argument) {
  File* file = as_file(f);
  if (const int rc = write_out(file); rc != SQLITE_OK)
    return rc;
  return wrapped_methods(file)->xFileControl(file->wrapped, op, argument);
}

int x_sector_size(sqlite3_file* f) {
  File* file = as_file(f);
  return wrapped_methods(file)->xSectorSize(file->wrapped);
}

int x_device_characteristics(sqlite3_file* f) {
  File* file = as_file(f);
  return wrapped_methods(file)->xDeviceCharacteristics(file->wrapped);
}

// The shared-memory calls are made on the main database file (the WAL-index belongs to it).
int x_shm_map(sqlite3_file* f, int region, int region_size, int extend, void volatile** out) {
  File* file = as_file(f);
  if (wrapped_methods(file)->iVersion < 2 || wrapped_methods(file)->xShmMap == nullptr)
    return SQLITE_IOERR_SHMMAP;
  return wrapped_methods(file)->xShmMap(file->wrapped, region, region_size, extend, out);
}

int x_shm_lock(sqlite3_file* f, int offset, int count, int flags) {
  File* file = as_file(f);
  if (wrapped_methods(file)->iVersion < 2 || wrapped_methods(file)->xShmLock == nullptr)
    return SQLITE_IOERR_SHMLOCK;
  return wrapped_methods(file)->xShmLock(file->wrapped, offset, count, flags);
}

// SQLite calls this between the two copies of a new WAL-index header: after it, readers can see
// the frames just committed, so they must be in the WAL file by then.
void x_shm_barrier(sqlite3_file* f) {
  File* file = as_file(f);
  if (File* wal = file->wal; wal != nullptr && wal->pending != nullptr) {
    if (const int rc = write_out(wal); rc != SQLITE_OK)
      wal->pending->deferred_error = rc;
  }
  if (wrapped_methods(file)->iVersion >= 2 && wrapped_methods(file)->xShmBarrier != nullptr)
    wrapped_methods(file)->xShmBarrier(file->wrapped);
}

int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  File* file = as_file(f);
  if (wrapped_methods(file)->iVersion < 2 || wrapped_methods(file)->xShmUnmap == nullptr)
    return SQLITE_OK;
  return wrapped_methods(file)->xShmUnmap(file->wrapped, delete_flag);
}

int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  File* file = as_file(f);
  if (wrapped_methods(file)->iVersion < 3 || wrapped_methods(file)->xFetch == nullptr) {
    *out = nullptr;
    return SQLITE_OK;
  }
  if (const int rc = write_out(file); rc != SQLITE_OK)
    return rc;
  return wrapped_methods(file)->xFetch(file->wrapped, offset, amount, out);
}

int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  File* file = as_file(f);
  if (wrapped_methods(file)->iVersion < 3 || wrapped_methods(file)->xUnfetch == nullptr)
    return SQLITE_OK;
  return wrapped_methods(file)->xUnfetch(file->wrapped, offset, page);
}

constexpr sqlite3_io_methods kIoMethods = {
    3,  // iVersion: shared memory and memory-mapped reads, forwarded when the wrapped file has them
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

sqlite3_vfs* wrapped_vfs(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

int x_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = as_file(f);
  file->base.pMethods = nullptr;
  file->wrapped = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kWrappedOffset);
  file->pending = nullptr;
  file->main_database = nullptr;
  file->wal = nullptr;
  sqlite3_vfs* inner = wrapped_vfs(vfs);
  const int rc = inner->xOpen(inner, name, file->wrapped, flags, out_flags);
  if (file->wrapped->pMethods == nullptr)
    return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
  // From here SQLite calls xClose even if the open failed, and it forwards to the wrapped file.
  file->base.pMethods = &kIoMethods;
  if (rc != SQLITE_OK || (flags & SQLITE_OPEN_WAL) == 0 || name == nullptr)
    return rc;
  // The WAL's frames must be written out before the main file publishes them (x_shm_barrier),
  // so a WAL whose main file is not known here is written through unchanged.
  auto* main_database = reinterpret_cast<File*>(sqlite3_database_file_object(name));
  if (main_database == nullptr || main_database->base.pMethods != &kIoMethods)
    return rc;
  file->pending = new (std::nothrow) PendingWrites;
  if (file->pending == nullptr)
    return rc;
  file->main_database = main_database;
  main_database->wal = file;
  return rc;
}

int x_delete(sqlite3_vfs* vfs, const char* name, int sync_directory) {
  return wrapped_vfs(vfs)->xDelete(wrapped_vfs(vfs), name, sync_directory);
}

int x_access(sqlite3_vfs* vfs, const char* name, int flags, int* result) {
  return wrapped_vfs(vfs)->xAccess(wrapped_vfs(vfs), name, flags, result);
}

int x_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return wrapped_vfs(vfs)->xFullPathname(wrapped_vfs(vfs), name, size, out);
}

void* x_dl_open(sqlite3_vfs* vfs, const char* name) {
  return wrapped_vfs(vfs)->xDlOpen(wrapped_vfs(vfs), name);
}

void x_dl_error(sqlite3_vfs* vfs, int size, char* out) {
  wrapped_vfs(vfs)->xDlError(wrapped_vfs(vfs), size, out);
}

void (*x_dl_sym(sqlite3_vfs* vfs, void* library, const char* symbol))(void) {
  return wrapped_vfs(vfs)->xDlSym(wrapped_vfs(vfs), library, symbol);
}

void x_dl_close(sqlite3_vfs* vfs, void* library) {
  wrapped_vfs(vfs)->xDlClose(wrapped_vfs(vfs), library);
}

int x_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return wrapped_vfs(vfs)->xRandomness(wrapped_vfs(vfs), size, out);
}

int x_sleep(sqlite3_vfs* vfs, int microseconds) {
  return wrapped_vfs(vfs)->xSleep(wrapped_vfs(vfs), microseconds);
}

int x_current_time(sqlite3_vfs* vfs, double* now) {
  return wrapped_vfs(vfs)->xCurrentTime(wrapped_vfs(vfs), now);
}

int x_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  sqlite3_vfs* inner = wrapped_vfs(vfs);
  return inner->xGetLastError != nullptr ? inner->xGetLastError(inner, size, out) : 0;
}

int x_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* now) {
  sqlite3_vfs* inner = wrapped_vfs(vfs);
  if (inner->iVersion >= 2 && inner->xCurrentTimeInt64 != nullptr)
    return inner->xCurrentTimeInt64(inner, now);
  double days = 0;
  const int rc = inner->xCurrentTime(inner, &days);
  *now = static_cast<sqlite3_int64>(days * 86400000.0);
  return rc;
}

// Registered once per process: SQLite's VFS list is itself process-wide, and the object must
// outlive every connection that uses it.
sqlite3_vfs* register_vfs() {
  sqlite3_vfs* inner = sqlite3_vfs_find(nullptr);
  if (inner == nullptr)
    return nullptr;
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(kWrappedOffset) + inner->szOsFile;
  vfs.mxPathname = inner->mxPathname;
  vfs.zName = kVfsName;
  vfs.pAppData = inner;
  vfs.xOpen = x_open;
  vfs.xDelete = x_delete;
  vfs.xAccess = x_access;
  vfs.xFullPathname = x_full_pathname;
  vfs.xDlOpen = x_dl_open;
  vfs.xDlError = x_dl_error;
  vfs.xDlSym = x_dl_sym;
  vfs.xDlClose = x_dl_close;
  vfs.xRandomness = x_randomness;
  vfs.xSleep = x_sleep;
  vfs.xCurrentTime = x_current_time;
  vfs.xGetLastError = x_get_last_error;
  vfs.xCurrentTimeInt64 = x_current_time_int64;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK)
    return nullptr;
  return &vfs;
}

}  // namespace

const char* wal_write_coalescing_vfs() {
  static sqlite3_vfs* const vfs = register_vfs();
  return vfs != nullptr ? vfs->zName : nullptr;
}

}  // namespace roomplane::storage::sqlite
