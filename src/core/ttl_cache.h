#pragma once
// A bounded, sharded cache whose entries expire `ttl` after they were stored, by an injected
// Clock. Sharding keeps lock hold times short and contention low on the request path; each
// shard's lock is held only for a hash look-up. When a shard is full, expired entries are
// dropped first, then the shard is cleared (simple, and a full cache is a sign of a scan
// attack, where keeping old entries buys nothing).
//
// Thread-safe. Values are copied out, so V should be cheap to copy (or a shared_ptr).

#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/clock.h"

namespace roomplane::core {

template <class K, class V, class Hash = std::hash<K>>
class TtlCache {
 public:
  TtlCache(const Clock& clock, std::chrono::milliseconds ttl, std::size_t capacity = 65536)
      : clock_(clock),
        ttl_(ttl),
        per_shard_capacity_(std::max<std::size_t>(1, capacity / kShards)) {}

  std::optional<V> get(const K& key) const {
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(key);
    if (it == shard.entries.end())
      return std::nullopt;
    if (clock_.now() >= it->second.expires_at) {
      shard.entries.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  void put(const K& key, V value) {
    if (ttl_.count() <= 0)
      return;  // a zero TTL disables caching
    auto& shard = shard_for(key);
    const auto now = clock_.now();
    std::lock_guard lock(shard.mutex);
    if (shard.entries.size() >= per_shard_capacity_ && !shard.entries.contains(key)) {
      std::erase_if(shard.entries, [&](const auto& e) { return now >= e.second.expires_at; });
      if (shard.entries.size() >= per_shard_capacity_)
        shard.entries.clear();
    }
    shard.entries.insert_or_assign(key, Entry{std::move(value), now + ttl_});
  }

  void erase(const K& key) {
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    shard.entries.erase(key);
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (auto& shard : shards_) {
      std::lock_guard lock(shard.mutex);
      n += shard.entries.size();
    }
    return n;
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct Entry {
    V value;
    TimePoint expires_at;
  };
  struct Shard {
    mutable std::mutex mutex;
    mutable std::unordered_map<K, Entry, Hash> entries;
  };
  Shard& shard_for(const K& key) const { return shards_[Hash{}(key) % kShards]; }

  const Clock& clock_;
  std::chrono::milliseconds ttl_;
  std::size_t per_shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace roomplane::core
