#pragma once
// application/x-www-form-urlencoded, as Twilio sends and expects it: parameters keep their
// order and repeats (Twilio's arrays are repeated keys), '+' means space, and encoding leaves
// only RFC 3986 unreserved characters unescaped.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace roomplane::http {

using FormParams = std::vector<std::pair<std::string, std::string>>;

// Error (kInvalidArgument, "invalid_form") on malformed percent-encoding.
core::Result<FormParams> parse_form(std::string_view body);
std::string encode_form(const FormParams& params);
// Percent-encodes everything but ALPHA / DIGIT / "-" / "." / "_" / "~"; space becomes "%20".
std::string percent_encode(std::string_view text);

// First value of `name`, if present.
std::optional<std::string> form_value(const FormParams& params, std::string_view name);

}  // namespace roomplane::http
