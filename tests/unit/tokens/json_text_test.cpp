// core::append_json_string writes the token hot path's JSON by hand; it must give exactly the
// text nlohmann::json::dump gives for the same valid UTF-8 string.

#include "core/json_text.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace roomplane::core {
namespace {

std::string reference(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

std::string written(const std::string& text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonText, EveryControlCharacterAndEveryEscapeMatchesNlohmann) {
  for (int c = 0; c < 0x80; ++c) {
    const std::string text(1, static_cast<char>(c));
    EXPECT_EQ(written(text), reference(text)) << "character " << c;
  }
}

TEST(JsonText, RandomUtf8TextMatchesNlohmann) {
  // Pieces that are valid UTF-8 on their own, so any concatenation is valid UTF-8.
  const std::vector<std::string> pieces = {
      "a",    "Z",    "0",    " ",        "\"",           "\\",
      "/",    "\b",   "\f",   "\n",       "\r",           "\t",
      "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x91\xa9",
      "<",    "&",    "'",    "rm_abc",   "eyJhbGciOi"};
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 40);
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    for (int i = length(rng); i > 0; --i)
      text += pieces[pick(rng)];
    ASSERT_EQ(written(text), reference(text)) << "round " << round;
  }
}

TEST(JsonText, AnEscapeAnywhereInALongRunIsFound) {
  // The writer skips 8 clean bytes at a time: put each character that needs escaping (and the
  // bytes just around the tests' thresholds) at every offset of texts longer than one word.
  std::vector<std::string> specials;
  for (int c = 0; c < 0x20; ++c)
    specials.emplace_back(1, static_cast<char>(c));
  for (const char* s : {"\"", "\\", " ", "!", "#", "[", "]", "\x7f", "\xc3\xa9", "\xe2\x80\xa8"})
    specials.emplace_back(s);
  for (const auto& special : specials) {
    for (std::size_t length : {8u, 9u, 16u, 23u, 40u}) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'x');
        text.replace(at, 1, special);
        ASSERT_EQ(written(text), reference(text))
            << "byte " << static_cast<int>(static_cast<unsigned char>(special[0])) << " at " << at
            << " of " << length;
      }
    }
  }
}

TEST(JsonText, AppendsToWhatIsThere) {
  std::string out = "{\"k\":";
  append_json_string(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

}  // namespace
}  // namespace roomplane::core
