#pragma once
// Versioned schema migrations. Append only: a released migration is never edited, a change is
// a new version. Every table is keyed and indexed tenant_id first, so every query a tenant
// makes is an index range scan inside that tenant's rows.

#include <span>
#include <string_view>

namespace roomplane::storage {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

std::span<const Migration> sqlite_migrations();

}  // namespace roomplane::storage
