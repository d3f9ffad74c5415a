#pragma once
// Feature value types: the scalar, list and embedding types of DESIGN.md.

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/core/status.h"

namespace strata {

enum class TypeId : uint8_t {
  kBool,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kString,
  kBytes,
  kTimestamp,
  kListInt64,
  kListFloat32,
  kListString,
  kVector,  // vector<float32, D>: an embedding
};

// How an embedding is stored; reads always return float32.
enum class Quantization : uint8_t { kNone, kFloat16, kInt8 };

struct DataType {
  TypeId id = TypeId::kInt64;
  int32_t dim = 0;  // kVector only
  Quantization quantization = Quantization::kNone;  // kVector only

  static DataType Of(TypeId id) { return DataType{id, 0, Quantization::kNone}; }
  static DataType Vector(int32_t dim, Quantization q) { return DataType{TypeId::kVector, dim, q}; }

  // "int64", "list<float32>", "vector<float32,64>" (quantization is not part of the name).
  static Result<DataType> Parse(std::string_view text);
  std::string ToString() const;

  bool is_list() const { return id == TypeId::kListInt64 || id == TypeId::kListFloat32 || id == TypeId::kListString; }
  bool operator==(const DataType&) const = default;
};

Result<Quantization> ParseQuantization(std::string_view text);
const char* QuantizationName(Quantization q);

// True when values stored as `from` can be read as `to` without loss: the same type, or the
// widenings int32->int64 and float32->float64 (and, for embeddings, any quantization).
bool CanEvolve(const DataType& from, const DataType& to);

}  // namespace strata
