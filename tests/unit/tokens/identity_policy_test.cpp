#include "tokens/identity_policy.h"

#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace roomplane::tokens {
namespace {

using ::testing::HasSubstr;

// Asserts that `identity` fails with `code`, as a 422 whose message names the rule.
void expect_rule(const IdentityPolicy& policy, std::string_view identity, std::string_view code,
                 std::string_view message_mentions, std::span<const std::string> tenant = {}) {
  const auto status = policy.check(identity, tenant);
  ASSERT_FALSE(status.ok()) << "accepted: " << identity;
  EXPECT_EQ(status.error().kind, core::ErrorKind::kUnprocessable);
  EXPECT_EQ(status.error().code, code);
  EXPECT_THAT(status.error().message, HasSubstr(message_mentions));
}

TEST(IdentityPolicy, AcceptsOrdinaryIdentities) {
  const IdentityPolicy policy;
  for (const char* identity :
       {"alice", "Bob", "7", "user-42", "first.last@example.com", "a+b", "ns:user_1", "X"}) {
    EXPECT_TRUE(policy.check(identity).ok()) << identity;
  }
}

TEST(IdentityPolicy, EmptyIsRefused) {
  expect_rule(IdentityPolicy(), "", "identity_empty", "empty");
}

TEST(IdentityPolicy, LengthBoundaryIs128) {
  const IdentityPolicy policy;
  EXPECT_TRUE(policy.check(std::string(128, 'a')).ok());
  expect_rule(policy, std::string(129, 'a'), "identity_too_long", "too long");
  expect_rule(policy, std::string(129, 'a'), "identity_too_long", "at most 128");
  EXPECT_EQ(kMaxIdentityLength, 128u);
}

TEST(IdentityPolicy, MaxLengthCanBeLoweredNotRaised) {
  const IdentityPolicy strict({.max_length = 8, .extra_reserved = {}});
  EXPECT_EQ(strict.max_length(), 8u);
  EXPECT_TRUE(strict.check("abcdefgh").ok());
  expect_rule(strict, "abcdefghi", "identity_too_long", "at most 8");

  const IdentityPolicy lax({.max_length = 500, .extra_reserved = {}});
  EXPECT_EQ(lax.max_length(), kMaxIdentityLength);
  expect_rule(lax, std::string(129, 'a'), "identity_too_long", "too long");

  EXPECT_EQ(IdentityPolicy({.max_length = 0, .extra_reserved = {}}).max_length(), 1u);
}

TEST(IdentityPolicy, LengthIsCheckedBeforeCharacters) {
  expect_rule(IdentityPolicy(), std::string(129, ' '), "identity_too_long", "too long");
}

TEST(IdentityPolicy, EachAllowedPunctuationIsAccepted) {
  const IdentityPolicy policy;
  for (const char c : std::string_view("-_.@+:")) {
    const std::string identity = std::string("a") + c + "b";
    EXPECT_TRUE(policy.check(identity).ok()) << identity;
    EXPECT_TRUE(policy.check(std::string("a") + c).ok()) << "trailing " << c;
  }
}

TEST(IdentityPolicy, MustStartWithLetterOrDigit) {
  const IdentityPolicy policy;
  EXPECT_TRUE(policy.check("0abc").ok());
  EXPECT_TRUE(policy.check("Zed").ok());
  for (const char* identity : {"-abc", "_abc", ".abc", "@abc", "+abc", ":abc", " abc", "/abc"}) {
    expect_rule(policy, identity, "identity_invalid_start", "start");
  }
  expect_rule(policy, "\xc3\xa9lodie", "identity_invalid_start", "letter or digit");
  expect_rule(policy, std::string("\0abc", 4), "identity_invalid_start", "start");
}

TEST(IdentityPolicy, DisallowedCharactersAreNamedByPosition) {
  const IdentityPolicy policy;
  expect_rule(policy, "john doe", "identity_invalid_character", "position 5 (a space)");
  expect_rule(policy, "a/b", "identity_invalid_character", "position 2 ('/')");
  expect_rule(policy, "ab#", "identity_invalid_character", "position 3 ('#')");
  expect_rule(policy, "a\"b", "identity_invalid_character", "position 2 ('\"')");
  expect_rule(policy, "Jos\xc3\xa9", "identity_invalid_character",
              "position 4 (a non-ASCII character)");
  expect_rule(policy, "cam\xf0\x9f\x8e\xa5", "identity_invalid_character",  // emoji
              "position 4 (a non-ASCII character)");
  expect_rule(policy, "allowed only ascii", "identity_invalid_character", "invalid character");
}

TEST(IdentityPolicy, ControlBytesAreDescribedNotEchoed) {
  const IdentityPolicy policy;
  const auto nul = policy.check(std::string("ab\0c", 4));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().code, "identity_invalid_character");
  EXPECT_THAT(nul.error().message, HasSubstr("position 3 (control byte 0x00)"));
  EXPECT_EQ(nul.error().message.find('\0'), std::string::npos);

