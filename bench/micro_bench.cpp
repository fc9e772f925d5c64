// Hot-path building blocks, measured in isolation: token issuance, the cached API-key check
// every /v1 request makes, and webhook signature validation.

#include <benchmark/benchmark.h>

#include "crypto/crypto.h"
#include "observability/metrics.h"
#include "storage/sqlite_tenant_stores.h"
#include "support/manual_clock.h"
#include "support/temp_dir.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"
#include "tokens/access_token.h"
#include "tokens/identity_policy.h"
#include "twilio/signature.h"

namespace rp = roomplane;

static void BM_AccessTokenBuild(benchmark::State& state) {
  rp::testing::ManualClock clock;
  rp::tokens::AccessTokenBuilder builder(clock);
  rp::tokens::AccessTokenRequest request;
  request.account_sid = "AC0123456789abcdef0123456789abcdef";
  request.api_key_sid = "SK0123456789abcdef0123456789abcdef";
  request.api_key_secret = "cccccccccccccccccccccccccccccccc";
  request.identity = "patient-4711";
  request.room = "consultation-42";
  for (auto _ : state)
    benchmark::DoNotOptimize(builder.build(request));
}
BENCHMARK(BM_AccessTokenBuild);

static void BM_IdentityPolicyCheck(benchmark::State& state) {
  rp::tokens::IdentityPolicy policy;
  const std::vector<std::string> tenant_words = {"nurse", "reception"};
  for (auto _ : state)
    benchmark::DoNotOptimize(policy.check("dr.jane-doe@clinic", tenant_words));
}
BENCHMARK(BM_IdentityPolicyCheck);

static void BM_ApiKeyCachedAuthentication(benchmark::State& state) {
  rp::testing::TempDir dir;
  rp::testing::ManualClock clock;
  rp::observability::MetricsRegistry metrics;
  auto db = rp::storage::SqliteDatabase::open({dir.file("bench.db")}).value();
  (void)db->migrate();
  rp::storage::SqliteTenantStore tenants(*db);
  rp::storage::SqliteApiKeyStore keys(*db);
  rp::storage::SqliteCredentialStore credentials(*db);
  auto box = rp::crypto::SecretBox::from_key(std::string(32, 'k')).value();
  rp::tenants::TenantAdmin admin(tenants, keys, credentials, box, clock);
  rp::tenants::TenantDirectory directory(tenants, keys, credentials, box, clock,
                                         std::chrono::seconds(30), metrics);
  const auto key = admin.create_tenant("Bench").value().api_key;
  (void)directory.authenticate(key);
  for (auto _ : state)
    benchmark::DoNotOptimize(directory.authenticate_cached(key));
}
BENCHMARK(BM_ApiKeyCachedAuthentication)->Threads(1)->Threads(2);

static void BM_WebhookSignatureValidation(benchmark::State& state) {
  const rp::http::FormParams params = {{"AccountSid", "AC0123456789abcdef0123456789abcdef"},
                                       {"RoomName", "consultation-42"},
                                       {"RoomSid", "RM0123456789abcdef0123456789abcdef"},
                                       {"RoomStatus", "in-progress"},
                                       {"RoomType", "group"},
                                       {"StatusCallbackEvent", "participant-connected"},
                                       {"Timestamp", "2026-11-23T19:00:00Z"},
                                       {"SequenceNumber", "3"},
                                       {"ParticipantSid", "PA0123456789abcdef0123456789abcdef"},
                                       {"ParticipantStatus", "connected"},
                                       {"ParticipantIdentity", "patient-4711"}};
  const std::string url = "https://rp.example.com/webhooks/twilio/tn_abc";
  const auto signature =
      rp::twilio::compute_signature("f00dfacef00dfacef00dfacef00dface", url, params);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        rp::twilio::validate_signature("f00dfacef00dfacef00dfacef00dface", url, params, signature));
  }
}
BENCHMARK(BM_WebhookSignatureValidation);

BENCHMARK_MAIN();
