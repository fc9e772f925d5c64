#include "compositions/composition_service.h"

#include <utility>

namespace roomplane::compositions {
namespace {

core::Error not_found(const core::CompositionId& id) {
  return core::Error::not_found(std::string(kErrCompositionNotFound),
                                "no composition " + id.value() + " for this tenant");
}

}  // namespace

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes)
    return std::string(text);
  std::size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so the lead byte of a cut sequence goes too.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return std::string(text.substr(0, cut));
}

CompositionService::CompositionService(CompositionStore& store, video::VideoProvider& provider,
                                       rooms::TenantContextLookup tenants, const core::Clock& clock,
                                       CompositionServiceOptions options)
    : store_(store),
      provider_(provider),
      tenants_(std::move(tenants)),
      clock_(clock),
      options_(options) {}

core::Result<Page> CompositionService::list(const core::TenantId& tenant, const ListQuery& query) {
  if (query.limit < 1 || query.limit > kMaxListLimit)
    return core::Error::invalid_argument(std::string(kErrInvalidLimit),
                                         "limit must be an integer from 1 to 200");
  return store_.list(tenant, query);
}

core::Result<Composition> CompositionService::get(const core::TenantId& tenant,
                                                  const core::CompositionId& id) {
  auto found = store_.find(tenant, id);
  if (!found)
    return std::move(found).take_error();
  // Belt and braces: a store bug must not leak another tenant's row.
  if (!*found || (*found)->tenant_id != tenant)
    return not_found(id);
  return std::move(**found);
}

core::Result<MediaGrant> CompositionService::media(const MediaRequester& requester,
                                                   const core::CompositionId& id) {
  auto composition = get(requester.tenant, id);
  if (!composition)
    return std::move(composition).take_error();
  if (composition->status != Status::kCompleted) {
    std::string message =
        "composition " + id.value() + " is " + std::string(to_string(composition->status)) + "; ";
    message += composition->status == Status::kFailed
                   ? "a failed composition has no media"
                   : "media is available once it is completed (see GET /v1/compositions/" +
                         id.value() + ")";
    return core::Error::conflict(std::string(kErrCompositionNotReady), message);
  }
  if (!composition->provider_composition_sid || composition->provider_composition_sid->empty())
    return core::Error::conflict(std::string(kErrMediaUnavailable),
                                 "composition " + id.value() + " has no media to download");

  auto context = tenants_(requester.tenant);
  if (!context)
    return std::move(context).take_error();
  if (!context->credentials)
    return core::Error::conflict(std::string(rooms::kErrProviderNotConfigured),
                                 "the tenant has no video provider credentials configured; set "
                                 "them to download composition media");

  // The audit first: no row, no URL.
  MediaAccess access;
  access.tenant = requester.tenant;
  access.composition = id;
  access.api_key_id = requester.api_key_id.value();
  access.remote_address = requester.remote_address;
  access.user_agent = truncate_utf8(requester.user_agent, kMaxAuditedUserAgentBytes);
  access.at = clock_.now();
  if (auto recorded = store_.record_media_access(access); !recorded.ok())
    return core::Error::unavailable(std::string(kErrAuditUnavailable),
                                    "the media access could not be recorded in the audit log, so "
                                    "no media URL was issued; retry later");

  auto url = provider_.composition_media_url(rooms::video_credentials(*context->credentials),
                                             *composition->provider_composition_sid,
                                             options_.media_url_ttl);
  if (!url) {
    if (url.error().kind == core::ErrorKind::kNotFound)
      return core::Error::conflict(
          std::string(kErrMediaUnavailable),
          "the video provider no longer has the media of composition " + id.value());
    return rooms::provider_failure(url.error(), "could not issue a media URL");
  }
  return MediaGrant{std::move(*url), access.at + options_.media_url_ttl};
}

}  // namespace roomplane::compositions
