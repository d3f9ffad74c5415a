#pragma once
// How a feature group appears as an Iceberg table: the columns (entity key, event time,
// write_seq, then the features), their Iceberg field ids and types, the Arrow schema of its
// Parquet data files, and the partition spec day(event_time).
//
// Field ids are derived from the registry's stable ids, so they are never reused: key 1,
// event time 2, write_seq 3, feature with registry id f: 2f+2 (its list element: 2f+3).
// Embeddings are stored at full precision as list<float> (Iceberg has no fixed-size list).

#include <arrow/type_fwd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "strata/core/definitions.h"

namespace strata::iceberg {

inline constexpr int kKeyFieldId = 1;
inline constexpr int kEventTimeFieldId = 2;
inline constexpr int kWriteSeqFieldId = 3;
inline constexpr int kPartitionFieldId = 1000;
inline constexpr char kWriteSeqColumn[] = "write_seq";

inline int FeatureFieldId(const FeatureDef& f) { return static_cast<int>(2 * f.id + 2); }
inline int ElementFieldId(const FeatureDef& f) { return static_cast<int>(2 * f.id + 3); }

// The Iceberg schema JSON ("type": "struct", "fields": [...]) with `schema_id`.
nlohmann::json SchemaJson(const EntityDef& entity, const FeatureGroupDef& group, int schema_id);
// The highest field id the schema uses.
int LastColumnId(const FeatureGroupDef& group);
// Partition spec 0: day(event_time), named "<event_time>_day".
nlohmann::json PartitionSpecJson(const FeatureGroupDef& group);
std::string PartitionFieldName(const FeatureGroupDef& group);

// Arrow schema of data files, each field carrying "PARQUET:field_id".
std::shared_ptr<arrow::Schema> ArrowSchema(const EntityDef& entity, const FeatureGroupDef& group);
// The Arrow type a feature has in the offline table (embeddings: list<float32>).
std::shared_ptr<arrow::DataType> OfflineArrowType(const FeatureDef& feature);

// True when two schema JSONs have the same fields (ids, names, types, requiredness).
bool SameFields(const nlohmann::json& a, const nlohmann::json& b);

// Days since 1970-01-01 of a timestamp in microseconds (floor), and the partition path value.
int32_t DayOf(int64_t micros);
std::string DayString(int32_t day);

}  // namespace strata::iceberg
