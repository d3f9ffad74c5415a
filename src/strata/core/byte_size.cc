#include "strata/core/byte_size.h"

#include <cctype>
#include <cmath>
#include <string>

namespace strata {

Result<int64_t> ParseByteSize(std::string_view text) {
  const std::string s(text);
  size_t used = 0;
  double number = 0;
  try {
    number = std::stod(s, &used);
  } catch (...) {
    used = 0;
  }
  std::string unit;
  for (size_t i = used; i < s.size(); ++i)
    if (!std::isspace(static_cast<unsigned char>(s[i]))) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
  double scale = -1;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KB") scale = 1e3;
  else if (unit == "MB") scale = 1e6;
  else if (unit == "GB") scale = 1e9;
  else if (unit == "TB") scale = 1e12;
  else if (unit == "K" || unit == "KIB") scale = 1024.0;
  else if (unit == "M" || unit == "MIB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GIB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TIB") scale = 1024.0 * 1024 * 1024 * 1024;
  if (used == 0 || scale < 0 || !(number > 0) || number * scale > 9e18)
    return Status::InvalidArgument("size '" + s + "': expected a positive number with an optional unit, like 4GB or 512MiB");
  return static_cast<int64_t>(std::llround(number * scale));
}

}  // namespace strata
