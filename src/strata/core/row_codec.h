#pragma once
// The stored form of one feature row: a sequence of tagged fields
//   [varint feature_id][u8 wire tag][payload]
// Null features are absent. Every field carries its own wire type, so rows written before a
// schema change (widened type, dropped or added feature, new quantization) still decode.
// Variable-size payloads are prefixed by their byte length, so skipping a field is O(1).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/value.h"

namespace strata {

enum class WireTag : uint8_t {
  kBool = 1,
  kInt32 = 2,
  kInt64 = 3,
  kFloat32 = 4,
  kFloat64 = 5,
  kBytes = 6,        // string and bytes
  kListInt64 = 7,    // [varint n][n x int64 LE]
  kListFloat32 = 8,  // [varint n][n x float32 LE]
  kListString = 9,   // [varint n][n x (varint len, bytes)]
  kVecF32 = 10,      // D x float32
  kVecF16 = 11,      // D x float16
  kVecI8 = 12,       // [float32 scale][D x int8]
};

// Appends `values` (aligned with `features`; monostate = null) to `out`.
void EncodeRow(const std::vector<FeatureDef>& features, const std::vector<Value>& values, std::string* out);

// A view of one encoded field.
struct FieldRef {
  uint32_t feature_id = 0;
  WireTag tag = WireTag::kBool;
  std::string_view payload;  // without the length prefix
};

// Iterates the fields of an encoded row.
class RowFieldReader {
 public:
  explicit RowFieldReader(std::string_view row) : rest_(row) {}
  // False at the end of the row, or when the row is malformed (then corrupt() is true).
  bool Next(FieldRef* field);
  bool corrupt() const { return corrupt_; }

 private:
  std::string_view rest_;
  bool corrupt_ = false;
};

// Decodes one field as a Value of the feature's current type `type` (widening and
// dequantizing as needed). Returns monostate for a field that cannot be read as `type`.
Value DecodeField(const FieldRef& field, const DataType& type);

// Decodes a whole row into values aligned with `features`.
std::vector<Value> DecodeRow(const std::vector<FeatureDef>& features, std::string_view row);

// Varint helpers shared by the key and row codecs.
void PutVarint(std::string* out, uint64_t v);
bool GetVarint(std::string_view* in, uint64_t* v);

// Little-endian fixed-width loads from unaligned memory.
template <typename T>
inline T LoadLE(const char* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace strata
