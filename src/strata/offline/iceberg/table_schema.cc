#include "strata/offline/iceberg/table_schema.h"

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>

#include <cstdio>

#include "strata/core/arrow_types.h"
#include "strata/core/time.h"

namespace strata::iceberg {

namespace {

using nlohmann::json;

const char* PrimitiveName(TypeId id) {
  switch (id) {
    case TypeId::kBool: return "boolean";
    case TypeId::kInt32: return "int";
    case TypeId::kInt64: return "long";
    case TypeId::kFloat32: return "float";
    case TypeId::kFloat64: return "double";
    case TypeId::kString: return "string";
    case TypeId::kBytes: return "binary";
    case TypeId::kTimestamp: return "timestamptz";
    case TypeId::kListInt64: return "long";
    case TypeId::kListFloat32:
    case TypeId::kVector: return "float";
    case TypeId::kListString: return "string";
  }
  return "string";
}

bool IsListLike(const DataType& t) { return t.is_list() || t.id == TypeId::kVector; }

std::shared_ptr<arrow::KeyValueMetadata> FieldId(int id) {
  return arrow::key_value_metadata({"PARQUET:field_id"}, {std::to_string(id)});
}

}  // namespace

json SchemaJson(const EntityDef& entity, const FeatureGroupDef& group, int schema_id) {
  json fields = json::array();
  fields.push_back({{"id", kKeyFieldId}, {"name", entity.key}, {"required", true},
                    {"type", entity.key_type == KeyType::kInt64 ? "long" : "string"}});
  fields.push_back({{"id", kEventTimeFieldId}, {"name", group.event_time}, {"required", true}, {"type", "timestamptz"}});
  fields.push_back({{"id", kWriteSeqFieldId}, {"name", kWriteSeqColumn}, {"required", true}, {"type", "long"}});
  for (const auto& f : group.features) {
    json field = {{"id", FeatureFieldId(f)}, {"name", f.name}, {"required", false}};
    if (IsListLike(f.type)) {
      field["type"] = {{"type", "list"}, {"element-id", ElementFieldId(f)}, {"element", PrimitiveName(f.type.id)},
                       {"element-required", false}};
      if (f.type.id == TypeId::kVector) field["doc"] = f.type.ToString();
    } else {
      field["type"] = PrimitiveName(f.type.id);
    }
    fields.push_back(std::move(field));
  }
  return {{"type", "struct"}, {"schema-id", schema_id}, {"identifier-field-ids", json::array()}, {"fields", fields}};
}

int LastColumnId(const FeatureGroupDef& group) {
  int last = kWriteSeqFieldId;
  for (const auto& f : group.features) last = std::max(last, IsListLike(f.type) ? ElementFieldId(f) : FeatureFieldId(f));
  return last;
}

std::string PartitionFieldName(const FeatureGroupDef& group) { return group.event_time + "_day"; }

json PartitionSpecJson(const FeatureGroupDef& group) {
  return {{"spec-id", 0},
          {"fields", json::array({{{"source-id", kEventTimeFieldId}, {"field-id", kPartitionFieldId},
                                   {"transform", "day"}, {"name", PartitionFieldName(group)}}})}};
}

std::shared_ptr<arrow::DataType> OfflineArrowType(const FeatureDef& f) {
  if (f.type.id == TypeId::kVector || f.type.is_list()) {
    auto element = f.type.id == TypeId::kListInt64    ? arrow::int64()
                   : f.type.id == TypeId::kListString ? arrow::utf8()
                                                      : arrow::float32();
    return arrow::list(arrow::field("element", element, true, FieldId(ElementFieldId(f))));
  }
  return ArrowTypeOf(f.type);  // scalars: as everywhere else
}

std::shared_ptr<arrow::Schema> ArrowSchema(const EntityDef& entity, const FeatureGroupDef& group) {
  arrow::FieldVector fields;
  fields.push_back(arrow::field(entity.key, ArrowTypeOf(entity.key_type), false,
                                FieldId(kKeyFieldId)));
  fields.push_back(arrow::field(group.event_time, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), false,
                                FieldId(kEventTimeFieldId)));
  fields.push_back(arrow::field(kWriteSeqColumn, arrow::int64(), false, FieldId(kWriteSeqFieldId)));
  for (const auto& f : group.features)
    fields.push_back(arrow::field(f.name, OfflineArrowType(f), true, FieldId(FeatureFieldId(f))));
  return arrow::schema(std::move(fields));
}

bool SameFields(const json& a, const json& b) { return a.value("fields", json()) == b.value("fields", json()); }

int32_t DayOf(int64_t micros) {
  int64_t d = micros / kMicrosPerDay;
  if (micros % kMicrosPerDay < 0) --d;
  return static_cast<int32_t>(d);
}

std::string DayString(int32_t day) {
  // Civil date from days since the epoch (Howard Hinnant's algorithm).
  int64_t z = static_cast<int64_t>(day) + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lld", static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d));
  return buf;
}

}  // namespace strata::iceberg
