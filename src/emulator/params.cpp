#include "emulator/params.h"

#include <charconv>
#include <ctime>

#include "emulator/twilio_error.h"

namespace roomplane::emulator {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size())
    return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(text[i]))
      return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Scans for the deepest bracket nesting outside strings. Cheap and conservative: it only has
// to bound what the real parser will see.
bool depth_within_limit(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

bool is_string_array(const nlohmann::json& value) {
  if (!value.is_array())
    return false;
  for (const auto& item : value) {
    if (!item.is_string())
      return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> form_values(const http::FormParams& params, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : params) {
    if (n == name)
      out.push_back(v);
  }
  return out;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (iequals(text, "true"))
    return true;
  if (iequals(text, "false"))
    return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  if (text.empty() || text.size() > 20)
    return std::nullopt;
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end)
    return std::nullopt;
  return value;
}

bool is_http_url(std::string_view text) {
  std::string_view rest;
  if (text.size() > 8 && iequals(text.substr(0, 8), "https://"))
    rest = text.substr(8);
  else if (text.size() > 7 && iequals(text.substr(0, 7), "http://"))
    rest = text.substr(7);
  else
    return false;
  if (rest.empty() || rest.front() == '/' || rest.front() == ':' || rest.front() == '?')
    return false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return false;
  }
  return text.size() <= 2048;
}

std::optional<std::string> parse_http_method(std::string_view text) {
  if (iequals(text, "POST"))
    return std::string("POST");
  if (iequals(text, "GET"))
    return std::string("GET");
  return std::nullopt;
}

bool is_clean_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f)
        return false;
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > text.size())
      return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    // Overlong forms, surrogates and values beyond Unicode are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return false;
    i += len;
  }
  return true;
}

std::optional<core::TimePoint> parse_date_filter(std::string_view text) {
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31)
    return std::nullopt;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t offset_seconds = 0;
  if (text.size() != 10) {
    if (text.size() < 20 || (text[10] != 'T' && text[10] != 't'))
      return std::nullopt;
    const auto h = digits(text, 11, 2);
    const auto m = digits(text, 14, 2);
    const auto s = digits(text, 17, 2);
    if (!h || !m || !s || text[13] != ':' || text[16] != ':' || *h > 23 || *m > 59 || *s > 60)
      return std::nullopt;
    hour = *h;
    minute = *m;
    second = *s;
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      const std::size_t start = pos;
      while (pos < text.size() && is_digit(text[pos]))
        ++pos;
      if (pos == start || pos - start > 9)
        return std::nullopt;
    }
    const auto zone = text.substr(pos);
    if (zone == "Z" || zone == "z") {
      offset_seconds = 0;
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
      const auto oh = digits(zone, 1, 2);
      const auto om = digits(zone, 4, 2);
      if (!oh || !om || *oh > 23 || *om > 59)
        return std::nullopt;
      offset_seconds = (*oh * 3600 + *om * 60) * (zone[0] == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1))
    return std::nullopt;
  return core::from_unix_seconds(static_cast<std::int64_t>(t) - offset_seconds);
}

bool is_sid(std::string_view text, std::string_view prefix) {
  if (text.size() != prefix.size() + 32 || text.substr(0, prefix.size()) != prefix)
    return false;
  for (std::size_t i = prefix.size(); i < text.size(); ++i) {
    if (!is_hex(text[i]))
      return false;
  }
  return true;
}

bool wildcard_match(std::string_view pattern, std::string_view text, bool case_insensitive) {
  // Iterative glob with single-star backtracking: linear-ish, no recursion on hostile patterns.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  const auto eq = [case_insensitive](char a, char b) {
    return case_insensitive ? lower(a) == lower(b) : a == b;
  };
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] != '*' && eq(pattern[p], text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

std::optional<nlohmann::json> parse_json_text(std::string_view text) {
  if (!depth_within_limit(text))
    return std::nullopt;
  auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded())
    return std::nullopt;
  return value;
}

core::Result<nlohmann::json> parse_recording_rules(std::string_view text) {
  auto parsed = parse_json_text(text);
  if (!parsed)
    return invalid_parameter("Rules must be a JSON array of recording rules");
  nlohmann::json rules = std::move(*parsed);
  if (rules.is_object() && rules.contains("rules"))
    rules = rules["rules"];
  if (!rules.is_array())
    return invalid_parameter("Rules must be a JSON array of recording rules");
  if (rules.size() > 100)
    return invalid_parameter("Rules may hold at most 100 rules");
  nlohmann::json out = nlohmann::json::array();
  for (const auto& rule : rules) {
    if (!rule.is_object())
      return invalid_parameter("Each rule must be a JSON object");
    nlohmann::json normalised = nlohmann::json::object();
    const auto type = rule.find("type");
    if (type == rule.end() || !type->is_string() || (*type != "include" && *type != "exclude"))
      return invalid_parameter("Each rule needs \"type\": \"include\" or \"exclude\"");
    normalised["type"] = *type;
    bool has_filter = false;
    for (const auto& [key, value] : rule.items()) {
      if (key == "type")
        continue;
      if (key == "all") {
        const bool is_true = (value.is_boolean() && value.get<bool>()) ||
                             (value.is_string() && parse_bool(value.get<std::string>()) == true);
        if (!is_true)
          return invalid_parameter("\"all\" must be true when given");
        normalised["all"] = true;
      } else if (key == "publisher" || key == "track") {
        if (!value.is_string() || value.get<std::string>().empty() ||
            value.get<std::string>().size() > kMaxNameLength)
          return invalid_parameter("\"" + key + "\" must be a non-empty string");
        normalised[key] = value;
      } else if (key == "kind") {
        if (!value.is_string() || (value != "audio" && value != "video" && value != "data"))
          return invalid_parameter("\"kind\" must be audio, video or data");
        normalised[key] = value;
      } else {
        return invalid_parameter("Unknown recording rule key \"" + key + "\"");
      }
      has_filter = true;
    }
    if (!has_filter)
      return invalid_parameter("Each rule needs \"all\", \"publisher\", \"track\" or \"kind\"");
    out.push_back(std::move(normalised));
  }
  return out;
}

