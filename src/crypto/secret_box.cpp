#include "crypto/secret_box.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"

namespace roomplane::crypto {
namespace {

constexpr std::string_view kVersionPrefix = "v1:";
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

core::Error decrypt_error() {
  return core::Error::internal(
      "cannot decrypt a stored secret: the master key differs from the one it was sealed with");
}

}  // namespace

core::Result<SecretBox> SecretBox::from_key(std::string key) {
  if (key.size() != kKeySize) {
    return core::Error::invalid_argument("master_key_invalid", "the master key must be 32 bytes");
  }
  return SecretBox(std::move(key));
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view associated_data) const {
  const std::string nonce = random_bytes(kNonceSize);
  std::string ciphertext(plaintext.size(), '\0');
  std::string tag(kTagSize, '\0');

  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  // These calls fail only on allocation failure or programming error; the checks keep it honest.
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes(ciphertext), &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes(ciphertext) + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          tag.data()) != 1) {
    std::abort();
  }
  return std::string(kVersionPrefix) + base64_encode(nonce + ciphertext + tag);
}

core::Result<std::string> SecretBox::open(std::string_view sealed,
                                          std::string_view associated_data) const {
  if (!sealed.starts_with(kVersionPrefix)) {
    return core::Error::internal("stored secret has an unknown format");
  }
  auto raw = base64_decode(sealed.substr(kVersionPrefix.size()));
  if (!raw || raw->size() < kNonceSize + kTagSize) {
    return core::Error::internal("stored secret is truncated or corrupt");
  }
  const std::string_view all(*raw);
  const std::string_view nonce = all.substr(0, kNonceSize);
  const std::string_view ciphertext = all.substr(kNonceSize, all.size() - kNonceSize - kTagSize);
  std::string tag(all.substr(all.size() - kTagSize));
  std::string plaintext(ciphertext.size(), '\0');

  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), bytes(plaintext), &len, bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          tag.data()) != 1) {
    return decrypt_error();
  }
  if (EVP_DecryptFinal_ex(ctx.get(), bytes(plaintext) + len, &len) != 1) {
    return decrypt_error();  // tag mismatch: wrong key, wrong associated data, or tampering
  }
  return plaintext;
}

core::Result<std::string> parse_master_key(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (text.size() == 2 * SecretBox::kKeySize) {
    if (auto key = hex_decode(text))
      return *key;
  }
  if (auto key = base64_decode(text); key && key->size() == SecretBox::kKeySize) {
    return *key;
  }
  return core::Error::invalid_argument(
      "master_key_invalid",
      "ROOMPLANE_MASTER_KEY must be 32 bytes given as 64 hex characters or base64 "
      "(generate one with: openssl rand -hex 32)");
}

core::Result<std::string> load_or_create_key_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty())
      fs::create_directories(parent, ec);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
      return core::Error::unavailable(
          "master_key_file", "cannot create master key file " + path + ": " + std::strerror(errno));
    }
    const std::string text = hex_encode(random_bytes(SecretBox::kKeySize)) + "\n";
    const auto written = ::write(fd, text.data(), text.size());
    ::close(fd);
    if (written != static_cast<ssize_t>(text.size())) {
      return core::Error::unavailable("master_key_file", "cannot write master key file " + path);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return core::Error::unavailable("master_key_file", "cannot read master key file " + path);
  }
  if ((st.st_mode & 0077) != 0) {
    return core::Error::invalid_argument(
        "master_key_file_permissions",
        "master key file " + path + " is readable by group or others; run: chmod 600 " + path);
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    return core::Error::unavailable("master_key_file", "cannot read master key file " + path);
  }
  auto key = parse_master_key(text.str());
  if (!key) {
    return core::Error::invalid_argument("master_key_invalid",
                                         "master key file " + path + " does not hold a valid key");
  }
  return key;
}

}  // namespace roomplane::crypto
