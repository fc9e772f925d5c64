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

// is_valid_utf8 must accept exactly what nlohmann's serializer accepts (its strict mode throws
// on anything else): sequences built from boundary bytes, alone and inside ASCII runs.
TEST(JsonText, Utf8ValidityAgreesWithNlohmann) {
  const std::vector<unsigned char> bytes = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
                                            0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee,
                                            0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
  const auto nlohmann_accepts = [](const std::string& text) {
    try {
      (void)nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
      return true;
    } catch (const nlohmann::json::exception&) {
      return false;
    }
  };
  // Every sequence of up to 3 boundary bytes, and 4-byte ones from the 4-byte leads with the
  // continuation boundaries.
  std::vector<std::string> sequences = {""};
  for (std::size_t length = 1; length <= 3; ++length) {
    const std::size_t before = sequences.size();
    for (std::size_t i = 0; i < before; ++i) {
      if (sequences[i].size() + 1 != length)
        continue;
      for (unsigned char b : bytes)
        sequences.push_back(sequences[i] + static_cast<char>(b));
    }
  }
  const std::vector<unsigned char> continuation = {0x41, 0x80, 0x8f, 0x90, 0xbf, 0xc0};
  for (int lead : {0xf0, 0xf1, 0xf3, 0xf4, 0xf5}) {
    for (unsigned char b1 : continuation) {
      for (unsigned char b2 : continuation) {
        for (unsigned char b3 : continuation) {
          sequences.push_back(std::string{static_cast<char>(lead), static_cast<char>(b1),
                                          static_cast<char>(b2), static_cast<char>(b3)});
        }
      }
    }
  }
  std::size_t checked = 0;
  for (const auto& sequence : sequences) {
    for (const std::string& text :
         {sequence, "abcdefgh" + sequence, sequence + "abcdefghij", "abc" + sequence + "x"}) {
      ASSERT_EQ(is_valid_utf8(text), nlohmann_accepts(text)) << "bytes of " << text;
      ++checked;
    }
  }
  EXPECT_GT(checked, 60'000u);
}

TEST(JsonText, AppendsToWhatIsThere) {
  std::string out = "{\"k\":";
  append_json_string(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

}  // namespace
}  // namespace roomplane::core
