#pragma once
// Writing JSON text by hand on hot paths (token issuance), where building a document and running
// nlohmann's generic serializer over it costs more than the work around it. Only for text known
// to be valid UTF-8; everything else goes through nlohmann::json.

#include <string>
#include <string_view>

namespace roomplane::core {

// A JSON string literal of valid UTF-8 text, escaped as nlohmann::json::dump (ensure_ascii off)
// and JSON.stringify escape it: quote, backslash, the short escapes, \u00xx for other controls.
inline void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
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
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace roomplane::core
