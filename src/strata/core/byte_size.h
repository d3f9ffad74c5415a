#pragma once
// Sizes on the command line and in options: "4GB", "512MiB", "1.5G", "800000" (bytes).

#include <cstdint>
#include <string_view>

#include "strata/core/status.h"

namespace strata {

// Decimal (KB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB) units; a bare K/M/G/T is binary.
Result<int64_t> ParseByteSize(std::string_view text);

}  // namespace strata
