#pragma once
// Times are int64 microseconds since the Unix epoch, UTC, everywhere in Strata.

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/core/status.h"

namespace strata {

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

int64_t NowMicros();

// Accepts integer microseconds ("1777636800123456") or ISO-8601
// ("2026-05-01T12:00:00.123456Z", "2026-05-01 12:00:00", "2026-05-01T14:00:00+02:00",
// "2026-05-01"). A time without a zone is UTC.
Result<int64_t> ParseTimestamp(std::string_view text);

// "2026-05-01T12:00:00.123456Z"; the fraction is omitted when zero.
std::string FormatTimestamp(int64_t micros);

// Durations like "30d", "12h", "15m", "45s", "250ms", "10us", "2w", or "0".
Result<int64_t> ParseDuration(std::string_view text);

// The shortest exact form: "30d", "90m", "1500ms".
std::string FormatDuration(int64_t micros);

}  // namespace strata
