#include "strata/loader/decoded_unit.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#define XXH_INLINE_ALL  // header-only: no library to link
#include <xxhash.h>

#include "strata/core/arrow_status.h"
#include "strata/loader/epoch_plan.h"

namespace strata::loader {

int64_t HashIdToBucket(int64_t id, int64_t buckets) {
  // splitmix64's first output for the id as its seed: its finalizer over id + the golden ratio.
  return static_cast<int64_t>(SplitMix64(static_cast<uint64_t>(id)).Next() % static_cast<uint64_t>(buckets));
}

int64_t HashStringToBucket(const char* data, size_t size, int64_t buckets) {
  return static_cast<int64_t>(XXH3_64bits(data, size) % static_cast<uint64_t>(buckets));
}

namespace {

Result<std::shared_ptr<arrow::Array>> CastTo(const std::shared_ptr<arrow::Array>& array,
                                             const std::shared_ptr<arrow::DataType>& type, const std::string& column,
                                             arrow::MemoryPool* pool) {
  if (array->type()->Equals(*type)) return array;
  arrow::compute::ExecContext context(pool);
  auto cast = arrow::compute::Cast(*array, type, arrow::compute::CastOptions::Safe(), &context);
  if (!cast.ok()) return FromArrow(cast.status(), "column '" + column + "': converting " + array->type()->ToString() + " to " + type->ToString());
  return *cast;
}

// Ids as int64, strings hashed and integers hashed when the column has buckets.
Result<std::shared_ptr<arrow::Array>> IdsToInt64(const std::shared_ptr<arrow::Array>& ids, const ResolvedColumn& c,
                                                 arrow::MemoryPool* pool) {
  if (c.hash_strings) {
    STRATA_ASSIGN_OR_RETURN(auto strings, CastTo(ids, arrow::utf8(), c.name, pool));
    const auto& s = static_cast<const arrow::StringArray&>(*strings);
    arrow::Int64Builder b(pool);
    if (auto st = b.Resize(s.length()); !st.ok()) return FromArrow(st, "column '" + c.name + "'");
    for (int64_t i = 0; i < s.length(); ++i) {
      if (s.IsNull(i)) {
        b.UnsafeAppendNull();
      } else {
        std::string_view v = s.GetView(i);
        b.UnsafeAppend(HashStringToBucket(v.data(), v.size(), c.buckets));
      }
    }
    std::shared_ptr<arrow::Array> out;
    if (auto st = b.Finish(&out); !st.ok()) return FromArrow(st, "column '" + c.name + "'");
    return out;
  }
  STRATA_ASSIGN_OR_RETURN(auto ints, CastTo(ids, arrow::int64(), c.name, pool));
  if (c.buckets == 0) return ints;
  const auto& in = static_cast<const arrow::Int64Array&>(*ints);
  // Same offset as the input, so that its validity bitmap still lines up.
  auto values = arrow::AllocateBuffer((in.offset() + in.length()) * static_cast<int64_t>(sizeof(int64_t)), pool);
  if (!values.ok()) return FromArrow(values.status(), "column '" + c.name + "'");
  auto* out = reinterpret_cast<int64_t*>((*values)->mutable_data()) + in.offset();
  const int64_t* raw = in.raw_values();
  for (int64_t i = 0; i < in.length(); ++i) out[i] = HashIdToBucket(raw[i], c.buckets);
  return std::shared_ptr<arrow::Array>(
      std::make_shared<arrow::Int64Array>(in.length(), std::move(*values), in.null_bitmap(), in.null_count(), in.offset()));
}

Result<std::shared_ptr<arrow::Array>> Normalize(const std::shared_ptr<arrow::Array>& source, const ResolvedColumn& c,
                                                arrow::MemoryPool* pool) {
  switch (c.layout) {
    case ColumnLayout::kFloat32:
      return CastTo(source, arrow::float32(), c.name, pool);
    case ColumnLayout::kInt64:
      return IdsToInt64(source, c, pool);
    case ColumnLayout::kInt64List:
    case ColumnLayout::kFloat32List: {
      // list<T> with int32 offsets, then its child normalized in place of the old one.
      const auto& item = source->type()->field(0)->type();
      STRATA_ASSIGN_OR_RETURN(auto as_list, CastTo(source, arrow::list(item), c.name, pool));
      const auto& list = static_cast<const arrow::ListArray&>(*as_list);
      std::shared_ptr<arrow::Array> child;
      if (c.layout == ColumnLayout::kInt64List) {
        STRATA_ASSIGN_OR_RETURN(child, IdsToInt64(list.values(), c, pool));
      } else {
        STRATA_ASSIGN_OR_RETURN(child, CastTo(list.values(), arrow::float32(), c.name, pool));
      }
      if (child == list.values()) return as_list;
      return std::shared_ptr<arrow::Array>(std::make_shared<arrow::ListArray>(
          arrow::list(child->type()), list.length(), list.value_offsets(), child, list.null_bitmap(), list.null_count(),
          list.offset()));
    }
    case ColumnLayout::kFixedFloat32List: {
      auto cast = CastTo(source, arrow::fixed_size_list(arrow::float32(), c.width), c.name, pool);
      if (!cast.ok() && source->type_id() != arrow::Type::FIXED_SIZE_LIST)
        return Status::InvalidArgument("embedding column '" + c.name + "' has a value that is not " +
                                       std::to_string(c.width) + " floats long");
      return cast;
    }
  }
  return Status::Internal("unknown column layout");
}

ColumnView ViewOf(const arrow::Array& array, ColumnLayout layout) {
  ColumnView v;
  if (array.null_count() > 0) {
    v.valid = array.null_bitmap_data();
    v.valid_offset = array.offset();
  }
  auto child_nulls = [&v](const arrow::Array& child) {
    if (child.null_count() > 0) {
      v.child_valid = child.null_bitmap_data();
      v.child_valid_offset = child.offset();
    }
  };
  switch (layout) {
    case ColumnLayout::kFloat32:
      v.values = static_cast<const arrow::FloatArray&>(array).raw_values();
      break;
    case ColumnLayout::kInt64:
      v.values = static_cast<const arrow::Int64Array&>(array).raw_values();
      break;
    case ColumnLayout::kInt64List:
    case ColumnLayout::kFloat32List: {
      const auto& list = static_cast<const arrow::ListArray&>(array);
      v.offsets = list.raw_value_offsets();
      const arrow::Array& child = *list.values();
      v.values = child.data()->GetValues<uint8_t>(1, 0) + child.offset() * (layout == ColumnLayout::kInt64List ? 8 : 4);
      child_nulls(child);
      break;
    }
    case ColumnLayout::kFixedFloat32List: {
      const auto& list = static_cast<const arrow::FixedSizeListArray&>(array);
      v.width = list.value_length();
      const auto& child = static_cast<const arrow::FloatArray&>(*list.values());
      v.values = child.raw_values() + list.offset() * static_cast<int64_t>(v.width);
      child_nulls(child);
      break;
    }
  }
  return v;
}

}  // namespace

Result<std::shared_ptr<DecodedUnit>> DecodedUnit::Make(const std::vector<std::shared_ptr<arrow::Array>>& columns,
                                                       const std::vector<ResolvedColumn>& resolved,
                                                       arrow::MemoryPool* pool) {
  auto unit = std::make_shared<DecodedUnit>();
  unit->rows_ = columns.empty() ? 0 : columns[0]->length();
  std::vector<std::shared_ptr<arrow::Array>> dense;
  for (size_t i = 0; i < resolved.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(auto array, Normalize(columns[i], resolved[i], pool));
    unit->views_.push_back(ViewOf(*array, resolved[i].layout));
    if (resolved[i].role == ColumnRole::kDense) {
      dense.push_back(std::move(array));  // transposed below, not kept
    } else {
      unit->arrays_.push_back(std::move(array));
    }
  }
  if (!dense.empty()) STRATA_RETURN_NOT_OK(unit->TransposeDense(dense, pool));
  for (size_t i = 0; i < resolved.size(); ++i)
    if (resolved[i].role == ColumnRole::kDense) unit->views_[i] = ColumnView{};  // only the matrix remains
  return unit;
}

Status DecodedUnit::TransposeDense(const std::vector<std::shared_ptr<arrow::Array>>& dense, arrow::MemoryPool* pool) {
  const int64_t D = static_cast<int64_t>(dense.size());
  dense_width_ = D;
  auto values = arrow::AllocateBuffer(std::max<int64_t>(1, rows_ * D) * static_cast<int64_t>(sizeof(float)), pool);
  auto present = arrow::AllocateBuffer(std::max<int64_t>(1, rows_ * D), pool);
  if (!values.ok() || !present.ok()) return Status::IOError("out of memory transposing dense columns");
  auto* v = reinterpret_cast<float*>((*values)->mutable_data());
  uint8_t* p = (*present)->mutable_data();
  std::vector<ColumnView> views;
  for (const auto& a : dense) views.push_back(ViewOf(*a, ColumnLayout::kFloat32));
  // In blocks of rows, so that the block's rows stay in cache while every column is written.
  constexpr int64_t kBlock = 512;
  for (int64_t start = 0; start < rows_; start += kBlock) {
    const int64_t end = std::min(rows_, start + kBlock);
    for (int64_t d = 0; d < D; ++d) {
      const ColumnView& view = views[static_cast<size_t>(d)];
      const float* src = view.As<float>();
      if (view.valid == nullptr) {
        for (int64_t r = start; r < end; ++r) v[r * D + d] = src[r];
        for (int64_t r = start; r < end; ++r) p[r * D + d] = 1;
        continue;
      }
      for (int64_t r = start; r < end; ++r) {
        const bool valid = view.Valid(r);
        v[r * D + d] = valid ? src[r] : 0.0f;
        p[r * D + d] = valid;
      }
    }
  }
  dense_ = v;
  dense_present_ = p;
  dense_buffer_ = std::move(*values);
  dense_present_buffer_ = std::move(*present);
  return Status::OK();
}

}  // namespace strata::loader
