#pragma once
// Opaque pagination cursors of the newest-first lists (rooms, compositions): the hex of
// "<created_at ms>:<id>" of the last row a page held. Opaque to clients, trivially validated
// here; a cursor this code did not write decodes to nullopt (the stores answer
// invalid_cursor).

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomplane::storage {

struct PageCursor {
  std::int64_t created_at_ms = 0;
  std::string id;
};

inline std::string encode_page_cursor(std::int64_t created_at_ms, std::string_view id) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  const std::string plain = std::to_string(created_at_ms) + ":" + std::string(id);
  std::string out;
  out.reserve(plain.size() * 2);
  for (const unsigned char ch : plain) {
    out += kHex[ch >> 4];
    out += kHex[ch & 0xF];
  }
  return out;
}

inline std::optional<PageCursor> decode_page_cursor(std::string_view cursor) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  if (cursor.empty() || cursor.size() % 2 != 0 || cursor.size() > 512)
    return std::nullopt;
  std::string plain;
  plain.reserve(cursor.size() / 2);
  for (std::size_t i = 0; i < cursor.size(); i += 2) {
    const auto hi = kHex.find(cursor[i]);
    const auto lo = kHex.find(cursor[i + 1]);
    if (hi == std::string_view::npos || lo == std::string_view::npos)
      return std::nullopt;
    plain += static_cast<char>(hi * 16 + lo);
  }
  const auto colon = plain.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == plain.size())
    return std::nullopt;
  PageCursor position;
  const char* last = plain.data() + colon;
  const auto [end, ec] = std::from_chars(plain.data(), last, position.created_at_ms);
  if (ec != std::errc() || end != last)
    return std::nullopt;
  position.id = plain.substr(colon + 1);
  return position;
}

}  // namespace roomplane::storage
