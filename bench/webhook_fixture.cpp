// Writes signed Twilio Video status callbacks for the webhook load benchmark (bench/load.sh), one
// request per line: "<path>\t<X-Twilio-Signature>\t<form body>". Every callback is distinct
// (rooms, participants, tracks and sequence numbers differ), so the server really records and
// applies each one instead of answering duplicates: a benchmark of replays would measure the
// cheap path only.
//
// Usage: roomplane_webhook_fixture --public-url URL --tenant ID --account-sid AC...
//          --auth-token TOKEN --rooms N --participants P [--order grouped|interleaved]
//          [--seed N] > requests.tsv
//
// Order: `grouped` (the default) writes each room's callbacks back to back, so the callbacks in
// flight at any moment belong to a handful of rooms and a group commit touches few pages.
// `interleaved` writes the first callback of every room, then the second of every room, and
// so on (each room's own callbacks stay in order): every callback in flight names a different
// room, as when many consultations run at once, and a commit touches pages all over the
// ledger and the state table.

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/form.h"
#include "twilio/signature.h"

namespace {

std::string sid(std::string_view prefix, std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(prefix);
  for (int i = 0; i < 32; ++i)
    out += kHex[rng() & 0xF];
  return out;
}

std::string timestamp(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

struct Options {
  std::string public_url;
  std::string tenant;
  std::string account_sid;
  std::string auth_token;
  int rooms = 1000;
  int participants = 3;
  bool interleaved = false;
  std::uint64_t seed = 12345;  // SIDs: another seed gives callbacks distinct from the first set
};

class Writer {
 public:
  explicit Writer(const Options& options)
      : options_(options), path_("/webhooks/twilio/" + options.tenant) {}

  // Callbacks written after this belong to a new room.
  void begin_room() { rooms_.emplace_back(); }

  void write(roomplane::http::FormParams params) {
    params.insert(params.begin(), {"AccountSid", options_.account_sid});
    const auto signature = roomplane::twilio::compute_signature(
        options_.auth_token, options_.public_url + path_, params);
    rooms_.back().push_back(path_ + '\t' + signature + '\t' + roomplane::http::encode_form(params));
    ++count_;
  }

  // Prints every room's callbacks in the order the options ask for.
  void flush(std::ostream& out) const {
    if (!options_.interleaved) {
      for (const auto& room : rooms_)
        for (const auto& line : room)
          out << line << '\n';
      return;
    }
    for (std::size_t step = 0;; ++step) {
      bool any = false;
      for (const auto& room : rooms_) {
        if (step < room.size()) {
          out << room[step] << '\n';
          any = true;
        }
      }
      if (!any)
        return;
    }
  }
  long count() const { return count_; }

 private:
  const Options& options_;
  std::string path_;
  std::vector<std::vector<std::string>> rooms_;
  long count_ = 0;
};

// One room's life: created, P participants connect and publish audio and video, they leave, the
// room ends. 2 + 4P callbacks per room.
void write_room(Writer& out, std::mt19937_64& rng, std::int64_t start, int participants) {
  const auto room_sid = sid("RM", rng);
  const auto room_name = "bench-" + room_sid.substr(2, 12);
  std::int64_t sequence = 0;
  std::int64_t now = start;
  auto room_params = [&](std::string_view event) {
    return roomplane::http::FormParams{{"RoomName", room_name},
                                       {"RoomSid", room_sid},
                                       {"RoomStatus", "in-progress"},
                                       {"RoomType", "group"},
                                       {"StatusCallbackEvent", std::string(event)},
                                       {"Timestamp", timestamp(now)},
                                       {"SequenceNumber", std::to_string(sequence++)}};
  };
  out.write(room_params("room-created"));
  for (int p = 0; p < participants; ++p) {
    const auto participant_sid = sid("PA", rng);
    const auto identity = "participant-" + std::to_string(p);
    auto with_participant = [&](std::string_view event) {
      auto params = room_params(event);
      params.emplace_back("ParticipantSid", participant_sid);
      params.emplace_back("ParticipantIdentity", identity);
      params.emplace_back("ParticipantStatus", "connected");
      return params;
    };
    ++now;
    out.write(with_participant("participant-connected"));
    for (const char* kind : {"audio", "video"}) {
      auto params = with_participant("track-added");
      params.emplace_back("TrackSid", sid("MT", rng));
      params.emplace_back("TrackKind", kind);
      params.emplace_back("TrackName", std::string(kind) + "-track");
      out.write(std::move(params));
    }
    now += 60;
    auto left = with_participant("participant-disconnected");
    for (auto& [name, value] : left) {
      if (name == "ParticipantStatus")
        value = "disconnected";
    }
    left.emplace_back("ParticipantDuration", "60");
    out.write(std::move(left));
  }
  ++now;
  auto ended = room_params("room-ended");
  ended[2].second = "completed";
  ended.emplace_back("RoomDuration", std::to_string(now - start));
  out.write(std::move(ended));
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--public-url")
      options.public_url = value;
    else if (flag == "--tenant")
      options.tenant = value;
    else if (flag == "--account-sid")
      options.account_sid = value;
    else if (flag == "--auth-token")
      options.auth_token = value;
    else if (flag == "--rooms")
      options.rooms = std::stoi(value);
    else if (flag == "--participants")
      options.participants = std::stoi(value);
    else if (flag == "--order" && (value == "grouped" || value == "interleaved"))
      options.interleaved = value == "interleaved";
    else if (flag == "--seed")
      options.seed = std::stoull(value);
    else {
      std::cerr << "unknown flag or bad value: " << flag << " " << value << "\n";
      return 2;
    }
  }
  if (options.public_url.empty() || options.tenant.empty() || options.account_sid.empty() ||
      options.auth_token.empty()) {
    std::cerr
        << "usage: roomplane_webhook_fixture --public-url URL --tenant ID --account-sid AC... "
           "--auth-token TOKEN [--rooms N] [--participants P] [--order grouped|interleaved] "
           "[--seed N]\n";
    return 2;
  }
  std::mt19937_64 rng(options.seed);
  Writer writer(options);
  const std::int64_t start = 1'790'000'000;
  for (int r = 0; r < options.rooms; ++r) {
    writer.begin_room();
    write_room(writer, rng, start + r, options.participants);
  }
  writer.flush(std::cout);
  std::cerr << "wrote " << writer.count() << " signed callbacks\n";
  return 0;
}
