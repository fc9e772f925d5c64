#pragma once
// The rules a participant identity must pass before we issue a token for it.
//
// Stricter than Twilio on purpose: identities end up in URLs, logs, webhooks and UIs, so we
// allow only a plain ASCII set and keep impersonation-prone words out.

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace roomplane::tokens {

// Twilio's limit on identity length.
inline constexpr std::size_t kMaxIdentityLength = 128;

// Identities nobody may take (compared case-insensitively against the whole identity).
inline constexpr std::array<std::string_view, 12> kDefaultReservedIdentities = {
    "admin",   "administrator", "root", "system",    "twilio",    "roomplane",
    "support", "moderator",     "null", "undefined", "anonymous", "everyone",
};

struct IdentityPolicyOptions {
  // Values above kMaxIdentityLength are clamped to it (Twilio would refuse longer ones) and
  // 0 counts as 1, so the policy always admits some identity.
  std::size_t max_length = kMaxIdentityLength;
  // Reserved on top of kDefaultReservedIdentities for every check of this policy.
  std::vector<std::string> extra_reserved;
};

// Checks identities against, in this order (the first failure is reported):
//   identity_empty, identity_too_long, identity_invalid_start (must start with an ASCII letter
//   or digit), identity_invalid_character (allowed: ASCII letters, digits and - _ . @ + :),
//   identity_reserved.
// Length is counted in bytes, which equals characters for every identity that can pass.
// Failures are core::Error with ErrorKind::kUnprocessable (HTTP 422); the message names the
// rule and what to fix, and never echoes the identity (it is personal data and may hold
// control bytes).
//
// Immutable after construction: check() is const and safe to call from any thread.
class IdentityPolicy {
 public:
  explicit IdentityPolicy(IdentityPolicyOptions options = {});

  // `tenant_reserved`: the calling tenant's own reserved words, also case-insensitive.
  core::Status check(std::string_view identity,
                     std::span<const std::string> tenant_reserved = {}) const;

  std::size_t max_length() const { return max_length_; }

 private:
  std::size_t max_length_;
  std::vector<std::string> extra_reserved_;
};

}  // namespace roomplane::tokens
