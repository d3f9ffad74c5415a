#include "strata/core/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace strata {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Status BadTime(std::string_view text) {
  return Status::InvalidArgument("invalid timestamp '" + std::string(text) +
                                 "': expected ISO-8601 UTC like 2026-05-01T12:00:00.123456Z "
                                 "or integer microseconds since the epoch");
}

bool IsInteger(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> ParseTimestamp(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (IsInteger(text)) {
    int64_t v = 0;
    const char* b = text.data() + (text[0] == '+' ? 1 : 0);
    auto [p, ec] = std::from_chars(b, text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return BadTime(text);
    return v;
  }
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !ParseDigits(text, 5, 2, &month) || text[7] != '-' || !ParseDigits(text, 8, 2, &day))
    return BadTime(text);
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0))
    return BadTime(text);
  size_t pos = 10;
  int64_t micros = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    if (!ParseDigits(text, pos + 1, 2, &hour) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ParseDigits(text, pos + 4, 2, &minute))
      return BadTime(text);
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!ParseDigits(text, pos + 1, 2, &second)) return BadTime(text);
      pos += 3;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int digits = 0;
        int64_t frac = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (digits < 6) frac = frac * 10 + (text[pos] - '0');
          ++digits;  // digits past microseconds are truncated
          ++pos;
        }
        if (digits == 0) return BadTime(text);
        for (int i = digits; i < 6; ++i) frac *= 10;
        micros = frac;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return BadTime(text);
  }
  int64_t offset_seconds = 0;
  if (pos < text.size()) {
    if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
      pos++;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int oh, om = 0;
      if (!ParseDigits(text, pos + 1, 2, &oh)) return BadTime(text);
      size_t p = pos + 3;
      if (p < text.size()) {
        if (text[p] == ':') ++p;
        if (!ParseDigits(text, p, 2, &om)) return BadTime(text);
        p += 2;
      }
      if (p != text.size() || oh > 23 || om > 59) return BadTime(text);
      offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
      pos = p;
    } else {
      return BadTime(text);
    }
  }
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return secs * kMicrosPerSecond + micros;
}

std::string FormatTimestamp(int64_t micros) {
  int64_t secs = micros / kMicrosPerSecond;
  int64_t frac = micros % kMicrosPerSecond;
  if (frac < 0) {
    frac += kMicrosPerSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                        static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  if (frac != 0) n += std::snprintf(buf + n, sizeof(buf) - n, ".%06lld", static_cast<long long>(frac));
  std::snprintf(buf + n, sizeof(buf) - n, "Z");
  return buf;
}

Result<int64_t> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                   "': expected a number and a unit (us, ms, s, m, h, d, w) like 30d or 12h");
  };
  if (text == "0") return int64_t{0};
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i == text.size()) return bad();
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + i, n);
  if (ec != std::errc()) return bad();
  std::string_view unit = text.substr(i);
  int64_t scale;
  if (unit == "us") scale = 1;
  else if (unit == "ms") scale = 1000;
  else if (unit == "s") scale = kMicrosPerSecond;
  else if (unit == "m") scale = 60 * kMicrosPerSecond;
  else if (unit == "h") scale = 3600 * kMicrosPerSecond;
  else if (unit == "d") scale = kMicrosPerDay;
  else if (unit == "w") scale = 7 * kMicrosPerDay;
  else return bad();
  if (n > INT64_MAX / scale) return bad();
  return n * scale;
}

std::string FormatDuration(int64_t micros) {
  struct Unit { int64_t scale; const char* name; };
  static constexpr Unit kUnits[] = {{kMicrosPerDay, "d"}, {3600 * kMicrosPerSecond, "h"},
                                    {60 * kMicrosPerSecond, "m"}, {kMicrosPerSecond, "s"}, {1000, "ms"}, {1, "us"}};
  if (micros == 0) return "0";
  for (const auto& u : kUnits)
    if (micros % u.scale == 0) return std::to_string(micros / u.scale) + u.name;
  return std::to_string(micros) + "us";
}

}  // namespace strata
