#include "realtime/dashboard_tokens.h"

#include <charconv>

#include "crypto/crypto.h"
#include "tenants/tenant_routes.h"

namespace roomplane::realtime {
namespace {

constexpr std::string_view kPayloadVersion = "v1";
// Domain separation: a MAC made with this key for another purpose can never verify here.
constexpr std::string_view kMacContext = "roomplane-dashboard-token\n";
constexpr std::size_t kMaxTokenBytes = 512;

core::Error rejected() {
  return core::Error::unauthenticated("invalid or expired dashboard token");
}

bool parse_int64(std::string_view text, std::int64_t& out) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

core::Result<DashboardTokens> DashboardTokens::create(std::string key, const core::Clock& clock) {
  if (key.size() != kDashboardTokenKeyBytes) {
    return core::Error::invalid_argument("invalid_key",
                                         "the dashboard token key must have 32 bytes");
  }
  return DashboardTokens(std::move(key), clock);
}

std::string DashboardTokens::mac(std::string_view encoded_payload) const {
  std::string message(kMacContext);
  message += encoded_payload;
  return crypto::hmac_sha256(key_, message);
}

core::Result<DashboardToken> DashboardTokens::issue(const core::TenantId& tenant,
                                                    std::chrono::seconds ttl) const {
  if (ttl < kDashboardTokenMinTtl || ttl > kDashboardTokenMaxTtl) {
    return core::Error::unprocessable("invalid_ttl",
                                      "ttl_seconds must be between " +
                                          std::to_string(kDashboardTokenMinTtl.count()) + " and " +
                                          std::to_string(kDashboardTokenMaxTtl.count()));
  }
  const auto expires_at =
      core::from_unix_seconds(core::to_unix_seconds(clock_->now()) + ttl.count());
  const std::string payload = std::string(kPayloadVersion) + "|" + tenant.value() + "|" +
                              std::to_string(core::to_unix_seconds(expires_at));
  const std::string encoded = crypto::base64url_encode(payload);
  return DashboardToken{
      std::string(kDashboardTokenPrefix) + encoded + "." + crypto::base64url_encode(mac(encoded)),
      expires_at};
}

bool DashboardTokens::looks_like(std::string_view token) {
  return token.size() > kDashboardTokenPrefix.size() && token.size() <= kMaxTokenBytes &&
         token.substr(0, kDashboardTokenPrefix.size()) == kDashboardTokenPrefix;
}

core::Result<core::TenantId> DashboardTokens::verify(std::string_view token) const {
  if (!looks_like(token))
    return rejected();
  token.remove_prefix(kDashboardTokenPrefix.size());
  const auto dot = token.find('.');
  if (dot == std::string_view::npos)
    return rejected();
  const auto encoded = token.substr(0, dot);
  const auto signature = crypto::base64url_decode(token.substr(dot + 1));
  // The MAC is checked before the payload is even decoded: nothing unauthenticated is parsed.
  if (!signature || !crypto::constant_time_equals(*signature, mac(encoded)))
    return rejected();
  const auto payload = crypto::base64url_decode(encoded);
  if (!payload)
    return rejected();
  const std::string_view text(*payload);
  const auto first = text.find('|');
  const auto second = text.find('|', first == std::string_view::npos ? first : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos ||
      text.substr(0, first) != kPayloadVersion)
    return rejected();
  const auto tenant = text.substr(first + 1, second - first - 1);
  std::int64_t expires = 0;
  if (tenant.empty() || !parse_int64(text.substr(second + 1), expires))
    return rejected();
  if (core::to_unix_seconds(clock_->now()) >= expires)
    return rejected();
  return core::TenantId(std::string(tenant));
}

void add_dashboard_token_routes(http::Router& router, tenants::TenantDirectory& directory,
                                core::WorkPool& pool, const DashboardTokens& tokens) {
  router.add("POST", "/v1/dashboard-tokens",
             tenants::authenticated(
                 directory, pool,
                 [&tokens](const http::Request& request, const tenants::Principal& principal) {
                   std::chrono::seconds ttl = kDashboardTokenDefaultTtl;
                   if (!request.body.empty()) {
                     auto body = http::parse_json_object(request);
                     if (!body)
                       return http::Response::from_error(body.error());
                     if (auto it = body->find("ttl_seconds"); it != body->end() && !it->is_null()) {
                       if (!it->is_number_integer()) {
                         return http::Response::error(400, "invalid_ttl",
                                                      "ttl_seconds must be an integer");
                       }
                       ttl = std::chrono::seconds(it->get<std::int64_t>());
                     }
                   }
                   auto issued = tokens.issue(principal.tenant_id, ttl);
                   if (!issued)
                     return http::Response::from_error(issued.error());
                   return http::Response::json(
                       201, {{"token", issued->token},
                             {"expires_at", core::to_rfc3339(issued->expires_at)},
                             {"ttl_seconds", ttl.count()}});
                 }));
}

}  // namespace roomplane::realtime
