#pragma once
// The detail lines of SQLite's EXPLAIN QUERY PLAN for a statement, one per line: what the
// index tests read to prove a query uses the index meant for it (and sorts nothing).

#include <string>

#include "storage/sqlite_database.h"

namespace roomplane::testing {

inline core::Result<std::string> query_plan(storage::SqliteDatabase& db, const std::string& sql) {
  return db.read([&](storage::sqlite::Connection& c) -> core::Result<std::string> {
    auto stmt = c.prepare("EXPLAIN QUERY PLAN " + sql);
    if (!stmt)
      return std::move(stmt).take_error();
    std::string out;
    while (true) {
      auto row = (*stmt)->step();
      if (!row)
        return std::move(row).take_error();
      if (!*row)
        break;
      out += (*stmt)->text(3) + "\n";
    }
    return out;
  });
}

}  // namespace roomplane::testing
