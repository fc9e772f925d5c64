// Alert signatures: a vector computed outside this code base, and what verify() rejects.

#include "alerts/signature.h"

#include <cctype>
#include <string>

#include <gtest/gtest.h>

namespace roomplane::alerts {
namespace {

using namespace std::chrono_literals;

// Computed independently:
//   python3 -c 'import hmac,hashlib; mk=bytes(range(32));
//     s=hmac.new(mk,b"roomplane/alerts/v1/tn_vector0001",hashlib.sha256).hexdigest(); print(s);
//     print(hmac.new(s.encode(),b"1790000000."+BODY,hashlib.sha256).hexdigest())'
// and cross-checked with `printf '%s' "1790000000.$BODY" | openssl dgst -sha256 -hmac "$s"`.
const std::string kMasterKey = [] {
  std::string key;
  for (int i = 0; i < 32; ++i)
    key.push_back(static_cast<char>(i));
  return key;
}();
const core::TenantId kTenant("tn_vector0001");
constexpr std::string_view kSecret =
    "d8de97576aa28170ba8a0d7dce8124a5fe97c697bd5c3f425b51cb68b68bc708";
constexpr std::string_view kBody = R"({"type":"composition.failed","alert_id":"al_vector"})";
constexpr std::string_view kTimestamp = "1790000000";
constexpr std::string_view kSignature =
    "v1=15bf434ca52e31e02d63152c0d60a8a899580a19f0cabcf1a01b38da49658b16";
const core::TimePoint kAt = core::from_unix_seconds(1'790'000'000);

TEST(AlertSignature, SigningSecretMatchesIndependentVector) {
  EXPECT_EQ(signing_secret(kMasterKey, kTenant), kSecret);
  EXPECT_NE(signing_secret(kMasterKey, core::TenantId("tn_vector0002")), kSecret);
}

TEST(AlertSignature, SignMatchesIndependentVector) {
  const auto headers = sign(kSecret, kAt + 999ms, kBody);  // whole seconds
  EXPECT_EQ(headers.timestamp, kTimestamp);
  EXPECT_EQ(headers.signature, kSignature);
  EXPECT_EQ(signature_value(kSecret, kTimestamp, kBody), kSignature);
}

TEST(AlertSignature, VerifyAcceptsTheVectorWithinTolerance) {
  EXPECT_TRUE(verify(kSecret, kTimestamp, kBody, kSignature, kAt).ok());
  EXPECT_TRUE(verify(kSecret, kTimestamp, kBody, kSignature, kAt + 300s).ok());
  EXPECT_TRUE(verify(kSecret, kTimestamp, kBody, kSignature, kAt - 300s).ok());
}

TEST(AlertSignature, VerifyAcceptsAnyMatchingV1EntryAndIgnoresOthers) {
  const std::string header = "v0=abc, v1=" + std::string(64, '0') + " , " + std::string(kSignature);
  EXPECT_TRUE(verify(kSecret, kTimestamp, kBody, header, kAt).ok());
}

TEST(AlertSignature, VerifyRejectsTamperedBody) {
  std::string body(kBody);
  body[10] ^= 1;
  EXPECT_EQ(verify(kSecret, kTimestamp, body, kSignature, kAt).error().code, "signature_mismatch");
  EXPECT_EQ(verify(kSecret, kTimestamp, std::string(kBody) + " ", kSignature, kAt).error().code,
            "signature_mismatch");
}

TEST(AlertSignature, VerifyRejectsTamperedTimestampAndSignature) {
  // A timestamp moved by one second no longer matches the signature.
  EXPECT_EQ(verify(kSecret, "1790000001", kBody, kSignature, kAt).error().code,
            "signature_mismatch");
  std::string signature(kSignature);
  signature.back() = signature.back() == '6' ? '7' : '6';
  EXPECT_EQ(verify(kSecret, kTimestamp, kBody, signature, kAt).error().code, "signature_mismatch");
  // Uppercase hex is not what was signed.
  std::string upper(kSignature);
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.replace(0, 3, "v1=");
  EXPECT_EQ(verify(kSecret, kTimestamp, kBody, upper, kAt).error().code, "signature_mismatch");
}

TEST(AlertSignature, VerifyRejectsWrongSecret) {
  const auto other = signing_secret(kMasterKey, core::TenantId("tn_vector0002"));
  const auto result = verify(other, kTimestamp, kBody, kSignature, kAt);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "signature_mismatch");
  EXPECT_EQ(result.error().kind, core::ErrorKind::kUnauthenticated);
  // The master key itself is not the tenant's secret.
  EXPECT_FALSE(verify(kMasterKey, kTimestamp, kBody, kSignature, kAt).ok());
}

TEST(AlertSignature, VerifyRejectsExpiredAndFutureTimestamps) {
  EXPECT_EQ(verify(kSecret, kTimestamp, kBody, kSignature, kAt + 301s).error().code,
            "timestamp_out_of_tolerance");
  EXPECT_EQ(verify(kSecret, kTimestamp, kBody, kSignature, kAt - 301s).error().code,
            "timestamp_out_of_tolerance");
  EXPECT_TRUE(verify(kSecret, kTimestamp, kBody, kSignature, kAt + 3600s, 3600s).ok());
}

TEST(AlertSignature, VerifyRejectsMalformedHeaders) {
  for (std::string_view ts :
       {"", "abc", "-1790000000", "1790000000.5", " 1790000000", "99999999999999999999"}) {
    EXPECT_EQ(verify(kSecret, ts, kBody, kSignature, kAt).error().code, "invalid_timestamp") << ts;
  }
  for (std::string_view header : {"", "15bf434ca52e31e0", "v2=abc", "sha256=abc"}) {
    EXPECT_EQ(verify(kSecret, kTimestamp, kBody, header, kAt).error().code,
              "invalid_signature_header")
        << header;
  }
}

}  // namespace
}  // namespace roomplane::alerts
