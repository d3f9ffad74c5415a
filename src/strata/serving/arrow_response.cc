#include "strata/serving/arrow_response.h"

#include <arrow/api.h>

#include "strata/core/arrow_ipc.h"
#include "strata/core/arrow_status.h"

namespace strata::serving {

namespace {

Result<std::shared_ptr<arrow::DataType>> ElementType(const std::string& type) {
  if (type == "bool") return arrow::boolean();
  if (type == "int32") return arrow::int32();
  if (type == "int64") return arrow::int64();
  if (type == "float32") return arrow::float32();
  if (type == "float64") return arrow::float64();
  if (type == "string") return arrow::utf8();
  if (type == "bytes") return arrow::binary();
  if (type == "timestamp") return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  return Status::Internal("no Arrow type for the served type '" + type + "'");
}

// Elements [begin, end) of the value list `type` selects, as an Arrow array (valid[i - begin]
// or all valid when `valid` is null).
Result<std::shared_ptr<arrow::Array>> Elements(const std::string& type, const v1::Values& v, int64_t begin, int64_t end,
                                               const std::vector<uint8_t>* valid) {
  STRATA_ASSIGN_OR_RETURN(auto t, ElementType(type));
  const int64_t n = end - begin;
  const uint8_t* validity = valid ? valid->data() : nullptr;
  auto check = [&](int size) -> Status {
    if (end > size) return Status::Internal("the response's " + type + " values are shorter than its rows");
    return Status::OK();
  };
  std::unique_ptr<arrow::ArrayBuilder> builder;
  STRATA_RETURN_NOT_OK(FromArrow(arrow::MakeBuilder(arrow::default_memory_pool(), t, &builder), "serving"));
  arrow::Status st;
  switch (t->id()) {
    case arrow::Type::BOOL: {
      STRATA_RETURN_NOT_OK(check(v.bool_values_size()));
      std::vector<uint8_t> bytes(v.bool_values().begin() + begin, v.bool_values().begin() + end);
      st = static_cast<arrow::BooleanBuilder&>(*builder).AppendValues(bytes.data(), n, validity);
      break;
    }
    case arrow::Type::INT32:
      STRATA_RETURN_NOT_OK(check(v.int32_values_size()));
      st = static_cast<arrow::Int32Builder&>(*builder).AppendValues(v.int32_values().data() + begin, n, validity);
      break;
    case arrow::Type::INT64:
      STRATA_RETURN_NOT_OK(check(v.int64_values_size()));
      st = static_cast<arrow::Int64Builder&>(*builder).AppendValues(v.int64_values().data() + begin, n, validity);
      break;
    case arrow::Type::TIMESTAMP:
      STRATA_RETURN_NOT_OK(check(v.int64_values_size()));
      st = static_cast<arrow::TimestampBuilder&>(*builder).AppendValues(v.int64_values().data() + begin, n, validity);
      break;
    case arrow::Type::FLOAT:
      STRATA_RETURN_NOT_OK(check(v.float_values_size()));
      st = static_cast<arrow::FloatBuilder&>(*builder).AppendValues(v.float_values().data() + begin, n, validity);
      break;
    case arrow::Type::DOUBLE:
      STRATA_RETURN_NOT_OK(check(v.double_values_size()));
      st = static_cast<arrow::DoubleBuilder&>(*builder).AppendValues(v.double_values().data() + begin, n, validity);
      break;
    case arrow::Type::STRING:
    case arrow::Type::BINARY: {
      const auto& field = t->id() == arrow::Type::STRING ? v.string_values() : v.bytes_values();
      STRATA_RETURN_NOT_OK(check(field.size()));
      auto& b = static_cast<arrow::BinaryBuilder&>(*builder);
      for (int64_t i = begin; i < end && st.ok(); ++i) {
        st = (validity && !validity[i - begin]) ? b.AppendNull() : b.Append(field.Get(static_cast<int>(i)));
      }
      break;
    }
    default:
      return Status::Internal("serving values of Arrow type " + t->ToString());
  }
  STRATA_RETURN_NOT_OK(FromArrow(st, "serving"));
  std::shared_ptr<arrow::Array> out;
  STRATA_RETURN_NOT_OK(FromArrow(builder->Finish(&out), "serving"));
  return out;
}

// The values of one column, one per key: T, list<T> or fixed_size_list<float32, D>.
Result<std::shared_ptr<arrow::Array>> ColumnValues(const v1::FeatureColumn& c) {
  const int64_t rows = c.statuses_size();
  std::vector<uint8_t> valid(rows);
  for (int64_t i = 0; i < rows; ++i) valid[i] = c.statuses(static_cast<int>(i)) == v1::PRESENT;
  const std::string& type = c.type();
  const v1::Values& v = c.values();
  if (type.rfind("vector<", 0) == 0) {
    const int64_t d = v.dimension();
    if (d <= 0 || v.float_values_size() != rows * d) return Status::Internal("embedding column " + c.name() + " is malformed");
    STRATA_ASSIGN_OR_RETURN(auto child, Elements("float32", v, 0, rows * d, nullptr));
    std::shared_ptr<arrow::Buffer> bitmap;
    STRATA_RETURN_NOT_OK(FromArrow(arrow::AllocateEmptyBitmap(rows).Value(&bitmap), "serving"));
    int64_t nulls = 0;
    for (int64_t i = 0; i < rows; ++i) {
      if (valid[i]) arrow::bit_util::SetBit(bitmap->mutable_data(), i); else ++nulls;
    }
    return std::shared_ptr<arrow::Array>(std::make_shared<arrow::FixedSizeListArray>(arrow::fixed_size_list(arrow::float32(), static_cast<int32_t>(d)),
                                                       rows, child, bitmap, nulls));
  }
  if (type.rfind("list<", 0) == 0 && type.back() == '>') {
    const std::string element = type.substr(5, type.size() - 6);
    if (v.list_offsets_size() != rows + 1) return Status::Internal("list column " + c.name() + " has no offsets");
    const int64_t total = v.list_offsets(static_cast<int>(rows));
    STRATA_ASSIGN_OR_RETURN(auto child, Elements(element, v, 0, total, nullptr));
    arrow::Int32Builder offsets;
    for (int64_t i = 0; i <= rows; ++i) STRATA_RETURN_NOT_OK(FromArrow(offsets.Append(static_cast<int32_t>(v.list_offsets(static_cast<int>(i)))), "serving"));
    std::shared_ptr<arrow::Array> offsets_array;
    STRATA_RETURN_NOT_OK(FromArrow(offsets.Finish(&offsets_array), "serving"));
    std::shared_ptr<arrow::Buffer> bitmap;
    STRATA_RETURN_NOT_OK(FromArrow(arrow::AllocateEmptyBitmap(rows).Value(&bitmap), "serving"));
    int64_t nulls = 0;
    for (int64_t i = 0; i < rows; ++i) {
      if (valid[i]) arrow::bit_util::SetBit(bitmap->mutable_data(), i); else ++nulls;
    }
    return std::shared_ptr<arrow::Array>(std::make_shared<arrow::ListArray>(
        arrow::list(child->type()), rows, offsets_array->data()->buffers[1], child, bitmap, nulls));
  }
  return Elements(type, v, 0, rows, &valid);
}

// `values` as the single row of a list array.
std::shared_ptr<arrow::Array> AsOneRow(const std::shared_ptr<arrow::Array>& values) {
  auto offsets = std::make_shared<arrow::Int32Array>(2, arrow::Buffer::FromVector(std::vector<int32_t>{0, static_cast<int32_t>(values->length())}));
  return std::make_shared<arrow::ListArray>(arrow::list(values->type()), 1, offsets->data()->buffers[1], values);
}

// Event times as timestamps, null where missing: where the column's status says so, or (a
// group's, which have no statuses) where 0.
Result<std::shared_ptr<arrow::Array>> EventTimeArray(const google::protobuf::RepeatedField<int64_t>& micros,
                                                     const v1::FeatureColumn* column = nullptr) {
  arrow::TimestampBuilder times(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), arrow::default_memory_pool());
  for (int i = 0; i < micros.size(); ++i) {
    const bool missing = column ? column->statuses(i) == v1::MISSING : micros[i] == 0;
    STRATA_RETURN_NOT_OK(FromArrow(missing ? times.AppendNull() : times.Append(micros[i]), "serving"));
  }
  std::shared_ptr<arrow::Array> out;
  STRATA_RETURN_NOT_OK(FromArrow(times.Finish(&out), "serving"));
  return out;
}

}  // namespace

