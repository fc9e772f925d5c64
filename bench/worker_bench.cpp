// Composition worker cycle time against the size of the history (issue 6): one starter cycle
// and one tracker cycle with 1,000 rooms awaiting work, once beside 1,000 ended rooms of
// history and once beside 100,000. The worker queries read partial indexes of due work only,
// so the two columns should stay within a few milliseconds of each other.
//
// Real SQLite (WAL, synchronous=FULL, as served) in a temporary directory; the provider answers
// at once (a stub), so what is timed is the workers' own work: claims, saves, the outbox.
// Usage: roomplane_worker_bench [history ...]   (default: 1000 100000)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "compositions/starter.h"
#include "compositions/tracker.h"
#include "crypto/crypto.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "storage/sqlite_composition_store.h"
#include "storage/sqlite_database.h"

namespace {

using namespace roomplane;
using Clock = std::chrono::steady_clock;

class InstantProvider final : public video::VideoProvider {
 public:
  core::Result<video::RoomInfo> create_room(const video::ProviderCredentials&,
                                            const video::RoomSpec&) override {
    return core::Error::internal("unused");
  }
  core::Result<video::RoomInfo> fetch_room(const video::ProviderCredentials&,
                                           std::string_view) override {
    return core::Error::internal("unused");
  }
  core::Result<video::RoomInfo> complete_room(const video::ProviderCredentials&,
                                              std::string_view) override {
    return core::Error::internal("unused");
  }
  core::Result<std::vector<video::ParticipantInfo>> list_participants(
      const video::ProviderCredentials&, std::string_view) override {
    return core::Error::internal("unused");
  }
  core::Result<video::ParticipantInfo> disconnect_participant(const video::ProviderCredentials&,
                                                              std::string_view,
                                                              std::string_view) override {
    return core::Error::internal("unused");
  }
  core::Status update_recording_rules(const video::ProviderCredentials&, std::string_view,
                                      bool) override {
    return core::Error::internal("unused");
  }
  core::Result<video::CompositionInfo> create_composition(
      const video::ProviderCredentials&, const video::CompositionSpec& spec) override {
    video::CompositionInfo c;
    c.sid = "CJ" + std::to_string(++next_);
    c.room_sid = spec.room_sid;
    return c;
  }
  core::Result<video::CompositionInfo> fetch_composition(const video::ProviderCredentials&,
                                                         std::string_view sid) override {
    video::CompositionInfo c;
    c.sid = std::string(sid);
    c.status = video::CompositionStatus::kCompleted;
    c.size_bytes = 1000;
    return c;
  }
  core::Result<std::vector<video::CompositionInfo>> list_compositions_for_room(
      const video::ProviderCredentials&, std::string_view) override {
    return std::vector<video::CompositionInfo>{};
  }
  core::Result<std::string> composition_media_url(const video::ProviderCredentials&,
                                                  std::string_view, std::chrono::seconds) override {
    return core::Error::internal("unused");
  }

