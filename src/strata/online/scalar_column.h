#pragma once
// The fast path of online reads for scalar features (bool, integers, floats, strings, bytes,
// timestamps): writes Arrow buffers directly and hands them over without copies, so that a
// read of one key costs a few allocations per column instead of an Arrow builder's dozen.

#include <arrow/type_fwd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "strata/core/data_type.h"
#include "strata/core/row_codec.h"
#include "strata/core/status.h"

namespace strata {

class ScalarColumnWriter {
 public:
  static bool Supports(const DataType& type);

  explicit ScalarColumnWriter(const DataType& type);
  void Reserve(int64_t rows);
  // A field that cannot be read as the column's type (a corrupt one) is written as null.
  void Append(const FieldRef& field);
  void AppendNull();
  // The column, once (the writer is spent afterwards until Clear). Fails when a string column
  // passes Arrow's 2 GiB limit for one array.
  Result<std::shared_ptr<arrow::Array>> Finish() { return Build(false); }
  // The column as a new array, copied: the writer keeps its values.
  Result<std::shared_ptr<arrow::Array>> Copy() { return Build(true); }
  // Empties the column for a new read, keeping its buffers' capacity.
  void Clear();

  // Reading the values written (for readers that keep the writer instead of an Arrow array).
  int64_t length() const { return length_; }
  int64_t null_count() const { return null_count_; }
  bool IsNull(int64_t i) const { return null_count_ > 0 && !(validity_[i >> 3] >> (i & 7) & 1); }
  // Fixed-width columns: T is the column's C type (int64_t for timestamps); 0 where null.
  template <typename T>
  T Value(int64_t i) const {
    T v;
    __builtin_memcpy(&v, values_.data() + i * sizeof(T), sizeof(T));
    return v;
  }
  bool BoolValue(int64_t i) const { return values_[i >> 3] >> (i & 7) & 1; }
  // String and bytes columns; empty where null.
  std::string_view BinaryValue(int64_t i) const {
    return std::string_view(chars_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }

 private:
  void PushValidity(bool valid) {
    if (null_count_ == 0 && valid) return;  // no bitmap yet: nothing to record
    PushValiditySlow(valid);
  }
  void PushValiditySlow(bool valid);
  Result<std::shared_ptr<arrow::Array>> Build(bool copy);
  template <typename T>
  void PushFixed(T v) {
    if (values_used_ + sizeof(T) > values_.size()) values_.resize(std::max<size_t>(64, values_.size() * 2));
    __builtin_memcpy(values_.data() + values_used_, &v, sizeof(T));
    values_used_ += sizeof(T);
  }

  DataType type_;
  int64_t length_ = 0;
  int64_t null_count_ = 0;
  std::vector<uint8_t> validity_;  // bitmap, LSB first; empty until the first null
  std::vector<uint8_t> values_;    // fixed-width values (sized ahead, values_used_ bytes used); a bitmap for bool
  size_t values_used_ = 0;
  std::vector<int32_t> offsets_;   // string and bytes
  std::string chars_;
};

// Inline: a sequence read calls it for every value of every event.
inline void ScalarColumnWriter::Append(const FieldRef& f) {
  const char* p = f.payload.data();
  bool ok = true;
  switch (type_.id) {
    case TypeId::kBool:
      if ((ok = f.tag == WireTag::kBool)) {
        if ((length_ & 7) == 0) values_.push_back(0);
        if (p[0]) values_.back() |= static_cast<uint8_t>(1u << (length_ & 7));
      }
      break;
    case TypeId::kInt32:
      if ((ok = f.tag == WireTag::kInt32)) PushFixed(LoadLE<int32_t>(p));
      break;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      if (f.tag == WireTag::kInt64) PushFixed(LoadLE<int64_t>(p));
      else if (f.tag == WireTag::kInt32) PushFixed(static_cast<int64_t>(LoadLE<int32_t>(p)));  // widened
      else ok = false;
      break;
    case TypeId::kFloat32:
      if ((ok = f.tag == WireTag::kFloat32)) PushFixed(LoadLE<float>(p));
      break;
    case TypeId::kFloat64:
      if (f.tag == WireTag::kFloat64) PushFixed(LoadLE<double>(p));
      else if (f.tag == WireTag::kFloat32) PushFixed(static_cast<double>(LoadLE<float>(p)));  // widened
      else ok = false;
      break;
    case TypeId::kString:
    case TypeId::kBytes:
      if ((ok = f.tag == WireTag::kBytes)) {
        chars_.append(f.payload);  // offsets may wrap past 2 GiB: Finish refuses the column then
        offsets_.push_back(static_cast<int32_t>(chars_.size()));
      }
      break;
    default: ok = false;
  }
  if (!ok) return AppendNull();  // a field that cannot be read as the column's type
  PushValidity(true);
  ++length_;
}

}  // namespace strata
