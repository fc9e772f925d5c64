#include "twilio/signature.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include "crypto/crypto.h"

namespace roomplane::twilio {
namespace {

struct UrlParts {
  std::string_view scheme;     // "https"
  std::string_view authority;  // "user:pass@host:port"
  std::string_view rest;       // "/path?query"
};

std::optional<UrlParts> split_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return std::nullopt;
  const auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string_view::npos)
    authority_end = url.size();
  return UrlParts{url.substr(0, scheme_end),
                  url.substr(authority_start, authority_end - authority_start),
                  url.substr(authority_end)};
}

// Splits "userinfo@host:port" into ("userinfo@host", port or nullopt). IPv6 hosts in brackets
// keep their colons.
std::pair<std::string_view, std::optional<std::string_view>> split_port(
    std::string_view authority) {
  const auto at = authority.rfind('@');
  const auto host_start = at == std::string_view::npos ? 0 : at + 1;
  const auto bracket = authority.find(']', host_start);
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon < host_start ||
      (bracket != std::string_view::npos && colon < bracket)) {
    return {authority, std::nullopt};
  }
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

std::string default_port(std::string_view scheme) {
  return scheme == "https" ? "443" : "80";
}

// twilio-python's two candidates: the URL with any port removed, and the URL with its port
// (the default one added when none is written). Like python's urlparse, the scheme is
// lower-cased; host case and the query are kept byte for byte.
std::vector<std::string> candidate_urls(std::string_view url) {
  const auto parts = split_url(url);
  if (!parts)
    return {std::string(url)};
  const auto [host, port] = split_port(parts->authority);
  std::string scheme(parts->scheme);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const auto rest = std::string(parts->rest);
  return {scheme + "://" + std::string(host) + rest,
          scheme + "://" + std::string(host) + ":" +
              std::string(port.value_or(default_port(scheme))) + rest};
}

// The parameters' part of the signed text: each distinct (name, value) pair once, sorted by name
// then value, byte-wise (the ordinal order Twilio uses for ASCII parameter names), as name
// followed by value. Sorted views, not a map of sets: no copy of any parameter.
std::string sorted_params(const http::FormParams& params) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  pairs.reserve(params.size());
  std::size_t bytes = 0;
  for (const auto& [name, value] : params) {
    pairs.emplace_back(name, value);
    bytes += name.size() + value.size();
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  std::string out;
  out.reserve(bytes);
  for (const auto& [name, value] : pairs) {
    out += name;
    out += value;
  }
  return out;
}

std::string signature_of(std::string_view auth_token, std::string_view url,
                         std::string_view params_part) {
  std::string base;
  base.reserve(url.size() + params_part.size());
  base += url;
  base += params_part;
  return crypto::base64_encode(crypto::hmac_sha1(auth_token, base));
}

}  // namespace

std::string signature_base(std::string_view url, const http::FormParams& params) {
  return std::string(url) + sorted_params(params);
}

std::string compute_signature(std::string_view auth_token, std::string_view url,
                              const http::FormParams& params) {
  return signature_of(auth_token, url, sorted_params(params));
}

bool validate_signature(std::string_view auth_token, std::string_view url,
                        const http::FormParams& params, std::string_view signature) {
  if (signature.empty())
    return false;
  const std::string params_part = sorted_params(params);  // the same for every candidate URL
  bool valid = false;
  for (const auto& candidate : candidate_urls(url)) {
    // Evaluate every candidate so timing does not depend on which one matched.
    valid |=
        crypto::constant_time_equals(signature_of(auth_token, candidate, params_part), signature);
  }
  return valid;
}

bool validate_signature_with_body(std::string_view auth_token, std::string_view url,
                                  std::string_view body, std::string_view signature) {
  const auto query = url.find('?');
  if (query == std::string_view::npos)
    return false;
  auto params = http::parse_form(url.substr(query + 1));
  if (!params)
    return false;
  const auto expected_hash = http::form_value(*params, "bodySHA256");
  if (!expected_hash)
    return false;
  if (!validate_signature(auth_token, url, {}, signature))
    return false;
  return crypto::constant_time_equals(crypto::sha256_hex(body), *expected_hash);
}

}  // namespace roomplane::twilio
