#pragma once
// Strong id types: a TenantId cannot be passed where a RoomId is expected, which makes
// "tenant id first in every store call" a compile-time property rather than a convention.

#include <compare>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace roomplane::core {

template <class Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}

  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

  auto operator<=>(const StrongId&) const = default;

 private:
  std::string value_;
};

using TenantId = StrongId<struct TenantIdTag>;
using ApiKeyId = StrongId<struct ApiKeyIdTag>;
using RoomId = StrongId<struct RoomIdTag>;
using CompositionId = StrongId<struct CompositionIdTag>;

// Id prefixes make ids recognisable in logs and support tickets.
inline constexpr std::string_view kTenantIdPrefix = "tn_";
inline constexpr std::string_view kApiKeyIdPrefix = "key_";
inline constexpr std::string_view kRoomIdPrefix = "rm_";
inline constexpr std::string_view kCompositionIdPrefix = "cp_";

}  // namespace roomplane::core

template <class Tag>
struct std::hash<roomplane::core::StrongId<Tag>> {
  std::size_t operator()(const roomplane::core::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.value());
  }
};
