#pragma once
// Writing JSON text by hand on hot paths (token issuance), where building a document and running
// nlohmann's generic serializer over it costs more than the work around it. Only for text known
// to be valid UTF-8; everything else goes through nlohmann::json.

#include <cstddef>
#include <string>
#include <string_view>

namespace roomplane::core {

// A JSON string literal of valid UTF-8 text, escaped as nlohmann::json::dump (ensure_ascii off)
// and JSON.stringify escape it: quote, backslash, the short escapes, \u00xx for other controls.
inline void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto needs_escape = [](unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; };
  out += '"';
  std::size_t run = 0;  // start of the pending run of characters copied as they are
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!needs_escape(c))
      continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
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

}  // namespace roomplane::core
