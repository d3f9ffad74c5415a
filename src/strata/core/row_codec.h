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
  inline bool Next(FieldRef* field);
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

// Varint helpers shared by the key and row codecs. Reads inline the one-byte case (ids and
// small sizes, the common one on the read path).
void PutVarint(std::string* out, uint64_t v);
// Writes v at p (room for 10 bytes); returns the end.
inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
bool GetVarintSlow(std::string_view* in, uint64_t* v);
inline bool GetVarint(std::string_view* in, uint64_t* v) {
  if (!in->empty() && static_cast<uint8_t>((*in)[0]) < 0x80) {
    *v = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    return true;
  }
  return GetVarintSlow(in, v);
}

// Little-endian fixed-width loads from unaligned memory.
template <typename T>
inline T LoadLE(const char* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof(T));
  return v;
}

bool RowFieldReader::Next(FieldRef* field) {
  if (rest_.empty() || corrupt_) return false;
  uint64_t id;
  if (!GetVarint(&rest_, &id) || rest_.empty()) {
    corrupt_ = true;
    return false;
  }
  field->feature_id = static_cast<uint32_t>(id);
  field->tag = static_cast<WireTag>(rest_[0]);
  rest_.remove_prefix(1);
  size_t size;
  switch (field->tag) {
    case WireTag::kBool: size = 1; break;
    case WireTag::kInt32: case WireTag::kFloat32: size = 4; break;
    case WireTag::kInt64: case WireTag::kFloat64: size = 8; break;
    default: {
      uint64_t len;
      if (field->tag < WireTag::kBool || field->tag > WireTag::kVecI8 || !GetVarint(&rest_, &len)) {
        corrupt_ = true;
        return false;
      }
      size = len;
    }
  }
  if (size > rest_.size()) {
    corrupt_ = true;
    return false;
  }
  field->payload = rest_.substr(0, size);
  rest_.remove_prefix(size);
  return true;
}

}  // namespace strata
