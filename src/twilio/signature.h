#pragma once
// X-Twilio-Signature: HMAC-SHA1 over the URL followed by the form parameters sorted by name
// (each name immediately followed by its value; a repeated name contributes once per distinct
// value, values sorted), keyed with the account's Auth Token, base64-encoded. See
// shared/reference/webhook-signature.md.
//
// Validation follows twilio-python's verdicts where the official libraries disagree: it tries
// the URL with any port removed and, when the URL has no port, with the scheme's default port
// added; it never lower-cases the host or re-encodes the query. Pure and thread-safe.

#include <string>
#include <string_view>

#include "http/form.h"

namespace roomplane::twilio {

std::string signature_base(std::string_view url, const http::FormParams& params);
std::string compute_signature(std::string_view auth_token, std::string_view url,
                              const http::FormParams& params);

bool validate_signature(std::string_view auth_token, std::string_view url,
                        const http::FormParams& params, std::string_view signature);

// For JSON bodies: the URL carries bodySHA256=<hex sha256 of the raw body>; the signature is over
// the URL alone, and the body must hash to that value.
bool validate_signature_with_body(std::string_view auth_token, std::string_view url,
                                  std::string_view body, std::string_view signature);

}  // namespace roomplane::twilio