 private:
  std::atomic<int> next_{0};
};

class NoNotifier final : public realtime::Notifier {
 public:
  void publish(realtime::RoomNotification) override {}
};

// `history` ended recorded rooms whose composition completed long ago, then `awaiting` ended
// recorded rooms that still wait for one. Written with plain SQL in one transaction.
void seed(storage::SqliteDatabase& db, int history, int awaiting) {
  auto done = db.write([&](storage::sqlite::Connection& c) -> core::Status {
    if (auto s = c.exec("INSERT INTO tenants (tenant_id, name, settings, created_at, updated_at) "
                        "VALUES ('tn_bench', 'bench', '{}', 0, 0)");
        !s)
      return s;
    const std::string room_sql =
        "INSERT INTO rooms (tenant_id, room_id, provider_room_sid, name, type, record, recording, "
        "status, created_at, updated_at, started_at, ended_at, ever_recorded, "
        "composition_enqueued) VALUES ('tn_bench', ?1, ?2, 'r', 'group', 1, 1, 'completed', ?3, "
        "?3, ?3, ?4, 1, ?5)";
    const std::string composition_sql =
        "INSERT INTO compositions (tenant_id, composition_id, room_id, provider_composition_sid, "
        "provider_room_sid, status, progress, created_at, updated_at, completed_at) "
        "VALUES ('tn_bench', ?1, ?2, ?3, ?4, 'completed', 100, ?5, ?5, ?5)";
    for (int i = 0; i < history + awaiting; ++i) {
      const bool old = i < history;
      const std::string room = "rm_" + std::to_string(i);
      const std::string sid = "RM" + std::to_string(i);
      const std::int64_t t = 1'700'000'000'000 + std::int64_t{i} * 1000;
      auto stmt = c.prepare(room_sql);
      if (!stmt)
        return std::move(stmt).take_error();
      (*stmt)
          ->bind(1, room)
          .bind(2, sid)
          .bind(3, t)
          .bind(4, t + 600'000)
          .bind(5, std::int64_t{old});
      if (auto s = (*stmt)->run(); !s)
        return s;
      if (!old)
        continue;
      auto comp = c.prepare(composition_sql);
      if (!comp)
        return std::move(comp).take_error();
      (*comp)
          ->bind(1, "cp_" + std::to_string(i))
          .bind(2, room)
          .bind(3, "CJH" + std::to_string(i))
          .bind(4, sid)
          .bind(5, t + 700'000);
      if (auto s = (*comp)->run(); !s)
        return s;
    }
    return {};
  });
  if (!done) {
    std::fprintf(stderr, "seeding failed: %s\n", done.error().message.c_str());
    std::exit(1);
  }
}

struct Timing {
  double median_ms = 0;
  double p95_ms = 0;
  double max_ms = 0;
  int cycles = 0;
};

Timing summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  Timing t;
  t.cycles = static_cast<int>(samples.size());
  if (samples.empty())
    return t;
  t.median_ms = samples[samples.size() / 2];
  t.p95_ms = samples[std::min(samples.size() - 1, samples.size() * 95 / 100)];
  t.max_ms = samples.back();
  return t;
}

struct Result {
  int history = 0;
  Timing enqueue_and_start;
  Timing track;
};

Result measure(int history, int awaiting) {
  const auto dir =
      std::filesystem::temp_directory_path() / crypto::random_token("roomplane-worker-bench-", 10);
  std::filesystem::create_directories(dir);
  Result result;
  result.history = history;
  {
    auto db = storage::SqliteDatabase::open({(dir / "bench.db").string()}).value();
    if (!db->migrate()) {
      std::fprintf(stderr, "migration failed\n");
      std::exit(1);
    }
    seed(*db, history, awaiting);
    storage::SqliteCompositionStore store(*db);
    InstantProvider provider;
    NoNotifier notifier;
    core::SystemClock clock;
    observability::MetricsRegistry metrics;
    rooms::TenantContextLookup tenants =
        [](const core::TenantId&) -> core::Result<rooms::TenantContext> {
      rooms::TenantContext context;
      context.credentials = tenants::ProviderCredentials{"AC", "SK", "secret", "token"};
      return context;
    };
    compositions::StarterOptions starter_options;
    starter_options.public_url = "http://bench";
    starter_options.batch = 50;
    starter_options.policy.poll_min = std::chrono::milliseconds(0);  // tracker may poll at once
    compositions::CompositionStarter starter(store, provider, tenants, notifier, clock,
                                             starter_options, metrics, observability::Logger());
    compositions::TrackerOptions tracker_options;
    tracker_options.batch = 50;
    tracker_options.policy.poll_min = std::chrono::milliseconds(0);
    compositions::CompositionTracker tracker(store, provider, tenants, notifier, clock,
                                             tracker_options, metrics, observability::Logger());

    // Starter: enqueue then start, 50 per cycle, until the 1,000 are all started.
    std::vector<double> start_samples;
    while (true) {
      const auto t0 = Clock::now();
      auto report = starter.run_once();
      const std::chrono::duration<double, std::milli> took = Clock::now() - t0;
      if (!report || report->claimed == 0)
        break;
      start_samples.push_back(took.count());
    }
    result.enqueue_and_start = summarize(start_samples);

    // Tracker: polls come due at once (poll_min 0); 50 per cycle until all are completed.
    std::vector<double> track_samples;
    while (true) {
      const auto t0 = Clock::now();
      auto report = tracker.run_once();
      const std::chrono::duration<double, std::milli> took = Clock::now() - t0;
      if (!report || report->claimed == 0)
        break;
      track_samples.push_back(took.count());
    }
    result.track = summarize(track_samples);
  }
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> histories;
  for (int i = 1; i < argc; ++i)
    histories.push_back(std::stoi(argv[i]));
  if (histories.empty())
    histories = {1000, 100000};
  constexpr int kAwaiting = 1000;
  std::printf("Composition worker cycles (50 jobs per cycle, %d rooms awaiting, SQLite)\n",
              kAwaiting);
  std::printf("%-10s | %-34s | %-34s\n", "history", "starter cycle ms (median/p95/max, n)",
              "tracker cycle ms (median/p95/max, n)");
  std::printf("%s\n", std::string(86, '-').c_str());
  for (const int history : histories) {
    const auto r = measure(history, kAwaiting);
    std::printf("%-10d | %7.2f / %7.2f / %7.2f  n=%-4d | %7.2f / %7.2f / %7.2f  n=%-4d\n",
                r.history, r.enqueue_and_start.median_ms, r.enqueue_and_start.p95_ms,
                r.enqueue_and_start.max_ms, r.enqueue_and_start.cycles, r.track.median_ms,
                r.track.p95_ms, r.track.max_ms, r.track.cycles);
  }
  return 0;
}
