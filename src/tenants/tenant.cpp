#include "tenants/tenant.h"

#include <algorithm>
#include <cctype>

namespace roomplane::tenants {
namespace {

constexpr std::int64_t kTwilioMaxTokenTtlSeconds = 86400;

bool is_sid(std::string_view value, std::string_view prefix) {
  return value.size() == 34 && value.starts_with(prefix) &&
         std::all_of(value.begin() + 2, value.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

core::Error settings_error(const std::string& message) {
  return core::Error::invalid_argument("invalid_tenant_settings", message);
}

}  // namespace

nlohmann::json TenantSettings::to_json() const {
  return {{"token_ttl_min_seconds", token_ttl_min_seconds},
          {"token_ttl_max_seconds", token_ttl_max_seconds},
          {"token_ttl_default_seconds", token_ttl_default_seconds},
          {"reserved_identities", reserved_identities},
          {"composition_layout", composition_layout},
          {"composition_format", composition_format},
          {"alert_url", alert_url}};
}

core::Result<TenantSettings> TenantSettings::from_json(const nlohmann::json& json) {
  TenantSettings s;
  if (!json.is_object())
    return settings_error("tenant settings must be a JSON object");
  const auto read_int = [&](const char* key, std::int64_t& out) -> bool {
    if (!json.contains(key))
      return true;
    if (!json[key].is_number_integer())
      return false;
    out = json[key].get<std::int64_t>();
    return true;
  };
  if (!read_int("token_ttl_min_seconds", s.token_ttl_min_seconds) ||
      !read_int("token_ttl_max_seconds", s.token_ttl_max_seconds) ||
      !read_int("token_ttl_default_seconds", s.token_ttl_default_seconds)) {
    return settings_error("token TTL settings must be integers (seconds)");
  }
  if (json.contains("reserved_identities")) {
    const auto& words = json["reserved_identities"];
    if (!words.is_array())
      return settings_error("reserved_identities must be an array of strings");
    for (const auto& w : words) {
      if (!w.is_string() || w.get<std::string>().empty()) {
        return settings_error("reserved_identities must be an array of non-empty strings");
      }
      s.reserved_identities.push_back(w.get<std::string>());
    }
  }
  const auto read_string = [&](const char* key, std::string& out) -> core::Status {
    if (!json.contains(key))
      return {};
    if (!json[key].is_string())
      return settings_error(std::string(key) + " must be a string");
    out = json[key].get<std::string>();
    return {};
  };
  for (auto [key, out] : {std::pair{"composition_layout", &s.composition_layout},
                          std::pair{"composition_format", &s.composition_format},
                          std::pair{"alert_url", &s.alert_url}}) {
    if (auto read = read_string(key, *out); !read)
      return std::move(read).take_error();
  }
  if (s.composition_layout != "grid" && s.composition_layout != "audio_only")
    return settings_error("composition_layout must be \"grid\" or \"audio_only\"");
  if (s.composition_format != "mp4" && s.composition_format != "webm")
    return settings_error("composition_format must be \"mp4\" or \"webm\"");
  if (!s.alert_url.empty() &&
      ((!s.alert_url.starts_with("http://") && !s.alert_url.starts_with("https://")) ||
       s.alert_url.size() > 2048 || std::any_of(s.alert_url.begin(), s.alert_url.end(), [](char c) {
         return static_cast<unsigned char>(c) <= ' ';
       }))) {
    return settings_error("alert_url must be an http:// or https:// URL without spaces");
  }
  if (s.token_ttl_min_seconds < 1 || s.token_ttl_max_seconds > kTwilioMaxTokenTtlSeconds ||
      s.token_ttl_min_seconds > s.token_ttl_max_seconds ||
      s.token_ttl_default_seconds < s.token_ttl_min_seconds ||
      s.token_ttl_default_seconds > s.token_ttl_max_seconds) {
    return settings_error(
        "token TTL bounds must satisfy 1 <= min <= default <= max <= 86400 (Twilio's 24 h cap)");
  }
  return s;
}

core::Status validate_provider_credentials(const ProviderCredentials& c) {
  if (!is_sid(c.account_sid, "AC")) {
    return core::Error::invalid_argument("invalid_account_sid",
                                         "account SID must be 'AC' followed by 32 hex characters");
  }
  if (!is_sid(c.api_key_sid, "SK")) {
    return core::Error::invalid_argument("invalid_api_key_sid",
                                         "API key SID must be 'SK' followed by 32 hex characters");
  }
  if (c.api_key_secret.empty() || c.api_key_secret.size() > 256) {
    return core::Error::invalid_argument("invalid_api_key_secret",
                                         "API key secret must be 1 to 256 characters");
  }
  if (c.auth_token.size() != 32 ||
      !std::all_of(c.auth_token.begin(), c.auth_token.end(),
                   [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); })) {
    return core::Error::invalid_argument("invalid_auth_token",
                                         "auth token must be 32 hex characters");
  }
  return {};
}

}  // namespace roomplane::tenants