  for (const char* identity : {"a\nb", "a\x1b[31mb", "a\x7f"}) {
    const auto status = policy.check(identity);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, "identity_invalid_character");
    for (const char c : status.error().message) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << static_cast<int>(c) << " in message";
    }
  }
  EXPECT_THAT(policy.check("a\x7f").error().message, HasSubstr("control byte 0x7F"));
}

TEST(IdentityPolicy, ReservedWordsAreRefusedCaseInsensitively) {
  const IdentityPolicy policy;
  for (const std::string_view word : kDefaultReservedIdentities) {
    expect_rule(policy, word, "identity_reserved", "reserved");
  }
  expect_rule(policy, "ADMIN", "identity_reserved", "reserved");
  expect_rule(policy, "Twilio", "identity_reserved", "reserved");
  expect_rule(policy, "rOoT", "identity_reserved", "reserved");
  // Whole-identity match only.
  EXPECT_TRUE(policy.check("admin1").ok());
  EXPECT_TRUE(policy.check("sysadmin").ok());
  EXPECT_TRUE(policy.check("root.beer").ok());
}

TEST(IdentityPolicy, DefaultListHasTheDocumentedWords) {
  for (const char* word : {"admin", "administrator", "root", "system", "twilio", "roomplane",
                           "support", "moderator", "null", "undefined", "anonymous", "everyone"}) {
    EXPECT_NE(std::ranges::find(kDefaultReservedIdentities, word), kDefaultReservedIdentities.end())
        << word;
  }
}

TEST(IdentityPolicy, TenantWordsAreReservedCaseInsensitively) {
  const IdentityPolicy policy;
  const std::vector<std::string> tenant = {"Host", "acme-bot"};
  expect_rule(policy, "host", "identity_reserved", "reserved", tenant);
  expect_rule(policy, "HOST", "identity_reserved", "reserved", tenant);
  expect_rule(policy, "ACME-BOT", "identity_reserved", "reserved", tenant);
  EXPECT_TRUE(policy.check("hostess", tenant).ok());
  EXPECT_TRUE(policy.check("host").ok()) << "only reserved for that tenant";
  expect_rule(policy, "admin", "identity_reserved", "reserved", tenant);  // defaults still apply
}

TEST(IdentityPolicy, ConstructorWordsApplyToEveryCheck) {
  const IdentityPolicy policy({.max_length = kMaxIdentityLength, .extra_reserved = {"Staff"}});
  expect_rule(policy, "staff", "identity_reserved", "reserved");
  EXPECT_TRUE(policy.check("staffer").ok());
}

TEST(IdentityPolicy, RulesAreCheckedInDocumentedOrder) {
  const IdentityPolicy policy({.max_length = 5, .extra_reserved = {}});
  expect_rule(policy, "", "identity_empty", "empty");
  expect_rule(policy, "-a b c d", "identity_too_long", "too long");  // also bad start/chars
  expect_rule(policy, "-a b", "identity_invalid_start", "start");    // also a bad character
  expect_rule(policy, "ad/in", "identity_invalid_character", "invalid character");
  expect_rule(policy, "root", "identity_reserved", "reserved");
}

TEST(IdentityPolicy, IsSafeToShareBetweenThreads) {
  const IdentityPolicy policy({.max_length = kMaxIdentityLength, .extra_reserved = {"staff"}});
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (!policy.check("user-" + std::to_string(i)).ok())
          ++failures[t];
        if (policy.check("STAFF").ok())
          ++failures[t];
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (const int f : failures)
    EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace roomplane::tokens
