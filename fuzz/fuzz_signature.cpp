// X-Twilio-Signature validation (twilio/signature.h), which the webhook route runs on every
// callback before anything else of it is used: the URL, the form parameters and the header are
// all the sender's. The input is four lines: auth token, URL, form body, signature header.
// Properties:
//  - never crashes, for validate_signature and validate_signature_with_body alike;
//  - an empty signature never validates;
//  - the signature compute_signature gives validates for the same token, URL and parameters
//    (when the URL's scheme is lower-case: validation lower-cases it, as twilio-python does);
//    with one character changed, or under another token, it does not;
//  - the parameters' order and an exact repeat of a pair change nothing (each distinct pair
//    counts once); a new pair invalidates it;
//  - twilio-python's port rules, for plain hosts (letters, digits, '.', '-'): a signature over
//    the URL with its port removed validates the URL with the port, and one over the URL with
//    the scheme's default port validates the URL without one;
//  - a JSON-body callback that validates has a body whose SHA-256 is the URL's bodySHA256.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "fuzz_check.h"
#include "http/form.h"
#include "twilio/signature.h"

namespace {

using roomplane::http::FormParams;
using roomplane::twilio::compute_signature;
using roomplane::twilio::validate_signature;
using roomplane::twilio::validate_signature_with_body;

// The next '\n'-terminated piece of `text` (all of it when there is no '\n').
std::string_view take_line(std::string_view& text) {
  const auto end = text.find('\n');
  const auto line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  return line;
}

bool plain_host(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-';
  });
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "http[s]://host[:port]" followed by nothing or by '/', '?' or '#': the URLs whose port rules
// this target checks, split without the validator's own parser.
struct PlainUrl {
  std::string scheme;
  std::string host;
  std::string port;  // empty: none written
  std::string rest;
};

bool split_plain(std::string_view url, PlainUrl& out) {
  for (const std::string_view scheme : {"https", "http"}) {
    const std::string prefix = std::string(scheme) + "://";
    if (!url.starts_with(prefix))
      continue;
    auto authority = url.substr(prefix.size());
    const auto end = authority.find_first_of("/?#");
    out.rest = end == std::string_view::npos ? "" : std::string(authority.substr(end));
    authority = authority.substr(0, end);
    const auto colon = authority.find(':');
    out.scheme = std::string(scheme);
    out.host = std::string(authority.substr(0, colon));
    out.port = colon == std::string_view::npos ? "" : std::string(authority.substr(colon + 1));
    return plain_host(out.host) && (colon == std::string_view::npos || all_digits(out.port));
  }
  return false;
}

bool lower_case_scheme(std::string_view url) {
  const auto end = url.find("://");
  if (end == std::string_view::npos)
    return true;  // no scheme: the URL is taken as it is
  return std::none_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(end),
                      [](unsigned char c) { return std::isupper(c); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = roomplane::fuzz::as_text(data, size);
  const std::string token(take_line(text));
  const std::string url(take_line(text));
  const std::string body(take_line(text));
  const std::string header(take_line(text));

  const auto params = roomplane::http::parse_form(body);
  const bool header_valid = params && validate_signature(token, url, *params, header);
  const bool body_valid = validate_signature_with_body(token, url, body, header);
  if (header.empty()) {
    FUZZ_CHECK(!header_valid);
    FUZZ_CHECK(!body_valid);
  }
  if (body_valid) {
    FUZZ_CHECK(validate_signature(token, url, {}, header));
    const auto query = url.find('?');
    FUZZ_CHECK(query != std::string::npos);
    const auto url_params = roomplane::http::parse_form(std::string_view(url).substr(query + 1));
    FUZZ_CHECK(url_params.ok());
    const auto hash = roomplane::http::form_value(*url_params, "bodySHA256");
    FUZZ_CHECK(hash.has_value());
    FUZZ_CHECK(*hash == roomplane::crypto::sha256_hex(body));
  }
  if (!params)
    return 0;

  const std::string signature = compute_signature(token, url, *params);
  FUZZ_CHECK(!signature.empty());
  if (lower_case_scheme(url))
    FUZZ_CHECK(validate_signature(token, url, *params, signature));

  std::string altered = signature;
  auto& changed = altered[size % altered.size()];
  changed = changed == 'A' ? 'B' : 'A';
  FUZZ_CHECK(!validate_signature(token, url, *params, altered));
  FUZZ_CHECK(!validate_signature(token + "x", url, *params, signature));

  FormParams reordered(params->rbegin(), params->rend());
  FUZZ_CHECK(compute_signature(token, url, reordered) == signature);
  if (!params->empty()) {
    FormParams repeated = *params;
    repeated.push_back(params->front());
    FUZZ_CHECK(compute_signature(token, url, repeated) == signature);
  }
  FormParams extended = *params;
  extended.emplace_back("RoomplaneFuzzExtra", std::string(body.size() % 7, 'x'));
  if (std::find(params->begin(), params->end(), extended.back()) == params->end())
    FUZZ_CHECK(compute_signature(token, url, extended) != signature);

  PlainUrl plain;
  if (split_plain(url, plain)) {
    const std::string default_port = plain.scheme == "https" ? "443" : "80";
    const std::string without_port = plain.scheme + "://" + plain.host + plain.rest;
    if (plain.port.empty()) {
      const std::string with_default =
          plain.scheme + "://" + plain.host + ":" + default_port + plain.rest;
      FUZZ_CHECK(
          validate_signature(token, url, *params, compute_signature(token, with_default, *params)));
    } else {
      FUZZ_CHECK(
          validate_signature(token, url, *params, compute_signature(token, without_port, *params)));
    }
  }
  return 0;
}
