#include "crypto/secret_box.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "crypto/crypto.h"

namespace roomplane::crypto {
namespace {

SecretBox make_box(char fill = 'k') {
  return SecretBox::from_key(std::string(32, fill)).value();
}

TEST(SecretBox, SealsAndOpens) {
  const auto box = make_box();
  const auto sealed = box.seal("auth-token-123", "tenant:tn_1:auth_token");
  EXPECT_TRUE(sealed.starts_with("v1:"));
  EXPECT_EQ(sealed.find("auth-token-123"), std::string::npos);
  auto opened = box.open(sealed, "tenant:tn_1:auth_token");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "auth-token-123");
}

TEST(SecretBox, FreshNoncePerSeal) {
  const auto box = make_box();
  EXPECT_NE(box.seal("same", "ad"), box.seal("same", "ad"));
}

TEST(SecretBox, RefusesWrongAssociatedDataWrongKeyAndTampering) {
  const auto box = make_box();
  const auto sealed = box.seal("secret", "tenant:tn_1:auth_token");
  EXPECT_FALSE(box.open(sealed, "tenant:tn_2:auth_token").ok());
  EXPECT_FALSE(make_box('z').open(sealed, "tenant:tn_1:auth_token").ok());
  auto raw = *base64_decode(sealed.substr(3));
  raw[14] = static_cast<char>(raw[14] ^ 1);
  EXPECT_FALSE(box.open("v1:" + base64_encode(raw), "tenant:tn_1:auth_token").ok());
  EXPECT_FALSE(box.open("v2:xxxx", "tenant:tn_1:auth_token").ok());
  EXPECT_FALSE(box.open("v1:AAAA", "tenant:tn_1:auth_token").ok());
}

TEST(SecretBox, RejectsShortKey) {
  EXPECT_FALSE(SecretBox::from_key("short").ok());
}

TEST(MasterKey, ParsesHexAndBase64) {
  const std::string key(32, '\x07');
  EXPECT_EQ(parse_master_key(hex_encode(key)).value(), key);
  EXPECT_EQ(parse_master_key(base64_encode(key) + "\n").value(), key);
  const auto bad = parse_master_key("too-short");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "master_key_invalid");
}

TEST(MasterKey, KeyFileIsCreatedWithMode0600AndReused) {
  const auto dir = std::filesystem::temp_directory_path() / ("rp-key-" + random_token("", 8));
  const auto path = (dir / "master.key").string();
  auto first = load_or_create_key_file(path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = load_or_create_key_file(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  ::chmod(path.c_str(), 0644);
  auto loose = load_or_create_key_file(path);
  ASSERT_FALSE(loose.ok());
  EXPECT_EQ(loose.error().code, "master_key_file_permissions");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace roomplane::crypto
