#include "strata/core/data_type.h"

#include <charconv>

namespace strata {

namespace {
struct Named { std::string_view name; TypeId id; };
constexpr Named kScalarNames[] = {
    {"bool", TypeId::kBool},           {"int32", TypeId::kInt32},         {"int64", TypeId::kInt64},
    {"float32", TypeId::kFloat32},     {"float64", TypeId::kFloat64},     {"string", TypeId::kString},
    {"bytes", TypeId::kBytes},         {"timestamp", TypeId::kTimestamp}, {"list<int64>", TypeId::kListInt64},
    {"list<float32>", TypeId::kListFloat32}, {"list<string>", TypeId::kListString},
};

std::string Strip(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t') out.push_back(c);
  return out;
}
}  // namespace

Result<DataType> DataType::Parse(std::string_view text) {
  const std::string s = Strip(text);
  for (const auto& n : kScalarNames)
    if (s == n.name) return DataType::Of(n.id);
  constexpr std::string_view kVec = "vector<float32,";
  if (s.starts_with(kVec) && s.ends_with(">")) {
    std::string_view digits(s.data() + kVec.size(), s.size() - kVec.size() - 1);
    int32_t dim = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), dim);
    if (ec == std::errc() && p == digits.data() + digits.size() && dim > 0 && dim <= 65536)
      return DataType::Vector(dim, Quantization::kNone);
  }
  return Status::InvalidArgument(
      "unknown type '" + std::string(text) +
      "': expected bool, int32, int64, float32, float64, string, bytes, timestamp, list<int64>, "
      "list<float32>, list<string> or vector<float32,D>");
}

std::string DataType::ToString() const {
  if (id == TypeId::kVector) return "vector<float32," + std::to_string(dim) + ">";
  for (const auto& n : kScalarNames)
    if (n.id == id) return std::string(n.name);
  return "?";
}

Result<Quantization> ParseQuantization(std::string_view text) {
  if (text == "none") return Quantization::kNone;
  if (text == "float16") return Quantization::kFloat16;
  if (text == "int8") return Quantization::kInt8;
  return Status::InvalidArgument("unknown quantization '" + std::string(text) + "': expected none, float16 or int8");
}

const char* QuantizationName(Quantization q) {
  switch (q) {
    case Quantization::kNone: return "none";
    case Quantization::kFloat16: return "float16";
    case Quantization::kInt8: return "int8";
  }
  return "?";
}

bool CanEvolve(const DataType& from, const DataType& to) {
  if (from.id == TypeId::kVector && to.id == TypeId::kVector) return from.dim == to.dim;
  if (from.id == to.id) return true;
  return (from.id == TypeId::kInt32 && to.id == TypeId::kInt64) ||
         (from.id == TypeId::kFloat32 && to.id == TypeId::kFloat64);
}

}  // namespace strata
