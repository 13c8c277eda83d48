#include "data/timestamp.h"

#include <chrono>
#include <cstdio>

namespace sluice::data {
namespace {

// Reads `count` ASCII digits at text[at...] into *value.
bool Digits(std::string_view text, std::size_t at, std::size_t count, int* value) {
  if (at + count > text.size()) return false;
  int result = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    result = result * 10 + (c - '0');
  }
  *value = result;
  return true;
}

}  // namespace

std::optional<std::int64_t> ParseTimestamp(std::string_view text) {
  using namespace std::chrono;
  int y, mo, d;
  if (text.size() < 10 || !Digits(text, 0, 4, &y) || text[4] != '-' || !Digits(text, 5, 2, &mo) ||
      text[7] != '-' || !Digits(text, 8, 2, &d)) {
    return std::nullopt;
  }
  year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  std::int64_t seconds = sys_days(date).time_since_epoch().count() * std::int64_t{86400};
  std::int64_t fraction = 0;
  if (text.size() > 10) {
    int h, mi, s;
    if ((text[10] != 'T' && text[10] != ' ') || !Digits(text, 11, 2, &h) || text.size() < 19 ||
        text[13] != ':' || !Digits(text, 14, 2, &mi) || text[16] != ':' ||
        !Digits(text, 17, 2, &s) || h > 23 || mi > 59 || s > 59) {
      return std::nullopt;
    }
    seconds += h * 3600 + mi * 60 + s;
    std::size_t at = 19;
    if (at < text.size() && text[at] == '.') {
      ++at;
      std::size_t digits = 0;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        if (++digits > 9) return std::nullopt;
        fraction = fraction * 10 + (text[at] - '0');
        ++at;
      }
      if (digits == 0) return std::nullopt;
      for (; digits < 9; ++digits) fraction *= 10;
    }
    if (at < text.size()) {
      if (text[at] == 'Z') {
        ++at;
      } else if (text[at] == '+' || text[at] == '-') {
        int oh, om;
        if (!Digits(text, at + 1, 2, &oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
            !Digits(text, at + 4, 2, &om) || oh > 23 || om > 59) {
          return std::nullopt;
        }
        // Local time = UTC + offset, so UTC = local - offset.
        int offset = oh * 3600 + om * 60;
        seconds -= text[at] == '+' ? offset : -offset;
        at += 6;
      } else {
        return std::nullopt;
      }
    }
    if (at != text.size()) return std::nullopt;
  }
  // Before 1970 as (seconds + 1) s - (1 s - fraction), so that the
  // earliest representable times do not overflow on the way.
  if (seconds < 0 && fraction > 0) {
    ++seconds;
    fraction -= 1'000'000'000;
  }
  std::int64_t nanoseconds;
  if (__builtin_mul_overflow(seconds, std::int64_t{1'000'000'000}, &nanoseconds) ||
      __builtin_add_overflow(nanoseconds, fraction, &nanoseconds)) {
    return std::nullopt;
  }
  return nanoseconds;
}

void AppendTimestamp(std::int64_t nanoseconds, std::string& out) {
  using namespace std::chrono;
  // Floor division, so that times before 1970 count down from the
  // previous second and day rather than toward zero.
  std::int64_t seconds = nanoseconds / 1'000'000'000;
  std::int64_t fraction = nanoseconds % 1'000'000'000;
  if (fraction < 0) {
    fraction += 1'000'000'000;
    --seconds;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t in_day = seconds % 86400;
  if (in_day < 0) {
    in_day += 86400;
    --days;
  }
  year_month_day date{sys_days{std::chrono::days{days}}};
  char buffer[64];
  int n = std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                        static_cast<unsigned>(date.day()), static_cast<int>(in_day / 3600),
                        static_cast<int>(in_day / 60 % 60), static_cast<int>(in_day % 60));
  out.append(buffer, static_cast<std::size_t>(n));
  if (fraction != 0) {
    n = std::snprintf(buffer, sizeof buffer, ".%09d", static_cast<int>(fraction));
    while (buffer[n - 1] == '0') --n;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  out.push_back('Z');
}

}  // namespace sluice::data
