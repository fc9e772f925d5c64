#include "crypto/crypto.h"

#include <gtest/gtest.h>

namespace roomplane::crypto {
namespace {

TEST(Base64, RoundTripsAllLengths) {
  std::string data;
  for (int i = 0; i < 70; ++i) {
    EXPECT_EQ(base64_decode(base64_encode(data)), data);
    EXPECT_EQ(base64url_decode(base64url_encode(data)), data);
    data += static_cast<char>(i * 37 + 250);
  }
}

TEST(Base64, KnownValuesFromRfc4648) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(base64_decode("Zm9vYg="));      // wrong length
  EXPECT_FALSE(base64_decode("Zm9v!g=="));     // bad character
  EXPECT_FALSE(base64url_decode("Zm9vYg=="));  // padding not allowed in base64url
  EXPECT_FALSE(base64url_decode("Zh"));        // non-zero trailing bits
  EXPECT_FALSE(base64url_decode("A"));         // impossible length
}

TEST(Hex, RoundTripAndRejects) {
  EXPECT_EQ(hex_encode("\x01\xab"), "01ab");
  EXPECT_EQ(hex_decode("01AB"), std::string("\x01\xab"));
  EXPECT_FALSE(hex_decode("0"));
  EXPECT_FALSE(hex_decode("zz"));
}

TEST(Hash, Sha256KnownValue) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hmac, Rfc4231Case2) {
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

// HMAC is built on a pre-fetched digest (crypto.cpp): every key-length case of RFC 2104 (shorter
// than a block, exactly a block, longer and hashed first, empty), against RFC 4231 / RFC 2202
// vectors, and the one for a 64-byte key from Python's hmac module.
TEST(Hmac, EveryKeyLength) {
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  std::string block_key;
  for (int i = 0; i < 64; ++i)
    block_key += static_cast<char>(i);
  EXPECT_EQ(hex_encode(hmac_sha256(block_key, "exactly one block of key")),
            "aed89a53f83495834369f6c764db660e0e41d224347eb2b6f2054241399e36e2");
  const std::string long_message = "Test Using Larger Than Block-Size Key - Hash Key First";
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(131, '\xaa'), long_message)),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hex_encode(hmac_sha1(std::string(80, '\xaa'), long_message)),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  EXPECT_EQ(hex_encode(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "abcd"));
}

TEST(RandomToken, HasPrefixLengthAndAlphabet) {
  const auto a = random_token("tn_", 20);
  const auto b = random_token("tn_", 20);
  EXPECT_EQ(a.size(), 23u);
  EXPECT_TRUE(a.starts_with("tn_"));
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567", 3), std::string::npos);
}

}  // namespace
}  // namespace roomplane::crypto
