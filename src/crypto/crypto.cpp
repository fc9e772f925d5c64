#include "crypto/crypto.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace roomplane::crypto {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kBase32Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

// Written through a pointer into a string sized once: appending char by char re-checked the
// capacity for every output byte, and the JWT of every token request goes through here.
std::string encode64(std::string_view bytes, std::string_view alphabet, bool pad) {
  const std::size_t whole = bytes.size() / 3;
  const std::size_t rest = bytes.size() - whole * 3;
  const std::size_t tail = rest == 0 ? 0 : (pad ? 4 : rest + 1);
  std::string out(whole * 4 + tail, '\0');
  char* o = out.data();
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t k = 0; k < whole; ++k, in += 3) {
    const std::uint32_t n = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8) | in[2];
    *o++ = alphabet[(n >> 18) & 63];
    *o++ = alphabet[(n >> 12) & 63];
    *o++ = alphabet[(n >> 6) & 63];
    *o++ = alphabet[n & 63];
  }
  if (rest != 0) {
    const std::uint32_t n =
        (std::uint32_t{in[0]} << 16) | (rest == 2 ? std::uint32_t{in[1]} << 8 : 0);
    *o++ = alphabet[(n >> 18) & 63];
    *o++ = alphabet[(n >> 12) & 63];
    if (rest == 2)
      *o++ = alphabet[(n >> 6) & 63];
    if (pad)
      *o++ = '=';
    if (pad && rest == 1)
      *o++ = '=';
  }
  return out;
}

std::optional<std::string> decode64(std::string_view text, std::string_view alphabet, bool padded) {
  if (padded) {
    if (text.size() % 4 != 0)
      return std::nullopt;
    std::size_t pads = 0;
    while (!text.empty() && text.back() == '=' && pads < 2) {
      text.remove_suffix(1);
      ++pads;
    }
  }
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const auto pos = alphabet.find(c);
    if (pos == std::string_view::npos)
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, otherwise two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return std::nullopt;
  return out;
}

// OpenSSL 3's one-shot SHA256() and HMAC() look the algorithm up by name in the provider
// registry on every call (an implicit fetch, with its lock and parameter parsing): a sixth of a
// token request's instructions went there. The digests are fetched once instead; a fetched
// EVP_MD is immutable and may be shared by threads (OpenSSL's threading guide), so these are
// constants, not shared mutable state. They live until exit on purpose.
const EVP_MD* fetched_digest(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    std::fprintf(stderr, "roomplane: OpenSSL has no %s digest; cannot continue\n", name);
    std::abort();
  }
  return md;
}

const EVP_MD* sha256_digest() {
  static const EVP_MD* const md = fetched_digest("SHA256");
  return md;
}

const EVP_MD* sha1_digest() {
  static const EVP_MD* const md = fetched_digest("SHA1");
  return md;
}

class DigestContext {
 public:
  DigestContext() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) {
      std::fputs("roomplane: EVP_MD_CTX_new failed (out of memory)\n", stderr);
      std::abort();
    }
  }
  ~DigestContext() { EVP_MD_CTX_free(ctx_); }
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;

  // H(first || second) into `out` (EVP_MD_get_size(md) bytes).
  void digest(const EVP_MD* md, std::string_view first, std::string_view second,
              unsigned char* out) {
    unsigned int len = 0;
    if (EVP_DigestInit_ex(ctx_, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, first.data(), first.size()) != 1 ||
        EVP_DigestUpdate(ctx_, second.data(), second.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out, &len) != 1) {
      std::fputs("roomplane: OpenSSL digest failed\n", stderr);
      std::abort();
    }
  }

 private:
  EVP_MD_CTX* ctx_;
};

// HMAC (RFC 2104) over a pre-fetched digest: H((K ^ opad) || H((K ^ ipad) || message)), with K
// hashed first when longer than a block. Checked against RFC 4231 and the Twilio vectors.
std::string hmac(const EVP_MD* md, std::string_view key, std::string_view message) {
  constexpr std::size_t kMaxBlock = 128;
  const auto block = static_cast<std::size_t>(EVP_MD_get_block_size(md));
  const auto size = static_cast<std::size_t>(EVP_MD_get_size(md));
  if (block > kMaxBlock || size > EVP_MAX_MD_SIZE) {
    std::fputs("roomplane: HMAC digest with an unexpected block size\n", stderr);
    std::abort();
  }
  DigestContext ctx;
  unsigned char pad[kMaxBlock] = {};
  unsigned char inner[EVP_MAX_MD_SIZE];
  unsigned char out[EVP_MAX_MD_SIZE];
  if (key.size() > block) {
    ctx.digest(md, key, {}, pad);
  } else {
    std::memcpy(pad, key.data(), key.size());
  }
  for (std::size_t i = 0; i < block; ++i)
    pad[i] ^= 0x36;
  ctx.digest(md, std::string_view(reinterpret_cast<const char*>(pad), block), message, inner);
  for (std::size_t i = 0; i < block; ++i)
    pad[i] ^= 0x36 ^ 0x5c;
  ctx.digest(md, std::string_view(reinterpret_cast<const char*>(pad), block),
             std::string_view(reinterpret_cast<const char*>(inner), size), out);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(inner, sizeof inner);
  return std::string(reinterpret_cast<const char*>(out), size);
}

}  // namespace

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    std::fputs("roomplane: RAND_bytes failed; refusing to continue without a secure RNG\n", stderr);
    std::abort();
  }
  return out;
}

std::string random_token(std::string_view prefix, std::size_t random_chars) {
  const std::string bytes = random_bytes(random_chars);
  std::string out(prefix);
  out.reserve(prefix.size() + random_chars);
  for (char b : bytes) {
    out += kBase32Alphabet[static_cast<unsigned char>(b) % 32];  // 256 % 32 == 0: no bias
  }
  return out;
}

std::array<std::uint8_t, 32> sha256(std::string_view data) {
  std::array<std::uint8_t, 32> out{};
  DigestContext().digest(sha256_digest(), data, {}, out.data());
  return out;
}

std::string sha256_hex(std::string_view data) {
  const auto digest = sha256(data);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  return hmac(sha256_digest(), key, message);
}

std::string hmac_sha1(std::string_view key, std::string_view message) {
  return hmac(sha1_digest(), key, message);
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  char* o = out.data();
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    *o++ = kDigits[b >> 4];
    *o++ = kDigits[b & 15];
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0)
    return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return encode64(bytes, kBase64Alphabet, true);
}
std::optional<std::string> base64_decode(std::string_view text) {
  return decode64(text, kBase64Alphabet, true);
}
std::string base64url_encode(std::string_view bytes) {
  return encode64(bytes, kBase64UrlAlphabet, false);
}
std::optional<std::string> base64url_decode(std::string_view text) {
  return decode64(text, kBase64UrlAlphabet, false);
}

}  // namespace roomplane::crypto
