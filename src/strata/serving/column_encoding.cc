#include "strata/serving/column_encoding.h"

#include <arrow/array.h>
#include <arrow/type.h>

#include <algorithm>

namespace strata::serving {

namespace {

// Appends values [begin, end) of a flat array to the list its type selects; nulls as placeholders.
Status AppendFlat(const arrow::Array& a, int64_t begin, int64_t end, v1::Values* out) {
  const int64_t n = end - begin;
  auto copy = [&](auto* field, const auto* raw) {
    const int base = field->size();
    field->Resize(base + static_cast<int>(n), {});
    std::copy(raw + begin, raw + end, field->mutable_data() + base);
    // Placeholders where null: the buffers under nulls are not guaranteed to be zero.
    if (a.null_count() > 0)
      for (int64_t i = begin; i < end; ++i)
        if (a.IsNull(i)) field->Set(base + static_cast<int>(i - begin), {});
  };
  switch (a.type_id()) {
    case arrow::Type::BOOL: {
      const auto& b = static_cast<const arrow::BooleanArray&>(a);
      for (int64_t i = begin; i < end; ++i) out->add_bool_values(b.IsValid(i) && b.Value(i));
      return Status::OK();
    }
    case arrow::Type::INT32:
      copy(out->mutable_int32_values(), static_cast<const arrow::Int32Array&>(a).raw_values());
      return Status::OK();
    case arrow::Type::INT64:
      copy(out->mutable_int64_values(), static_cast<const arrow::Int64Array&>(a).raw_values());
      return Status::OK();
    case arrow::Type::TIMESTAMP:
      copy(out->mutable_int64_values(), static_cast<const arrow::TimestampArray&>(a).raw_values());
      return Status::OK();
    case arrow::Type::FLOAT:
      copy(out->mutable_float_values(), static_cast<const arrow::FloatArray&>(a).raw_values());
      return Status::OK();
    case arrow::Type::DOUBLE:
      copy(out->mutable_double_values(), static_cast<const arrow::DoubleArray&>(a).raw_values());
      return Status::OK();
    case arrow::Type::STRING:
    case arrow::Type::BINARY: {
      const auto& s = static_cast<const arrow::BinaryArray&>(a);
      auto* field = a.type_id() == arrow::Type::STRING ? out->mutable_string_values() : out->mutable_bytes_values();
      field->Reserve(field->size() + static_cast<int>(n));
      for (int64_t i = begin; i < end; ++i) {
        if (s.IsNull(i)) field->Add();
        else field->Add(std::string(s.GetView(i)));
      }
      return Status::OK();
    }
    default:
      return Status::Internal("serving values of Arrow type " + a.type()->ToString());
  }
}

}  // namespace

void EncodeEventTimes(const std::vector<RowInfo>& info, google::protobuf::RepeatedField<int64_t>* out) {
  out->Reserve(static_cast<int>(info.size()));
  for (const RowInfo& r : info) out->Add(r.state == RowState::kMissing ? 0 : r.event_time);
}

Status EncodeColumn(const arrow::Array& array, const std::vector<RowInfo>& info, int32_t last_n, bool event_times,
                    v1::FeatureColumn* out) {
  const int64_t rows = array.length();
  if (static_cast<int64_t>(info.size()) != rows) return Status::Internal("row info does not match the column");
  out->mutable_statuses()->Reserve(static_cast<int>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    const RowInfo& r = info[i];
    v1::FeatureStatus s = r.state == RowState::kPresent ? (array.IsNull(i) ? v1::NULL_VALUE : v1::PRESENT)
                          : r.state == RowState::kExpired ? v1::EXPIRED
                                                          : v1::MISSING;
    out->add_statuses(s);
  }
  if (event_times) EncodeEventTimes(info, out->mutable_event_time_micros());
  v1::Values* values = out->mutable_values();
  switch (array.type_id()) {
    case arrow::Type::FIXED_SIZE_LIST: {  // embeddings: D floats per row, zeros where null
      const auto& l = static_cast<const arrow::FixedSizeListArray&>(array);
      const int32_t d = l.list_type()->list_size();
      values->set_dimension(static_cast<uint32_t>(d));
      const auto& child = *l.values();
      auto* field = values->mutable_float_values();
      field->Reserve(static_cast<int>(rows * d));
      for (int64_t i = 0; i < rows; ++i) {
        if (l.IsNull(i)) {
          for (int32_t j = 0; j < d; ++j) field->Add(0.0f);
        } else {
          const int64_t off = l.value_offset(i);
          STRATA_RETURN_NOT_OK(AppendFlat(child, off, off + d, values));
        }
      }
      return Status::OK();
    }
    case arrow::Type::LIST: {  // list features and sequences: flattened with offsets
      const auto& l = static_cast<const arrow::ListArray&>(array);
      auto* offsets = values->mutable_list_offsets();
      offsets->Reserve(static_cast<int>(rows + 1));
      uint32_t total = 0;
      offsets->Add(0);
      for (int64_t i = 0; i < rows; ++i) {
        if (!l.IsNull(i)) {
          const int64_t begin = l.value_offset(i);
          int64_t end = l.value_offset(i + 1);
          if (last_n > 0) end = std::min(end, begin + last_n);
          STRATA_RETURN_NOT_OK(AppendFlat(*l.values(), begin, end, values));
          total += static_cast<uint32_t>(end - begin);
        }
        offsets->Add(total);
      }
      return Status::OK();
    }
    default:
      return AppendFlat(array, 0, rows, values);
  }
}

}  // namespace strata::serving
