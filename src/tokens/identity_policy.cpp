#include "tokens/identity_policy.h"

#include <algorithm>
#include <cstdio>

namespace roomplane::tokens {
namespace {

constexpr std::string_view kAllowedPunctuation = "-_.@+:";

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_allowed(char c) {
  return is_ascii_alnum(c) || kAllowedPunctuation.find(c) != std::string_view::npos;
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// A safe name for a refused byte: printable ASCII is quoted, everything else is described,
// so a message never carries control bytes or a fragment of a multi-byte character.
std::string describe(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c == ' ')
    return "a space";
  if (byte >= 0x21 && byte <= 0x7E)
    return std::string("'") + c + "'";
  if (byte >= 0x80)
    return "a non-ASCII character";
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(byte));
  return std::string("control byte ") + hex;
}

core::Error rule_failed(const char* code, std::string message) {
  return core::Error::unprocessable(code, std::move(message));
}

}  // namespace

IdentityPolicy::IdentityPolicy(IdentityPolicyOptions options)
    : max_length_(std::clamp<std::size_t>(options.max_length, 1, kMaxIdentityLength)),
      extra_reserved_(std::move(options.extra_reserved)) {}

core::Status IdentityPolicy::check(std::string_view identity,
                                   std::span<const std::string> tenant_reserved) const {
  if (identity.empty()) {
    return rule_failed("identity_empty", "identity is empty; give each participant an identity");
  }
  if (identity.size() > max_length_) {
    return rule_failed("identity_too_long",
                       "identity is too long (" + std::to_string(identity.size()) +
                           " bytes); use at most " + std::to_string(max_length_) + " characters");
  }
  if (!is_ascii_alnum(identity.front())) {
    return rule_failed("identity_invalid_start",
                       "identity has an invalid start; it must start with an ASCII letter or "
                       "digit");
  }
  // Every byte before the first refused one is ASCII, so its byte index is also its
  // character position.
  const auto bad = std::ranges::find_if_not(identity, is_allowed);
  if (bad != identity.end()) {
    const auto position = static_cast<std::size_t>(bad - identity.begin()) + 1;
    return rule_failed("identity_invalid_character",
                       "identity has an invalid character at position " + std::to_string(position) +
                           " (" + describe(*bad) +
                           "); use only ASCII letters, digits and - _ . @ + :");
  }
  const auto matches = [identity](std::string_view word) {
    return equals_ignoring_ascii_case(identity, word);
  };
  if (std::ranges::any_of(kDefaultReservedIdentities, matches) ||
      std::ranges::any_of(extra_reserved_, matches) ||
      std::ranges::any_of(tenant_reserved, matches)) {
    return rule_failed("identity_reserved",
                       "identity is a reserved word; choose a different identity");
  }
  return {};
}

}  // namespace roomplane::tokens
