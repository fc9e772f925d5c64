#include "tenants/api_keys.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"

namespace roomplane::tenants {
namespace {

TEST(ApiKeys, GeneratedKeysArePrefixedUniqueAndHashed) {
  const auto a = generate_api_key();
  const auto b = generate_api_key();
  EXPECT_TRUE(a.plaintext.starts_with("rpk_"));
  EXPECT_EQ(a.plaintext.size(), 44u);
  EXPECT_NE(a.plaintext, b.plaintext);
  EXPECT_EQ(a.hash, crypto::sha256_hex(a.plaintext));
  EXPECT_EQ(a.hash.size(), 64u);
  EXPECT_EQ(a.hash.find(a.plaintext.substr(4)), std::string::npos);
  EXPECT_EQ(a.prefix, a.plaintext.substr(0, 12));
  EXPECT_TRUE(looks_like_api_key(a.plaintext));
}

TEST(ApiKeys, BearerParsing) {
  const auto key = generate_api_key().plaintext;
  EXPECT_EQ(bearer_api_key("Bearer " + key), key);
  EXPECT_EQ(bearer_api_key("bearer  " + key + " "), key);
  EXPECT_FALSE(bearer_api_key(key));                                  // no scheme
  EXPECT_FALSE(bearer_api_key("Basic " + key));                       // wrong scheme
  EXPECT_FALSE(bearer_api_key("Bearer "));                            // empty
  EXPECT_FALSE(bearer_api_key("Bearer rpk_short"));                   // wrong length
  EXPECT_FALSE(bearer_api_key("Bearer " + key.substr(0, 43) + "!"));  // bad alphabet
  EXPECT_FALSE(bearer_api_key(""));
}

}  // namespace
}  // namespace roomplane::tenants
