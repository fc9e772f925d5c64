#include "compositions/composition_routes.h"

#include <charconv>
#include <string>

#include "compositions/composition_json.h"
#include "rooms/room_routes.h"
#include "tenants/tenant_routes.h"

namespace roomplane::compositions {
namespace {

using nlohmann::json;
using tenants::Principal;

constexpr std::string_view kStatusChoices =
    "pending, enqueued, processing, stalled, completed or failed";

core::Result<ListQuery> parse_list(const http::Request& request) {
  ListQuery query;
  if (const auto status = request.query_param("status"); status && !status->empty()) {
    query.status = status_from_string(*status);
    if (!query.status)
      return core::Error::invalid_argument(std::string(kErrInvalidStatus),
                                           "status must be " + std::string(kStatusChoices));
  }
  if (const auto limit = request.query_param("limit"); limit && !limit->empty()) {
    std::size_t value = 0;
    const auto* end = limit->data() + limit->size();
    const auto [ptr, ec] = std::from_chars(limit->data(), end, value);
    if (ec != std::errc() || ptr != end || value < 1 || value > kMaxListLimit)
      return core::Error::invalid_argument(std::string(kErrInvalidLimit),
                                           "limit must be an integer from 1 to 200");
    query.limit = value;
  }
  if (const auto cursor = request.query_param("cursor"); cursor && !cursor->empty())
    query.cursor = std::string(*cursor);
  return query;
}

core::CompositionId composition_id(const http::Request& request) {
  return core::CompositionId(std::string(request.path_param("id")));
}

}  // namespace

void add_composition_routes(http::Router& router, CompositionService& service,
                            tenants::TenantDirectory& directory, core::WorkPool& pool) {
  const auto add = [&](const char* pattern, tenants::AuthenticatedHandler handler) {
    router.add("GET", pattern, tenants::authenticated(directory, pool, std::move(handler)));
  };

  add("/v1/compositions", [&service](const http::Request& request, const Principal& principal) {
    auto query = parse_list(request);
    if (!query)
      return rooms::room_error_response(query.error());
    auto page = service.list(principal.tenant_id, *query);
    if (!page)
      return rooms::room_error_response(page.error());
    json compositions = json::array();
    for (const auto& composition : page->compositions)
      compositions.push_back(composition_json(composition));
    return http::Response::json(
        200, {{"compositions", std::move(compositions)},
              {"next_cursor", page->next_cursor ? json(*page->next_cursor) : json(nullptr)}});
  });

  add("/v1/compositions/{id}",
      [&service](const http::Request& request, const Principal& principal) {
        auto composition = service.get(principal.tenant_id, composition_id(request));
        if (!composition)
          return rooms::room_error_response(composition.error());
        return http::Response::json(200, composition_json(*composition));
      });

  add("/v1/compositions/{id}/media",
      [&service](const http::Request& request, const Principal& principal) {
        MediaRequester requester;
        requester.tenant = principal.tenant_id;
        requester.api_key_id = principal.key_id;
        requester.remote_address = request.remote_address;
        requester.user_agent = std::string(request.header("User-Agent").value_or(""));
        auto grant = service.media(requester, composition_id(request));
        if (!grant)
          return rooms::room_error_response(grant.error());
        // The URL goes in Location only: not in the body, never in a log.
        auto response =
            http::Response::json(302, {{"expires_at", core::to_rfc3339(grant->expires_at)}});
        response.headers.emplace_back("Location", std::move(grant->url));
        response.headers.emplace_back("Cache-Control", "no-store");
        response.headers.emplace_back("Referrer-Policy", "no-referrer");
        return response;
      });
}

}  // namespace roomplane::compositions