bool rules_record_track(const nlohmann::json& rules, std::string_view participant_sid,
                        std::string_view identity, std::string_view track_sid,
                        std::string_view track_name, std::string_view kind) {
  const auto matches = [&](const nlohmann::json& rule) {
    if (rule.contains("all"))
      return true;
    if (const auto p = rule.find("publisher"); p != rule.end()) {
      const auto& v = p->get_ref<const std::string&>();
      if (v != participant_sid && v != identity)
        return false;
    }
    if (const auto t = rule.find("track"); t != rule.end()) {
      const auto& v = t->get_ref<const std::string&>();
      if (v != track_sid && v != track_name)
        return false;
    }
    if (const auto k = rule.find("kind"); k != rule.end()) {
      if (k->get_ref<const std::string&>() != kind)
        return false;
    }
    return true;
  };
  bool included = false;
  for (const auto& rule : rules) {
    if (!matches(rule))
      continue;
    if (rule.value("type", "") == "exclude")
      return false;
    included = true;
  }
  return included;
}

core::Result<nlohmann::json> parse_video_layout(std::string_view text) {
  auto parsed = parse_json_text(text);
  if (!parsed || !parsed->is_object())
    return invalid_parameter("VideoLayout must be a JSON object of regions");
  if (parsed->size() > 64)
    return invalid_parameter("VideoLayout has too many regions");
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, region] : parsed->items()) {
    if (name.empty() || !is_clean_utf8(name) || !region.is_object())
      return invalid_parameter("Each VideoLayout region must be a named JSON object");
    nlohmann::json r = {{"video_sources", nlohmann::json::array()},
                        {"video_sources_excluded", nlohmann::json::array()},
                        {"reuse", "none"},
                        {"x_pos", 0},
                        {"y_pos", 0},
                        {"z_pos", 0},
                        {"width", 0},
                        {"height", 0},
                        {"max_columns", 0},
                        {"max_rows", 0},
                        {"cells_excluded", nlohmann::json::array()}};
    for (const auto& [key, value] : region.items()) {
      if (key == "video_sources" || key == "video_sources_excluded") {
        if (!is_string_array(value))
          return invalid_parameter("\"" + key + "\" must be an array of strings");
      } else if (key == "reuse") {
        if (!value.is_string() ||
            (value != "none" && value != "show_oldest" && value != "show_newest"))
          return invalid_parameter("\"reuse\" must be none, show_oldest or show_newest");
      } else if (key == "x_pos" || key == "y_pos" || key == "z_pos" || key == "width" ||
                 key == "height" || key == "max_columns" || key == "max_rows") {
        if (!value.is_number_integer())
          return invalid_parameter("\"" + key + "\" must be an integer");
      } else if (key == "cells_excluded") {
        if (!value.is_array())
          return invalid_parameter("\"cells_excluded\" must be an array of integers");
        for (const auto& cell : value) {
          if (!cell.is_number_integer())
            return invalid_parameter("\"cells_excluded\" must be an array of integers");
        }
      } else {
        return invalid_parameter("Unknown VideoLayout region key \"" + key + "\"");
      }
      r[key] = value;
    }
    out[name] = std::move(r);
  }
  return out;
}

bool is_valid_resolution(std::string_view text) {
  const auto x = text.find('x');
  if (x == std::string_view::npos)
    return false;
  const auto w = parse_int(text.substr(0, x));
  const auto h = parse_int(text.substr(x + 1));
  if (!w || !h || text[0] == '-' || text[x + 1] == '-')
    return false;
  return *w >= 16 && *w <= 1280 && *h >= 16 && *h <= 1280 && *w * *h <= 921600;
}

core::Result<nlohmann::json> parse_source_list(const std::vector<std::string>& values,
                                               std::string_view param_name) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& value : values) {
    if (value.empty() || value.size() > kMaxNameLength || !is_clean_utf8(value))
      return invalid_parameter(std::string(param_name) + " values must be track names");
    out.push_back(value);
  }
  return out;
}

}  // namespace roomplane::emulator
