#include "webhooks/webhook_routes.h"

#include <algorithm>
#include <array>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "http/form.h"
#include "twilio/callback_event.h"
#include "twilio/signature.h"

namespace roomplane::webhooks {
namespace {

enum Reason : std::size_t {
  kUnsupportedMediaType,
  kUnknownTenant,
  kDirectoryError,
  kMissingSignature,
  kInvalidSignature,
  kUnverifiableBody,
  kAccountMismatch,
  kInvalidCallback,
  kOverloaded,
  kStorageError,
  kInternal,
  kReasonCount,
};
constexpr std::array<std::string_view, kReasonCount> kReasonNames{
    "unsupported_media_type", "unknown_tenant",    "directory_error",
    "missing_signature",      "invalid_signature", "unverifiable_body",
    "account_mismatch",       "invalid_callback",  "overloaded",
    "storage_error",          "internal"};

constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";
constexpr std::size_t kMaxTenantIdLength = 64;

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// "application/x-www-form-urlencoded", any case, optionally followed by parameters such as
// "; charset=utf-8".
bool is_form_content_type(std::optional<std::string_view> header) {
  if (!header)
    return false;
  std::string_view type = header->substr(0, header->find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
    type.remove_prefix(1);
  if (type.size() != kFormContentType.size())
    return false;
  for (std::size_t i = 0; i < type.size(); ++i) {
    if (ascii_lower(type[i]) != kFormContentType[i])
      return false;
  }
  return true;
}

// Tenant ids are short base32 tokens ("tn_..."). Anything else cannot name a tenant, and
// answering it without a look-up keeps a scan of random paths from reaching the database.
bool plausible_tenant_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxTenantIdLength)
    return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::string trim_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

constexpr std::string_view kAppliedBody = R"({"outcome":"applied"})";
constexpr std::string_view kDuplicateBody = R"({"outcome":"duplicate"})";
constexpr std::string_view kUnknownBody = R"({"outcome":"unknown"})";

http::Response with_tenant(http::Response response, const core::TenantId& tenant) {
  response.headers.emplace_back(std::string(http::kTenantHeader), tenant.value());
  return response;
}

http::Response with_retry_after(http::Response response) {
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

struct Context {
  tenants::TenantDirectory& directory;
  core::WorkPool& pool;
  GroupCommitIngestor& ingestor;
  std::string public_url;
  observability::Logger logger;
  const core::Clock& clock;
  std::array<observability::Counter*, kReasonCount> rejections{};

  // Counts and logs a rejection. Never logs parameters: they are unverified (or, after
  // verification, may name people).
  http::Response reject(Reason reason, const http::Request& request, std::string_view tenant,
                        http::Response response) const {
    rejections[reason]->inc();
    logger.info("webhook_rejected", {{"reason", kReasonNames[reason]},
                                     {"status", response.status},
                                     {"tenant_id", tenant},
                                     {"request_id", request.request_id}});
    return response;
  }

  http::Response not_found(const http::Request& request, std::string_view tenant) const {
    return reject(kUnknownTenant, request, tenant,
                  http::Response::error(404, "tenant_not_found",
                                        "no tenant with provider credentials at this webhook URL"));
  }

  http::Response forbidden_signature(Reason reason, const http::Request& request,
                                     std::string_view tenant) const {
    return reject(reason, request, tenant,
                  http::Response::error(403, "invalid_signature",
                                        "X-Twilio-Signature is missing or does not match this "
                                        "request; check the tenant's Auth Token and the public "
                                        "URL Twilio calls"));
  }
};

http::Response internal_error(const Context& ctx, const http::Request& request,
                              std::string detail) {
  http::Response response = ctx.reject(
      kInternal, request, request.path_param("tenant_id"),
      http::Response::error(500, "internal",
                            "internal error, see logs with request id " + request.request_id));
  response.headers.emplace_back(std::string(http::kErrorDetailHeader),
                                "unhandled exception: " + detail);
  return response;
}

// Runs on a WorkPool thread: the directory may block on a cache miss. Returns the answer to
// send now, or nullopt when the item went to the ingestor, whose writer answers through
// `respond` once the event is durable (or its batch failed).
// `credentials` is the tenant's, from the directory (its cache on the I/O thread, or the store on
// the pool).
std::optional<http::Response> handle(
    const std::shared_ptr<const Context>& context, const http::Request& request,
    const std::shared_ptr<http::Responder>& respond, const core::TenantId& tenant,
    const core::Result<std::optional<tenants::ProviderCredentials>>& credentials) {
  const Context& ctx = *context;
  if (!credentials) {
    // The tenant store is unreachable: say so (503 for kUnavailable), and let Twilio retry.
    auto response = http::Response::from_error(credentials.error());
    if (response.status == 503)
      response = with_retry_after(std::move(response));
    return ctx.reject(kDirectoryError, request, tenant.value(), std::move(response));
  }
  if (!*credentials)
    return ctx.not_found(request, tenant.value());
  const tenants::ProviderCredentials& account = **credentials;
  // From here on the tenant is known: the access log names it.
  auto known = [&tenant](http::Response response) {
    return with_tenant(std::move(response), tenant);
  };

  // Authenticity first: until the signature matches, the body is opaque bytes.
  const auto signature = request.header("X-Twilio-Signature");
  if (!signature || signature->empty())
    return known(ctx.forbidden_signature(kMissingSignature, request, tenant.value()));
  auto params = http::parse_form(request.body);
  if (!params)
    return known(ctx.forbidden_signature(kUnverifiableBody, request, tenant.value()));
  if (!twilio::validate_signature(account.auth_token, ctx.public_url + request.target, *params,
                                  *signature)) {
    return known(ctx.forbidden_signature(kInvalidSignature, request, tenant.value()));
  }

  // A valid signature with another account's SID means the Auth Token is shared or this URL
  // was configured on the wrong account: either way the event is not this tenant's.
  const auto account_sid = http::form_value(*params, "AccountSid");
  if (!account_sid || *account_sid != account.account_sid) {
    return known(
        ctx.reject(kAccountMismatch, request, tenant.value(),
                   http::Response::error(403, "account_mismatch",
                                         "AccountSid is not this tenant's Twilio account")));
  }

  auto event = twilio::parse_callback(*params);
  if (!event) {
    return known(ctx.reject(kInvalidCallback, request, tenant.value(),
                            http::Response::from_error(event.error())));
  }

  rooms::IngestItem item;
  item.tenant = tenant;
  item.idempotency_key = twilio::idempotency_key(tenant, *event);
  item.event = std::move(event).value();
  item.params_json = params_to_json(*params);
  item.received_at = ctx.clock.now();

  // Runs on the ingestor's writer thread: builds the answer and hands it over, nothing more.
  const bool unknown = item.event.type == rooms::RoomEventType::kUnknown;
  auto done = [context, respond, tenant, unknown](core::Result<rooms::IngestOutcome> result) {
    if (!result) {
      // Nothing was stored, so the sender must retry; the detail goes to the access log only.
      http::Response response = with_retry_after(http::Response::error(
          503, "webhook_storage_unavailable", "the event could not be stored; retry later"));
      response.headers.emplace_back(std::string(http::kErrorDetailHeader),
                                    result.error().code + ": " + result.error().message);
      context->rejections[kStorageError]->inc();
      (*respond)(with_tenant(std::move(response), tenant));
      return;
    }
    const std::string_view outcome =
        result->duplicate ? kDuplicateBody : (unknown ? kUnknownBody : kAppliedBody);
    (*respond)(
        with_tenant(http::Response::text(200, std::string(outcome), "application/json"), tenant));
  };
  if (!ctx.ingestor.submit(std::move(item), std::move(done))) {
    return known(with_retry_after(ctx.reject(
        kOverloaded, request, tenant.value(),
        http::Response::error(503, "webhook_overloaded",
                              "too many webhooks are waiting to be stored; retry later"))));
  }
  return std::nullopt;
}

}  // namespace

// Written by hand, in the order and escaping nlohmann::json's dump of the same object gave
// (names sorted byte-wise, repeated names as arrays in arrival order, invalid UTF-8 replaced):
// building and dumping the document was a third of a callback's instructions on its I/O thread.
std::string params_to_json(const http::FormParams& params) {
  const auto append_value = [](std::string& out, std::string_view text) {
    if (core::is_valid_utf8(text)) {
      core::append_json_string(out, text);
    } else {
      out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  };
  std::vector<std::size_t> order(params.size());
  std::size_t bytes = 2;
  for (std::size_t i = 0; i < params.size(); ++i) {
    order[i] = i;
    bytes += params[i].first.size() + params[i].second.size() + 6;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return params[a].first < params[b].first; });
  std::string out;
  out.reserve(bytes);
  out += '{';
  for (std::size_t k = 0; k < order.size();) {
    const std::string& name = params[order[k]].first;
    std::size_t end = k + 1;
    while (end < order.size() && params[order[end]].first == name)
      ++end;
    if (k > 0)
      out += ',';
    append_value(out, name);
    out += ':';
    if (end - k == 1) {
      append_value(out, params[order[k]].second);
    } else {
      out += '[';
      for (std::size_t v = k; v < end; ++v) {
        if (v > k)
          out += ',';
        append_value(out, params[order[v]].second);
      }
      out += ']';
    }
    k = end;
  }
  out += '}';
  return out;
}

void add_webhook_routes(http::Router& router, tenants::TenantDirectory& directory,
                        core::WorkPool& pool, GroupCommitIngestor& ingestor, std::string public_url,
                        observability::MetricsRegistry& metrics, observability::Logger logger,
                        const core::Clock& clock) {
  auto context = std::make_shared<Context>(Context{directory,
                                                   pool,
                                                   ingestor,
                                                   trim_trailing_slashes(std::move(public_url)),
                                                   std::move(logger),
                                                   clock,
                                                   {}});
  for (std::size_t r = 0; r < kReasonCount; ++r) {
    context->rejections[r] = &metrics.counter("roomplane_webhook_rejections_total",
                                              "Webhooks answered without being stored, by reason.",
                                              {{"reason", std::string(kReasonNames[r])}});
  }
  std::shared_ptr<const Context> shared = std::move(context);

  router.add(
      "POST", std::string(kWebhookRoute), [shared](http::Request request, http::Responder respond) {
        const Context& ctx = *shared;
        // Cheap checks on the I/O thread; nothing here reads the body.
        if (!is_form_content_type(request.header("Content-Type"))) {
          respond(ctx.reject(kUnsupportedMediaType, request, {},
                             http::Response::error(415, "unsupported_media_type",
                                                   "status callbacks must be sent as "
                                                   "application/x-www-form-urlencoded")));
          return;
        }
        if (!plausible_tenant_id(request.path_param("tenant_id"))) {
          respond(ctx.not_found(request, {}));
          return;
        }
        auto shared_respond = std::make_shared<http::Responder>(std::move(respond));
        const core::TenantId tenant(std::string(request.path_param("tenant_id")));
        const auto run = [](const std::shared_ptr<const Context>& ctx_ptr, const http::Request& req,
                            const std::shared_ptr<http::Responder>& responder,
                            const core::TenantId& id, const auto& credentials_of) {
          std::optional<http::Response> answer;
          try {
            answer = handle(ctx_ptr, req, responder, id, credentials_of());
          } catch (const std::exception& e) {
            answer = internal_error(*ctx_ptr, req, e.what());
          } catch (...) {
            answer = internal_error(*ctx_ptr, req, "non-standard exception");
          }
          if (answer)
            (*responder)(std::move(*answer));
        };
        // With the tenant's credentials cached, everything left is CPU (parse, HMAC,
        // queueing for the writer): done here, without a hop to the pool and back.
        if (auto cached = ctx.directory.provider_credentials_cached(tenant)) {
          run(shared, request, shared_respond, tenant, [&cached] {
            return core::Result<std::optional<tenants::ProviderCredentials>>(*cached);
          });
          return;
        }
        // If the pool drops the task (it was stopped), the Responder dies uncalled and
        // the server answers 500, as with http::blocking().
        ctx.pool.post([shared, request = std::move(request), shared_respond, run, tenant] {
          run(shared, request, shared_respond, tenant,
              [&] { return shared->directory.provider_credentials(tenant); });
        });
      });
}

}  // namespace roomplane::webhooks
