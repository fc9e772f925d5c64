#include "compositions/composition.h"

#include <array>
#include <utility>

namespace roomplane::compositions {
namespace {

constexpr std::array<std::pair<Status, std::string_view>, 6> kNames = {{
    {Status::kPending, "pending"},
    {Status::kEnqueued, "enqueued"},
    {Status::kProcessing, "processing"},
    {Status::kStalled, "stalled"},
    {Status::kCompleted, "completed"},
    {Status::kFailed, "failed"},
}};

}  // namespace

std::string_view to_string(Status status) {
  for (const auto& [s, name] : kNames) {
    if (s == status)
      return name;
  }
  return "unknown";
}

std::optional<Status> status_from_string(std::string_view text) {
  for (const auto& [s, name] : kNames) {
    if (name == text)
      return s;
  }
  return std::nullopt;
}

video::CompositionLayout layout_from_setting(std::string_view text) {
  return text == "audio_only" ? video::CompositionLayout::kAudioOnly
                              : video::CompositionLayout::kGrid;
}

video::CompositionFormat format_from_setting(std::string_view text) {
  return text == "webm" ? video::CompositionFormat::kWebm : video::CompositionFormat::kMp4;
}

}  // namespace roomplane::compositions
