// Every vector in tests/vectors/webhook-signatures.json (made with the official twilio npm
// package): compute vectors must match string-to-sign and signature exactly; validate vectors
// must give twilio-python's verdict where the libraries disagree.

#include "twilio/signature.h"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crypto/crypto.h"

namespace roomplane::twilio {
namespace {

nlohmann::json load_vectors() {
  std::ifstream in(std::string(ROOMPLANE_VECTORS_DIR) + "/webhook-signatures.json");
  return nlohmann::json::parse(in);
}

http::FormParams params_of(const nlohmann::json& vector) {
  http::FormParams params;
  if (!vector.contains("params"))
    return params;
  for (const auto& [name, value] : vector["params"].items()) {
    if (value.is_array()) {
      for (const auto& v : value)
        params.emplace_back(name, v.get<std::string>());
    } else {
      params.emplace_back(name, value.get<std::string>());
    }
  }
  return params;
}

// twilio-python's verdict when recorded (it differs from node's on host case and quotes);
// "raises TypeError" means python refuses the call, which for us is "invalid".
bool expected_verdict(const nlohmann::json& vector) {
  if (vector.contains("twilio_python_validate")) {
    const auto& v = vector["twilio_python_validate"];
    return v.is_boolean() ? v.get<bool>() : false;
  }
  return vector["valid"].get<bool>();
}

TEST(SignatureVectors, EveryVectorIsCheckedAndAgrees) {
  const auto vectors = load_vectors();
  ASSERT_EQ(vectors["vectors"].size(), vectors["count"].get<std::size_t>());
  std::size_t compute = 0, validate = 0, validate_body = 0;
  for (const auto& v : vectors["vectors"]) {
    const auto id = v["id"].get<std::string>();
    const auto kind = v["kind"].get<std::string>();
    const auto token = v["authToken"].get<std::string>();
    const auto url = v["url"].get<std::string>();
    if (kind == "compute") {
      ++compute;
      const auto params = params_of(v);
      if (v.contains("twilio_python_signature")) {
        // compute-073 mixes astral and high-BMP names: node sorts UTF-16 code units, python and
        // we sort code points (byte order of UTF-8), so only python's signature can match.
        EXPECT_NE(signature_base(url, params), v["string_to_sign"].get<std::string>()) << id;
        EXPECT_EQ(compute_signature(token, url, params),
                  v["twilio_python_signature"].get<std::string>())
            << id;
        continue;
      }
      EXPECT_EQ(signature_base(url, params), v["string_to_sign"].get<std::string>()) << id;
      EXPECT_EQ(crypto::hex_encode(signature_base(url, params)),
                v["string_to_sign_utf8_hex"].get<std::string>())
          << id;
      EXPECT_EQ(compute_signature(token, url, params), v["signature"].get<std::string>()) << id;
    } else if (kind == "validate") {
      ++validate;
      EXPECT_EQ(validate_signature(token, url, params_of(v), v["signature"].get<std::string>()),
                expected_verdict(v))
          << id << ": " << v["description"].get<std::string>();
    } else if (kind == "validate_body") {
      ++validate_body;
      EXPECT_EQ(validate_signature_with_body(token, url, v["body"].get<std::string>(),
                                             v["signature"].get<std::string>()),
                expected_verdict(v))
          << id << ": " << v["description"].get<std::string>();
    } else {
      ADD_FAILURE() << "unknown vector kind " << kind;
    }
  }
  EXPECT_EQ(compute + validate + validate_body, vectors["vectors"].size());
  EXPECT_GT(compute, 0u);
  EXPECT_GT(validate, 0u);
  EXPECT_GT(validate_body, 0u);
}

TEST(Signature, WorkedExampleFromTheReference) {
  const http::FormParams params = {{"CallSid", "CA1234567890ABCDE"},
                                   {"Caller", "+14158675309"},
                                   {"Digits", "1234"},
                                   {"From", "+14158675309"},
                                   {"To", "+18005551212"}};
  EXPECT_EQ(compute_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

TEST(Signature, BaseSortsByNameThenValueAndTakesEachDistinctPairOnce) {
  const http::FormParams params = {{"b", "2"}, {"a", "1"}, {"b", "1"},       {"b", "2"},
                                   {"B", "x"}, {"a", ""},  {"\xc3\xa9", "e"}};
  EXPECT_EQ(signature_base("https://h/p", params),
            "https://h/pBxaa1b1b2\xc3\xa9"
            "e");
}

TEST(Signature, RefusesEmptyWrongAndAlteredInput) {
  const http::FormParams params = {{"RoomSid", "RM1"}, {"StatusCallbackEvent", "room-created"}};
  const std::string url = "https://rp.example.com/webhooks/twilio/tn_1";
  const auto sig = compute_signature("token", url, params);
  EXPECT_TRUE(validate_signature("token", url, params, sig));
  EXPECT_FALSE(validate_signature("token", url, params, ""));
  EXPECT_FALSE(validate_signature("other", url, params, sig));
  EXPECT_FALSE(validate_signature("token", url + "x", params, sig));
  auto altered = params;
  altered[1].second = "room-ended";
  EXPECT_FALSE(validate_signature("token", url, altered, sig));
  auto extra = params;
  extra.emplace_back("Injected", "1");
  EXPECT_FALSE(validate_signature("token", url, extra, sig));
  EXPECT_FALSE(validate_signature("token", "not a url", params, sig));
}

TEST(Form, ParsesAndEncodes) {
  auto parsed = http::parse_form("A=1&B=a+b%26c&A=2&Empty=&NoValue");
  ASSERT_TRUE(parsed.ok());
  const http::FormParams expected = {
      {"A", "1"}, {"B", "a b&c"}, {"A", "2"}, {"Empty", ""}, {"NoValue", ""}};
  EXPECT_EQ(*parsed, expected);
  EXPECT_EQ(http::encode_form({{"Unique Name", "a/b&c=d~"}, {"X", "é"}}),
            "Unique%20Name=a%2Fb%26c%3Dd~&X=%C3%A9");
  EXPECT_EQ(*http::parse_form(http::encode_form(expected)), expected);
  EXPECT_FALSE(http::parse_form("A=%zz").ok());
  EXPECT_EQ(http::form_value(expected, "A"), "1");
  EXPECT_FALSE(http::form_value(expected, "Z"));
}

}  // namespace
}  // namespace roomplane::twilio
