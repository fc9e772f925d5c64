// http::parse_form on an arbitrary body: the webhook route runs it before the signature check,
// so anyone can reach it. Properties:
//  - never crashes; fails only with kInvalidArgument "invalid_form";
//  - accepted bodies round-trip: parse_form(encode_form(p)) == p (form.h: parameters keep their
//    order and repeats, and encoding percent-encodes everything but the unreserved characters),
//    and encode_form is a fixed point after one round;
//  - encode_form's output contains only unreserved characters, '%', '=' and '&';
//  - form_value returns the first value of a name.

#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "http/form.h"

using roomplane::http::encode_form;
using roomplane::http::form_value;
using roomplane::http::parse_form;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto body = roomplane::fuzz::as_text(data, size);
  const auto parsed = parse_form(body);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().kind == roomplane::core::ErrorKind::kInvalidArgument);
    FUZZ_CHECK(parsed.error().code == "invalid_form");
    return 0;
  }
  const auto& params = *parsed;

  const std::string encoded = encode_form(params);
  for (const char c : encoded) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    FUZZ_CHECK(unreserved || c == '%' || c == '=' || c == '&');
  }
  const auto reparsed = parse_form(encoded);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(*reparsed == params);
  FUZZ_CHECK(encode_form(*reparsed) == encoded);

  for (const auto& [name, value] : params) {
    const auto first = form_value(params, name);
    FUZZ_CHECK(first.has_value());
    for (const auto& [n, v] : params) {
      if (n == name) {
        FUZZ_CHECK(*first == v);
        break;
      }
    }
  }
  return 0;
}