Result<std::string> EncodeArrowResponse(const v1::GetFeaturesResponse& response) {
  arrow::FieldVector fields;
  arrow::ArrayVector columns;
  for (const auto& c : response.columns()) {
    const int64_t rows = c.statuses_size();
    STRATA_ASSIGN_OR_RETURN(auto values, ColumnValues(c));
    auto meta = arrow::key_value_metadata({"entity", "type"}, {c.entity(), c.type()});
    fields.push_back(arrow::field(c.name(), arrow::list(values->type()), false, meta));
    columns.push_back(AsOneRow(values));

    arrow::Int8Builder statuses;
    for (int64_t i = 0; i < rows; ++i)
      STRATA_RETURN_NOT_OK(FromArrow(statuses.Append(static_cast<int8_t>(c.statuses(static_cast<int>(i)))), "serving"));
    std::shared_ptr<arrow::Array> s;
    STRATA_RETURN_NOT_OK(FromArrow(statuses.Finish(&s), "serving"));
    fields.push_back(arrow::field(c.name() + "#status", arrow::list(s->type()), false));
    columns.push_back(AsOneRow(s));
    if (c.event_time_micros_size() != rows) continue;  // sent per group, or not at all
    STRATA_ASSIGN_OR_RETURN(auto t, EventTimeArray(c.event_time_micros(), &c));
    fields.push_back(arrow::field(c.name() + "#event_time", arrow::list(t->type()), false));
    columns.push_back(AsOneRow(t));
  }
  for (const auto& g : response.groups()) {
    STRATA_ASSIGN_OR_RETURN(auto t, EventTimeArray(g.event_time_micros()));
    auto meta = arrow::key_value_metadata({"entity"}, {g.entity()});
    fields.push_back(arrow::field(g.group() + "#event_time", arrow::list(t->type()), false, meta));
    columns.push_back(AsOneRow(t));
  }
  auto schema = arrow::schema(fields, arrow::key_value_metadata({"request_id", "as_of_micros"},
                                                                 {response.request_id(), std::to_string(response.as_of_micros())}));
  return RecordBatchToIpc(*arrow::RecordBatch::Make(schema, 1, columns));
}

}  // namespace strata::serving
