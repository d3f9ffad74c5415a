#include "strata/online/scalar_column.h"

#include <arrow/array.h>
#include <arrow/buffer.h>

#include "strata/core/arrow_types.h"

namespace strata {

bool ScalarColumnWriter::Supports(const DataType& type) {
  switch (type.id) {
    case TypeId::kBool: case TypeId::kInt32: case TypeId::kInt64: case TypeId::kFloat32: case TypeId::kFloat64:
    case TypeId::kString: case TypeId::kBytes: case TypeId::kTimestamp: return true;
    default: return false;
  }
}

ScalarColumnWriter::ScalarColumnWriter(const DataType& type) : type_(type) {
  if (type_.id == TypeId::kString || type_.id == TypeId::kBytes) offsets_.push_back(0);
}

void ScalarColumnWriter::Reserve(int64_t rows) {
  switch (type_.id) {
    case TypeId::kBool: values_.reserve((rows + 7) / 8); break;
    case TypeId::kInt32: case TypeId::kFloat32: values_.resize(std::max(values_.size(), static_cast<size_t>(rows) * 4)); break;
    case TypeId::kString: case TypeId::kBytes: offsets_.reserve(rows + 1); break;
    default: values_.resize(std::max(values_.size(), static_cast<size_t>(rows) * 8));
  }
}

// The bitmap is only materialized at the first null: most columns have none, and then Arrow
// needs no validity buffer at all.
void ScalarColumnWriter::PushValiditySlow(bool valid) {
  if (null_count_ == 0) {
    validity_.assign(static_cast<size_t>(length_ / 8 + 1), 0xFF);  // rows so far were all valid
    validity_.back() = static_cast<uint8_t>((1u << (length_ & 7)) - 1);
    ++null_count_;
    return;
  }
  if ((length_ & 7) == 0) validity_.push_back(0);
  if (valid) validity_.back() |= static_cast<uint8_t>(1u << (length_ & 7));
  else ++null_count_;
}

void ScalarColumnWriter::AppendNull() {
  switch (type_.id) {
    case TypeId::kBool:
      if ((length_ & 7) == 0) values_.push_back(0);
      break;
    case TypeId::kInt32: case TypeId::kFloat32: PushFixed<int32_t>(0); break;
    case TypeId::kString: case TypeId::kBytes: offsets_.push_back(static_cast<int32_t>(chars_.size())); break;
    default: PushFixed<int64_t>(0);
  }
  PushValidity(false);
  ++length_;
}

void ScalarColumnWriter::Clear() {
  length_ = null_count_ = 0;
  validity_.clear();
  values_used_ = 0;
  if (type_.id == TypeId::kBool) values_.clear();  // a bitmap grown bit by bit
  if (type_.id == TypeId::kString || type_.id == TypeId::kBytes) offsets_.assign(1, 0);
  chars_.clear();
}

namespace {
// A vector's bytes as an Arrow buffer: moved (zero-copy) or copied.
template <typename V>
std::shared_ptr<arrow::Buffer> ToBuffer(V& v, bool copy) {
  return copy ? arrow::Buffer::FromVector(V(v)) : arrow::Buffer::FromVector(std::move(v));
}
}  // namespace

Result<std::shared_ptr<arrow::Array>> ScalarColumnWriter::Build(bool copy) {
  if (chars_.size() > static_cast<size_t>(INT32_MAX))
    return Status::InvalidArgument("a read returned more than 2 GiB of one string feature; read fewer keys at once");
  std::vector<std::shared_ptr<arrow::Buffer>> buffers;
  buffers.reserve(3);
  buffers.push_back(null_count_ ? ToBuffer(validity_, copy) : nullptr);
  if (type_.id == TypeId::kString || type_.id == TypeId::kBytes) {
    buffers.push_back(ToBuffer(offsets_, copy));
    buffers.push_back(copy ? arrow::Buffer::FromString(std::string(chars_)) : arrow::Buffer::FromString(std::move(chars_)));
  } else if (type_.id == TypeId::kBool) {
    buffers.push_back(ToBuffer(values_, copy));
  } else if (copy) {
    buffers.push_back(arrow::Buffer::FromVector(std::vector<uint8_t>(values_.begin(), values_.begin() + values_used_)));
  } else {
    values_.resize(values_used_);
    buffers.push_back(arrow::Buffer::FromVector(std::move(values_)));
  }
  return arrow::MakeArray(arrow::ArrayData::Make(ArrowTypeOf(type_), length_, std::move(buffers), null_count_));
}

}  // namespace strata
