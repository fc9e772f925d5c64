#pragma once
// Shared by the compositions_api tests: an in-memory CompositionStore that follows the contract
// of compositions/stores.h for what the API uses (tenant-scoped find and for_room, list newest
// first with opaque cursors and invalid_cursor, the media audit) with a switch that makes the audit
// write fail, and in-memory tenant stores so a real TenantDirectory authenticates API keys without
// a database. The workers' methods are minimal: the API never calls them.

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "compositions/stores.h"
#include "tenants/stores.h"

namespace roomplane::compositions::testing {

inline core::TimePoint at(int seconds) {
  return core::from_unix_seconds(1'700'000'000 + seconds);
}

class FakeCompositionStore final : public CompositionStore {
 public:
  // Set to make every record_media_access fail with this error.
  std::optional<core::Error> fail_record_media_access;
  // A broken store for defence-in-depth tests: find() matches the id alone, for_room() the
  // room id alone.
  bool ignore_tenant_in_find = false;

  void put(const Composition& composition) {
    std::lock_guard lock(mutex_);
    rows_[{composition.tenant_id, composition.id}] = composition;
  }

  core::Result<std::vector<Composition>> enqueue_ended_rooms(core::TimePoint,
                                                             std::size_t) override {
    return std::vector<Composition>();
  }
  core::Result<std::vector<Composition>> claim(Stage, std::string_view, core::TimePoint,
                                               core::TimePoint, std::size_t) override {
    return std::vector<Composition>();
  }
  core::Status save(const Composition& composition, std::string_view,
                    std::span<const alerts::Alert>) override {
    put(composition);
    return {};
  }
  core::Status make_due(const core::TenantId&, std::string_view, std::optional<int>,
                        core::TimePoint) override {
    return {};
  }
  core::Result<std::chrono::milliseconds> lag(Stage, core::TimePoint) override {
    return std::chrono::milliseconds(0);
  }

  core::Result<std::optional<Composition>> find(const core::TenantId& tenant,
                                                const core::CompositionId& id) override {
    std::lock_guard lock(mutex_);
    ++finds;
    if (ignore_tenant_in_find) {
      for (const auto& [key, row] : rows_) {
        if (key.second == id)
          return std::optional<Composition>(row);
      }
    }
    const auto it = rows_.find({tenant, id});
    if (it == rows_.end())
      return std::optional<Composition>();
    return std::optional<Composition>(it->second);
  }

  // Cursors are "o:<offset>": enough for the API tests (the SQLite store has its own contract
  // test); anything else is invalid_cursor, as the contract says.
  core::Result<Page> list(const core::TenantId& tenant, const ListQuery& query) override {
    std::lock_guard lock(mutex_);
    std::vector<Composition> all;
    for (const auto& [key, row] : rows_) {
      if (key.first == tenant && (!query.status || row.status == *query.status))
        all.push_back(row);
    }
    std::sort(all.begin(), all.end(), [](const Composition& a, const Composition& b) {
      return std::tie(a.created_at, a.id) > std::tie(b.created_at, b.id);
    });
    std::size_t offset = 0;
    if (query.cursor) {
      const auto& cursor = *query.cursor;
      if (!cursor.starts_with("o:") || cursor.size() == 2 ||
          cursor.find_first_not_of("0123456789", 2) != std::string::npos)
        return core::Error::invalid_argument("invalid_cursor",
                                             "cursor is not a next_cursor of this list");
      offset = std::stoul(cursor.substr(2));
    }
    Page page;
    for (std::size_t i = offset; i < all.size() && page.compositions.size() < query.limit; ++i)
      page.compositions.push_back(all[i]);
    if (offset + page.compositions.size() < all.size())
      page.next_cursor = "o:" + std::to_string(offset + page.compositions.size());
    last_query = query;
    return page;
  }

  core::Result<std::vector<Composition>> for_room(const core::TenantId& tenant,
                                                  const core::RoomId& room) override {
    std::lock_guard lock(mutex_);
    std::vector<Composition> out;
    for (const auto& [key, row] : rows_) {
      if ((ignore_tenant_in_find || key.first == tenant) && row.room_id == room)
        out.push_back(row);
    }
    std::sort(out.begin(), out.end(), [](const Composition& a, const Composition& b) {
      return std::tie(a.created_at, a.id) > std::tie(b.created_at, b.id);
    });
    return out;
  }

  core::Status record_media_access(const MediaAccess& access) override {
    std::lock_guard lock(mutex_);
    if (fail_record_media_access)
      return *fail_record_media_access;
    accesses_.push_back(access);
    return {};
  }

  core::Result<std::vector<MediaAccess>> media_accesses(const core::TenantId& tenant,
                                                        const core::CompositionId& id) override {
    std::lock_guard lock(mutex_);
    std::vector<MediaAccess> out;
    for (const auto& access : accesses_) {
      if (access.tenant == tenant && access.composition == id)
        out.push_back(access);
    }
    return out;
  }

  // Every audit row of every tenant.
  std::vector<MediaAccess> all_accesses() {
    std::lock_guard lock(mutex_);
    return accesses_;
  }

  int finds = 0;
  std::optional<ListQuery> last_query;

 private:
  std::mutex mutex_;
  std::map<std::pair<core::TenantId, core::CompositionId>, Composition> rows_;
  std::vector<MediaAccess> accesses_;
};

// --- In-memory tenant stores (contract of tenants/stores.h) ---------------------------------

class MemoryApiKeyStore final : public tenants::ApiKeyStore {
 public:
  core::Status add(const tenants::ApiKey& key) override {
    std::lock_guard lock(mutex_);
    keys_.push_back(key);
    return {};
  }
  core::Status revoke(const core::TenantId& tenant, const core::ApiKeyId& key,
                      core::TimePoint now) override {
    std::lock_guard lock(mutex_);
    for (auto& k : keys_) {
      if (k.tenant_id == tenant && k.id == key) {
        if (!k.revoked_at)
          k.revoked_at = now;
        return {};
      }
    }
    return core::Error::not_found("api_key_not_found", "no such key");
  }
  core::Result<std::vector<tenants::ApiKey>> list(const core::TenantId& tenant) override {
    std::lock_guard lock(mutex_);
    std::vector<tenants::ApiKey> out;
    for (const auto& k : keys_) {
      if (k.tenant_id == tenant)
        out.push_back(k);
    }
    return out;
  }
  core::Result<std::optional<tenants::ApiKey>> find_by_hash(std::string_view key_hash) override {
    std::lock_guard lock(mutex_);
    for (const auto& k : keys_) {
      if (k.key_hash == key_hash)
        return std::optional<tenants::ApiKey>(k);
    }
    return std::optional<tenants::ApiKey>();
  }

 private:
  std::mutex mutex_;
  std::vector<tenants::ApiKey> keys_;
};

class MemoryTenantStore final : public tenants::TenantStore {
 public:
  explicit MemoryTenantStore(MemoryApiKeyStore& keys) : keys_(keys) {}
  core::Status create(const tenants::Tenant& tenant, const tenants::ApiKey& first_key) override {
    {
      std::lock_guard lock(mutex_);
      if (tenants_.contains(tenant.id))
        return core::Error::conflict("tenant_exists", "tenant exists");
      tenants_[tenant.id] = tenant;
    }
    return keys_.add(first_key);
  }
  core::Result<std::optional<tenants::Tenant>> find(const core::TenantId& id) override {
    std::lock_guard lock(mutex_);
    const auto it = tenants_.find(id);
    if (it == tenants_.end())
      return std::optional<tenants::Tenant>();
    return std::optional<tenants::Tenant>(it->second);
  }
  core::Result<std::vector<tenants::Tenant>> list() override {
    std::lock_guard lock(mutex_);
    std::vector<tenants::Tenant> out;
    for (const auto& [id, tenant] : tenants_)
      out.push_back(tenant);
    return out;
  }
  core::Status update_settings(const core::TenantId& id, const tenants::TenantSettings& settings,
                               core::TimePoint) override {
    std::lock_guard lock(mutex_);
    const auto it = tenants_.find(id);
    if (it == tenants_.end())
      return core::Error::not_found("tenant_not_found", "no such tenant");
    it->second.settings = settings;
    return {};
  }

 private:
  MemoryApiKeyStore& keys_;
  std::mutex mutex_;
  std::map<core::TenantId, tenants::Tenant> tenants_;
};

class MemoryCredentialStore final : public tenants::CredentialStore {
 public:
  core::Status save(const core::TenantId& tenant,
                    const tenants::SealedProviderCredentials& credentials) override {
    std::lock_guard lock(mutex_);
    credentials_[tenant] = credentials;
    return {};
  }
  core::Result<std::optional<tenants::SealedProviderCredentials>> find(
      const core::TenantId& tenant) override {
    std::lock_guard lock(mutex_);
    const auto it = credentials_.find(tenant);
    if (it == credentials_.end())
      return std::optional<tenants::SealedProviderCredentials>();
    return std::optional<tenants::SealedProviderCredentials>(it->second);
  }

 private:
  std::mutex mutex_;
  std::map<core::TenantId, tenants::SealedProviderCredentials> credentials_;
};

}  // namespace roomplane::compositions::testing
