#pragma once
// Parsing and validating Twilio request parameters: pure functions over untrusted text, never
// throwing, so they are tested without HTTP (tests/unit/emulator/params_test.cpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "http/form.h"

namespace roomplane::emulator {

// JSON nesting deeper than this is refused before parsing, so hostile input cannot make the
// parser or the destructor of the parsed value recurse without bound.
inline constexpr int kMaxJsonDepth = 32;

// Twilio's limit for room names, identities and track names.
inline constexpr std::size_t kMaxNameLength = 128;

// Every value of `name`, in order (Twilio's arrays are repeated keys).
std::vector<std::string> form_values(const http::FormParams& params, std::string_view name);

// "true"/"false", case-insensitive (twilio-python sends "True").
std::optional<bool> parse_bool(std::string_view text);
// A decimal integer (optional leading '-'), no spaces, fits in int64.
std::optional<std::int64_t> parse_int(std::string_view text);
// An absolute http:// or https:// URL with a host and no whitespace or control characters.
bool is_http_url(std::string_view text);
// "POST" or "GET" (any case), upper-cased; nullopt otherwise.
std::optional<std::string> parse_http_method(std::string_view text);
// Valid UTF-8 without control characters (< 0x20, 0x7f).
bool is_clean_utf8(std::string_view text);
// "YYYY-MM-DD" (midnight UTC) or ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)".
std::optional<core::TimePoint> parse_date_filter(std::string_view text);
// Prefix + 32 hex digits (either case), the SID pattern of the spec.
bool is_sid(std::string_view text, std::string_view prefix);
// Glob match where '*' matches any run of characters; optionally case-insensitive.
bool wildcard_match(std::string_view pattern, std::string_view text, bool case_insensitive);

// Non-throwing JSON parse with the depth guard; nullopt on any error.
std::optional<nlohmann::json> parse_json_text(std::string_view text);

// Recording rules (Rules / RecordingRules): a JSON array of rules, or an object {"rules": [...]}.
// Each rule is {"type": "include"|"exclude"} plus "all": true (also "true"), and/or any of
// "publisher", "track" (strings) and "kind" ("audio"|"video"|"data"). Returns the normalised
// array (only the keys given, "all" as a boolean). Error 400/20001 naming the problem.
core::Result<nlohmann::json> parse_recording_rules(std::string_view text);

// Does `rules` (validated) record this track? Include rules select (all given filters must
// match), exclude rules override includes; no rules means nothing is recorded.
bool rules_record_track(const nlohmann::json& rules, std::string_view participant_sid,
                        std::string_view identity, std::string_view track_sid,
                        std::string_view track_name, std::string_view kind);

// VideoLayout: a JSON object of named regions. Each region is an object with the optional keys
// video_sources, video_sources_excluded (arrays of strings), reuse (none | show_oldest |
// show_newest), x_pos, y_pos, z_pos, width, height, max_columns, max_rows (integers) and
// cells_excluded (array of integers); missing keys get Twilio's defaults, as its responses show.
core::Result<nlohmann::json> parse_video_layout(std::string_view text);
// "{w}x{h}" with 16 <= w, h <= 1280 and w*h <= 921600.
bool is_valid_resolution(std::string_view text);

// Audio source lists: each value a non-empty, clean string of at most 128 characters.
core::Result<nlohmann::json> parse_source_list(const std::vector<std::string>& values,
                                               std::string_view param_name);

}  // namespace roomplane::emulator
