#include "strata/online/column_builder.h"

#include <arrow/api.h>

#include "strata/core/arrow_types.h"
#include "strata/core/quantization.h"

namespace strata {

FeatureColumnBuilder::FeatureColumnBuilder(const DataType& type, bool as_list) : type_(type), as_list_(as_list) {
  if (ScalarColumnWriter::Supports(type)) {
    scalar_.emplace(type);
    return;
  }
  std::shared_ptr<arrow::DataType> t = ArrowTypeOf(type);
  if (as_list) t = arrow::list(t);
  std::unique_ptr<arrow::ArrayBuilder> b;
  (void)arrow::MakeBuilder(arrow::default_memory_pool(), t, &b);
  builder_ = std::move(b);
  value_builder_ = as_list ? static_cast<arrow::ListBuilder*>(builder_.get())->value_builder() : builder_.get();
}

void FeatureColumnBuilder::Reserve(int64_t rows, int64_t elements) {
  if (!scalar_) {
    (void)builder_->Reserve(rows);
  } else if (as_list_) {
    list_offsets_.reserve(rows + 1);
    list_validity_.reserve((rows + 7) / 8);
    // Capped: the hint is an upper bound (max_length per key), usually far above what is stored.
    scalar_->Reserve(std::min<int64_t>(elements, 1 << 16));
  } else {
    scalar_->Reserve(rows);
  }
}

void FeatureColumnBuilder::OpenList(bool valid) {
  list_offsets_.push_back(static_cast<int32_t>(elements_));
  if ((lists_ & 7) == 0) list_validity_.push_back(0);
  if (valid) list_validity_.back() |= static_cast<uint8_t>(1u << (lists_ & 7));
  else ++null_lists_;
  ++lists_;
}

Result<std::shared_ptr<arrow::Array>> FeatureColumnBuilder::BuildList(bool copy) {
  if (elements_ > INT32_MAX) return Status::InvalidArgument("a read returned more than 2^31 sequence events; read fewer keys at once");
  std::vector<int32_t> offsets = copy ? list_offsets_ : std::move(list_offsets_);
  offsets.push_back(static_cast<int32_t>(elements_));
  STRATA_ASSIGN_OR_RETURN(auto values, copy ? scalar_->Copy() : scalar_->Finish());
  std::shared_ptr<arrow::Buffer> validity;
  if (null_lists_) validity = arrow::Buffer::FromVector(copy ? list_validity_ : std::move(list_validity_));
  auto data = arrow::ArrayData::Make(arrow::list(values->type()), lists_,
                                     {std::move(validity), arrow::Buffer::FromVector(std::move(offsets))},
                                     {values->data()}, null_lists_);
  if (!copy) {
    list_offsets_ = {};
    list_validity_ = {};
    lists_ = null_lists_ = elements_ = 0;
  }
  return arrow::MakeArray(data);
}

void FeatureColumnBuilder::AppendValue(arrow::ArrayBuilder* b, const FieldRef& f) {
  // Scalar types never get here: ScalarColumnWriter builds them.
  const char* p = f.payload.data();
  std::string_view in = f.payload;
  switch (type_.id) {
    case TypeId::kListInt64:
    case TypeId::kListFloat32:
    case TypeId::kListString: {
      const WireTag want = type_.id == TypeId::kListInt64 ? WireTag::kListInt64
                           : type_.id == TypeId::kListFloat32 ? WireTag::kListFloat32 : WireTag::kListString;
      uint64_t n;
      if (f.tag != want || !GetVarint(&in, &n)) break;
      auto* lb = static_cast<arrow::ListBuilder*>(b);
      if (want == WireTag::kListInt64 && n <= in.size() / 8 && in.size() == n * 8) {
        (void)lb->Append();
        (void)static_cast<arrow::Int64Builder*>(lb->value_builder())
            ->AppendValues(reinterpret_cast<const int64_t*>(in.data()), static_cast<int64_t>(n));
        return;
      }
      if (want == WireTag::kListFloat32 && n <= in.size() / 4 && in.size() == n * 4) {
        (void)lb->Append();
        (void)static_cast<arrow::FloatBuilder*>(lb->value_builder())
            ->AppendValues(reinterpret_cast<const float*>(in.data()), static_cast<int64_t>(n));
        return;
      }
      if (want == WireTag::kListString && n <= in.size()) {
        (void)lb->Append();
        auto* sb = static_cast<arrow::StringBuilder*>(lb->value_builder());
        for (uint64_t i = 0; i < n; ++i) {
          uint64_t len;
          if (!GetVarint(&in, &len) || len > in.size()) break;
          (void)sb->Append(in.substr(0, len));
          in.remove_prefix(len);
        }
        return;
      }
      break;
    }
    case TypeId::kVector: {
      const size_t dim = static_cast<size_t>(type_.dim);
      auto* fb = static_cast<arrow::FixedSizeListBuilder*>(b);
      auto* vb = static_cast<arrow::FloatBuilder*>(fb->value_builder());
      if (f.tag == WireTag::kVecF32 && in.size() == dim * 4) {
        (void)fb->Append();
        (void)vb->AppendValues(reinterpret_cast<const float*>(p), static_cast<int64_t>(dim));
        return;
      }
      if (f.tag == WireTag::kVecF16 && in.size() == dim * 2) {
        (void)fb->Append();
        // Reserved once, then unchecked appends: a served request dequantizes every element.
        if (!vb->Reserve(static_cast<int64_t>(dim)).ok()) return;
        for (size_t i = 0; i < dim; ++i) vb->UnsafeAppend(HalfToFloat(LoadLE<uint16_t>(p + 2 * i)));
        return;
      }
      if (f.tag == WireTag::kVecI8 && in.size() == dim + 4) {
        (void)fb->Append();
        const float scale = LoadLE<float>(p);
        if (!vb->Reserve(static_cast<int64_t>(dim)).ok()) return;
        for (size_t i = 0; i < dim; ++i) vb->UnsafeAppend(DequantizeInt8(static_cast<int8_t>(p[4 + i]), scale));
        return;
      }
      break;
    }
    default: break;  // scalar types: ScalarColumnWriter
  }
  (void)b->AppendNull();  // a field that cannot be read as the current type reads as null
}

Result<std::shared_ptr<arrow::Array>> FeatureColumnBuilder::Build(bool copy) {
  if (scalar_) return as_list_ ? BuildList(copy) : (copy ? scalar_->Copy() : scalar_->Finish());
  if (built_) return copy ? built_ : std::move(built_);
  std::shared_ptr<arrow::Array> out;
  arrow::Status st = builder_->Finish(&out);
  if (!st.ok()) return Status::Internal("building a feature column: " + st.ToString());
  if (copy) built_ = out;
  return out;
}

void FeatureColumnBuilder::Clear() {
  if (!scalar_) {
    builder_->Reset();
    built_.reset();
    return;
  }
  scalar_->Clear();
  list_offsets_.clear();
  list_validity_.clear();
  lists_ = null_lists_ = elements_ = 0;
}

const arrow::Array* FeatureColumnBuilder::Built() const {
  if (!built_ && !builder_->Finish(&built_).ok()) built_.reset();
  return built_.get();
}

int64_t FeatureColumnBuilder::rows() const {
  if (!scalar_) return built_ ? built_->length() : builder_->length();
  return as_list_ ? lists_ : scalar_->length();
}

bool FeatureColumnBuilder::IsNull(int64_t row) const {
  if (!scalar_) return Built() == nullptr || Built()->IsNull(row);
  if (!as_list_) return scalar_->IsNull(row);
  return null_lists_ > 0 && !(list_validity_[row >> 3] >> (row & 7) & 1);
}

}  // namespace strata
