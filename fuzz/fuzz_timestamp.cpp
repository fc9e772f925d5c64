// twilio::parse_callback_timestamp on arbitrary text. Properties (callback_event.h):
//  - never crashes (no read past the text, no signed overflow);
//  - an accepted timestamp lies within the documented years (1970..2199, widened by the
//    largest offset, 23:59) and is the same instant as an independent computation from its
//    fields;
//  - the canonical UTC rendering of the result ("YYYY-MM-DDTHH:MM:SS.fffffffffZ") parses back to
//    the same instant.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

#include "fuzz_check.h"
#include "twilio/callback_event.h"

namespace {

using namespace std::chrono;
using roomplane::core::TimePoint;

std::string canonical(TimePoint t) {
  const auto day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss time{floor<nanoseconds>(t - day)};
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02lld.%09lldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()),
                static_cast<long long>(time.seconds().count()),
                static_cast<long long>(time.subseconds().count()));
  return text;
}

int field(std::string_view text, std::size_t pos, std::size_t width) {
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i)
    value = value * 10 + (text[i] - '0');
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = roomplane::fuzz::as_text(data, size);
  const auto parsed = roomplane::twilio::parse_callback_timestamp(text);
  if (!parsed)
    return 0;

  const TimePoint low = sys_days{year{1970} / 1 / 1} - hours(24);
  const TimePoint high = sys_days{year{2200} / 1 / 1} + hours(24);
  FUZZ_CHECK(*parsed >= low && *parsed < high);

  // Accepted text has the fixed layout checked by the parser, so the fields can be re-read.
  FUZZ_CHECK(text.size() >= 20);
  const sys_days date{year{field(text, 0, 4)} / month{static_cast<unsigned>(field(text, 5, 2))} /
                      day{static_cast<unsigned>(field(text, 8, 2))}};
  FUZZ_CHECK(year_month_day{date}.ok());
  auto expected = TimePoint(date) + hours(field(text, 11, 2)) + minutes(field(text, 14, 2)) +
                  seconds(field(text, 17, 2));
  std::size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    std::int64_t nanos = 0;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9)
        nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    for (; digits < 9; ++digits)
      nanos *= 10;
    expected += nanoseconds(nanos);
  }
  const auto zone = text.substr(pos);
  if (zone.size() == 6) {
    const auto offset = hours(field(zone, 1, 2)) + minutes(field(zone, 4, 2));
    expected += zone[0] == '-' ? offset : -offset;
  } else {
    FUZZ_CHECK(zone == "Z" || zone == "z");
  }
  FUZZ_CHECK(*parsed == expected);

  const std::string rendered = canonical(*parsed);
  const auto again = roomplane::twilio::parse_callback_timestamp(rendered);
  // The rendering is in UTC, so an offset can carry it past the documented years; within them
  // it must parse back to the same instant.
  const TimePoint range_begin = sys_days{year{1970} / 1 / 1};
  const TimePoint range_end = sys_days{year{2200} / 1 / 1};
  if (*parsed >= range_begin && *parsed < range_end) {
    if (!again)
      std::fprintf(stderr, "rendered %s did not parse\n", rendered.c_str());
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *parsed);
  }
  return 0;
}
