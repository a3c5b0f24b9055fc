// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Civil (proleptic Gregorian, UTC) date arithmetic for the CMOS RTC: seconds
// since the Unix epoch <-> year/month/day/hour/minute/second, without libc
// time zones. Days <-> date use Howard Hinnant's public-domain
// days_from_civil / civil_from_days algorithms ("chrono-Compatible Low-Level
// Date Algorithms").
#pragma once

#include <cstdint>

namespace petrel {

struct CivilTime {
  int64_t year = 1970;
  uint8_t month = 1;   // 1-12
  uint8_t day = 1;     // 1-31
  uint8_t hour = 0;    // 0-23
  uint8_t minute = 0;  // 0-59
  uint8_t second = 0;  // 0-59
  bool operator==(const CivilTime&) const = default;
};

inline constexpr int64_t kSecondsPerDay = 86400;

constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
constexpr int64_t FloorMod(int64_t a, int64_t b) {
  return a - FloorDiv(a, b) * b;
}

// Days since 1970-01-01 of y-m-d. `d` past the month's end simply counts on
// (Feb 30 = Mar 1 or 2), which is how out-of-range RTC dates normalize.
constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

constexpr CivilTime CivilFromSeconds(int64_t t) {
  const int64_t days = FloorDiv(t, kSecondsPerDay);
  const int64_t secs = FloorMod(t, kSecondsPerDay);
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  CivilTime c;
  c.day = static_cast<uint8_t>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<uint8_t>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  c.hour = static_cast<uint8_t>(secs / 3600);
  c.minute = static_cast<uint8_t>(secs / 60 % 60);
  c.second = static_cast<uint8_t>(secs % 60);
  return c;
}

constexpr int64_t SecondsFromCivil(const CivilTime& c) {
  return DaysFromCivil(c.year, c.month, c.day) * kSecondsPerDay + c.hour * 3600 + c.minute * 60 +
         c.second;
}

// 1 = Sunday ... 7 = Saturday (MC146818 day-of-week register convention).
constexpr uint8_t DayOfWeek(const CivilTime& c) {
  // 1970-01-01 was a Thursday (5).
  return static_cast<uint8_t>(FloorMod(DaysFromCivil(c.year, c.month, c.day) + 4, 7) + 1);
}

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(CivilFromSeconds(951782400) == CivilTime{2000, 2, 29, 0, 0, 0});

}  // namespace petrel
