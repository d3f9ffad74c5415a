#pragma once
// One feature value in row form (ingestion, tests, CLI). Reads return columns (Arrow) instead.
//   bool -> bool; int32, int64, timestamp -> int64_t; float32, float64 -> double;
//   string, bytes -> std::string; list<int64> -> vector<int64_t>;
//   list<float32>, vector<float32,D> -> vector<float>; list<string> -> vector<string>.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace strata {

using Value = std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<int64_t>,
                           std::vector<float>, std::vector<std::string>>;

inline bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

}  // namespace strata
