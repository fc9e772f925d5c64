#pragma once
// Writing JSON text by hand on hot paths (token issuance), where building a document and running
// nlohmann's generic serializer over it costs more than the work around it. Only for text known
// to be valid UTF-8; everything else goes through nlohmann::json.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace roomplane::core {

namespace json_text_detail {

// True when one of the 8 bytes in `word` may need escaping (< 0x20, '"' or '\\'). Classic SWAR
// tests: they can report a byte that does not need it (the caller then looks byte by byte), never
// miss one that does.
constexpr bool may_need_escape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return ((v - kOnes) & ~v & kHigh) != 0; };
  const bool control = ((word - kOnes * 0x20) & ~word & kHigh) != 0;
  return control || has_zero(word ^ (kOnes * '"')) || has_zero(word ^ (kOnes * '\\'));
}

constexpr bool needs_escape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

}  // namespace json_text_detail

// A JSON string literal of valid UTF-8 text, escaped as nlohmann::json::dump (ensure_ascii off)
// and JSON.stringify escape it: quote, backslash, the short escapes, \u00xx for other controls.
// Text is scanned 8 bytes at a time: tokens and ids, the usual content, need no escape at all.
inline void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of characters copied as they are
  std::size_t i = 0;
  while (i < text.size()) {
    if (i + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (!json_text_detail::may_need_escape(word)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (!json_text_detail::needs_escape(c)) {
      ++i;
      continue;
    }
    out.append(text.data() + run, i - run);
    run = ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF), the same bytes nlohmann::json's serializer accepts. ASCII runs are skipped 8
// bytes at a time.
inline bool is_valid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    if (i + 8 <= size) {
      std::uint64_t word;
      std::memcpy(&word, bytes + i, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char second_low = 0x80;
    unsigned char second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0)
        second_low = 0xA0;  // overlong below U+0800
      if (lead == 0xED)
        second_high = 0x9F;  // UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0)
        second_low = 0x90;  // overlong below U+10000
      if (lead == 0xF4)
        second_high = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (i + length > size || bytes[i + 1] < second_low || bytes[i + 1] > second_high)
      return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF)
        return false;
    }
    i += length;
  }
  return true;
}

}  // namespace roomplane::core
