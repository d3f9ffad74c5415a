#include "strata/offline/iceberg/manifest.h"

#include <algorithm>

#include "strata/offline/avro/avro_file_reader.h"
#include "strata/offline/avro/avro_file_writer.h"

namespace strata::iceberg {

namespace {

using nlohmann::json;

json Optional(json type) { return json::array({"null", std::move(type)}); }

// Iceberg encodes map<int, T> in Avro as an array of key/value records.
json IntMap(int field_id, int key_id, int value_id, const char* value_type) {
  const std::string name = "k" + std::to_string(key_id) + "_v" + std::to_string(value_id);
  json items = {{"type", "record"},
                {"name", name},
                {"fields", json::array({{{"name", "key"}, {"type", "int"}, {"field-id", key_id}},
                                        {{"name", "value"}, {"type", value_type}, {"field-id", value_id}}})}};
  (void)field_id;
  return Optional({{"type", "array"}, {"items", items}, {"logicalType", "map"}});
}

json ManifestEntrySchema(const std::string& partition_name) {
  json partition = {{"type", "record"},
                    {"name", "r102"},
                    {"fields", json::array({{{"name", partition_name},
                                             {"field-id", 1000},
                                             {"type", {{"type", "int"}, {"logicalType", "date"}}}}})}};
  auto f = [](const char* name, int id, json type) { return json{{"name", name}, {"field-id", id}, {"type", type}}; };
  auto opt = [](const char* name, int id, json type) {
    return json{{"name", name}, {"field-id", id}, {"type", Optional(std::move(type))}, {"default", nullptr}};
  };
  auto map = [](const char* name, int id, int k, int v, const char* vt) {
    return json{{"name", name}, {"field-id", id}, {"type", IntMap(id, k, v, vt)}, {"default", nullptr}};
  };
  json data_file = {
      {"type", "record"},
      {"name", "r2"},
      {"fields",
       json::array({f("content", 134, "int"), f("file_path", 100, "string"), f("file_format", 101, "string"),
                    f("partition", 102, partition), f("record_count", 103, "long"),
                    f("file_size_in_bytes", 104, "long"), map("column_sizes", 108, 117, 118, "long"),
                    map("value_counts", 109, 119, 120, "long"), map("null_value_counts", 110, 121, 122, "long"),
                    map("nan_value_counts", 137, 138, 139, "long"), map("lower_bounds", 125, 126, 127, "bytes"),
                    map("upper_bounds", 128, 129, 130, "bytes"), opt("key_metadata", 131, "bytes"),
                    opt("split_offsets", 132, {{"type", "array"}, {"element-id", 133}, {"items", "long"}}),
                    opt("equality_ids", 135, {{"type", "array"}, {"element-id", 136}, {"items", "int"}}),
                    opt("sort_order_id", 140, "int")})}};
  return {{"type", "record"},
          {"name", "manifest_entry"},
          {"fields", json::array({f("status", 0, "int"), opt("snapshot_id", 1, "long"), opt("sequence_number", 3, "long"),
                                  opt("file_sequence_number", 4, "long"), f("data_file", 2, data_file)})}};
}

json ManifestListSchema() {
  auto f = [](const char* name, int id, json type) { return json{{"name", name}, {"field-id", id}, {"type", type}}; };
  auto opt = [](const char* name, int id, json type) {
    return json{{"name", name}, {"field-id", id}, {"type", Optional(std::move(type))}, {"default", nullptr}};
  };
  json summary = {{"type", "record"},
                  {"name", "r508"},
                  {"fields", json::array({f("contains_null", 509, "boolean"), opt("contains_nan", 518, "boolean"),
                                          opt("lower_bound", 510, "bytes"), opt("upper_bound", 511, "bytes")})}};
  return {{"type", "record"},
          {"name", "manifest_file"},
          {"fields",
           json::array({f("manifest_path", 500, "string"), f("manifest_length", 501, "long"),
                        f("partition_spec_id", 502, "int"), f("content", 517, "int"),
                        f("sequence_number", 515, "long"), f("min_sequence_number", 516, "long"),
                        f("added_snapshot_id", 503, "long"), f("added_files_count", 504, "int"),
                        f("existing_files_count", 505, "int"), f("deleted_files_count", 506, "int"),
                        f("added_rows_count", 512, "long"), f("existing_rows_count", 513, "long"),
                        f("deleted_rows_count", 514, "long"),
                        opt("partitions", 507, {{"type", "array"}, {"element-id", 508}, {"items", summary}}),
                        opt("key_metadata", 519, "bytes")})}};
}

void WriteLongMap(avro::Encoder& e, const std::map<int, int64_t>& m) {
  e.Branch(1);
  e.BlockStart(static_cast<int64_t>(m.size()));
  for (const auto& [k, v] : m) {
    e.Int(k);
    e.Long(v);
  }
  e.BlockEnd();
}

void WriteBytesMap(avro::Encoder& e, const std::map<int, std::string>& m) {
  e.Branch(1);
  e.BlockStart(static_cast<int64_t>(m.size()));
  for (const auto& [k, v] : m) {
    e.Int(k);
    e.Bytes(v);
  }
  e.BlockEnd();
}

std::string Int32Bytes(int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

// Reading: JSON values decoded by the Avro reader.
int64_t Num(const json& j, const char* key, int64_t fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

std::string BinaryString(const json& j) {
  if (!j.is_binary()) return {};
  const auto& b = j.get_binary();
  return std::string(b.begin(), b.end());
}

template <typename T>
void ReadMap(const json& j, std::map<int, T>* out) {
  if (!j.is_array()) return;
  for (const auto& kv : j) {
    if (!kv.is_object()) continue;
    const int k = static_cast<int>(Num(kv, "key"));
    if constexpr (std::is_same_v<T, int64_t>) {
      (*out)[k] = Num(kv, "value");
    } else {
      (*out)[k] = BinaryString(kv.value("value", json()));
    }
  }
}

Status Malformed(const std::string& name, const std::string& what) {
  return Status::Corruption("Iceberg manifest " + name + " is malformed: " + what);
}

}  // namespace

std::string WriteManifest(const std::vector<ManifestEntry>& entries, const json& schema,
                          const std::string& partition_name) {
  json spec = json::array({{{"source-id", 2}, {"field-id", 1000}, {"transform", "day"}, {"name", partition_name}}});
  avro::FileWriter w(ManifestEntrySchema(partition_name).dump(),
                     {{"schema", schema.dump()}, {"schema-id", std::to_string(schema.value("schema-id", 0))},
                      {"partition-spec", spec.dump()}, {"partition-spec-id", "0"}, {"format-version", "2"},
                      {"content", "data"}});
  for (const auto& en : entries) {
    auto& e = w.record();
    e.Int(static_cast<int>(en.status));
    e.Branch(1), e.Long(en.snapshot_id);
    e.Branch(1), e.Long(en.sequence_number);
    e.Branch(1), e.Long(en.file_sequence_number);
    const DataFile& f = en.file;
    e.Int(0);  // content: data
    e.String(f.path);
    e.String("PARQUET");
    e.Int(f.partition_day);
    e.Long(f.record_count);
    e.Long(f.file_size);
    WriteLongMap(e, f.column_sizes);
    WriteLongMap(e, f.value_counts);
    WriteLongMap(e, f.null_counts);
    e.Branch(0);  // nan_value_counts
    WriteBytesMap(e, f.lower_bounds);
    WriteBytesMap(e, f.upper_bounds);
    e.Branch(0);  // key_metadata
    e.Branch(1);
    e.BlockStart(static_cast<int64_t>(f.split_offsets.size()));
    for (int64_t o : f.split_offsets) e.Long(o);
    e.BlockEnd();
    e.Branch(0);  // equality_ids
    e.Branch(0);  // sort_order_id
    w.EndRecord();
  }
  return w.Finish();
}

Result<std::vector<ManifestEntry>> ReadManifest(const std::string& bytes, const std::string& name,
                                                const ManifestFile& owner) {
  STRATA_ASSIGN_OR_RETURN(auto contents, avro::ReadFile(bytes, name));
  if (contents.metadata.count("content") && contents.metadata["content"] != "data")
    return Status::InvalidArgument("Iceberg manifest " + name + " holds delete files, which Strata does not read");
  std::vector<ManifestEntry> out;
  for (const auto& r : contents.records) {
    if (!r.is_object() || !r.contains("data_file") || !r["data_file"].is_object()) return Malformed(name, "no data_file");
    ManifestEntry en;
    en.status = static_cast<EntryStatus>(Num(r, "status"));
    en.snapshot_id = Num(r, "snapshot_id", owner.added_snapshot_id);
    // Null sequence numbers are inherited from the manifest (only for entries it added).
    en.sequence_number = Num(r, "sequence_number", owner.sequence_number);
    en.file_sequence_number = Num(r, "file_sequence_number", owner.sequence_number);
    const json& d = r["data_file"];
    DataFile& f = en.file;
    if (Num(d, "content") != 0) return Malformed(name, "a delete file entry");
    if (!d.contains("file_path") || !d["file_path"].is_string()) return Malformed(name, "no file_path");
    f.path = d["file_path"].get<std::string>();
    if (d.value("file_format", std::string()) != "PARQUET" && d.value("file_format", std::string()) != "parquet")
      return Malformed(name, f.path + " is not a Parquet file");
    if (d.contains("partition") && d["partition"].is_object()) {
      for (const auto& [k, v] : d["partition"].items())
        if (v.is_number_integer()) f.partition_day = v.get<int32_t>();
    }
    f.record_count = Num(d, "record_count");
    f.file_size = Num(d, "file_size_in_bytes");
    ReadMap(d.value("column_sizes", json()), &f.column_sizes);
    ReadMap(d.value("value_counts", json()), &f.value_counts);
    ReadMap(d.value("null_value_counts", json()), &f.null_counts);
    ReadMap(d.value("lower_bounds", json()), &f.lower_bounds);
    ReadMap(d.value("upper_bounds", json()), &f.upper_bounds);
    if (d.contains("split_offsets") && d["split_offsets"].is_array())
      for (const auto& o : d["split_offsets"])
        if (o.is_number_integer()) f.split_offsets.push_back(o.get<int64_t>());
    out.push_back(std::move(en));
  }
  return out;
}

std::string WriteManifestList(const std::vector<ManifestFile>& manifests, int64_t snapshot_id,
                              std::optional<int64_t> parent_snapshot_id, int64_t sequence_number) {
  avro::FileWriter w(ManifestListSchema().dump(),
                     {{"snapshot-id", std::to_string(snapshot_id)},
                      {"parent-snapshot-id", parent_snapshot_id ? std::to_string(*parent_snapshot_id) : "null"},
                      {"sequence-number", std::to_string(sequence_number)},
                      {"format-version", "2"}});
  for (const auto& m : manifests) {
    auto& e = w.record();
    e.String(m.path);
    e.Long(m.length);
    e.Int(0);  // partition_spec_id
    e.Int(0);  // content: data
    e.Long(m.sequence_number);
    e.Long(m.min_sequence_number);
    e.Long(m.added_snapshot_id);
    e.Int(m.added_files);
    e.Int(m.existing_files);
    e.Int(m.deleted_files);
    e.Long(m.added_rows);
    e.Long(m.existing_rows);
    e.Long(m.deleted_rows);
    e.Branch(1);
    e.BlockStart(1);
    e.Bool(false);  // contains_null: day(event_time) of a required column
    e.Branch(0);    // contains_nan
    if (m.lower_day) {
      e.Branch(1), e.Bytes(Int32Bytes(*m.lower_day));
      e.Branch(1), e.Bytes(Int32Bytes(*m.upper_day));
    } else {
      e.Branch(0), e.Branch(0);
    }
    e.BlockEnd();
    e.Branch(0);  // key_metadata
    w.EndRecord();
  }
  return w.Finish();
}

Result<std::vector<ManifestFile>> ReadManifestList(const std::string& bytes, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(auto contents, avro::ReadFile(bytes, name));
  std::vector<ManifestFile> out;
  for (const auto& r : contents.records) {
    if (!r.is_object() || !r.contains("manifest_path") || !r["manifest_path"].is_string())
      return Status::Corruption("Iceberg manifest list " + name + " is malformed: no manifest_path");
    if (Num(r, "content") != 0)
      return Status::InvalidArgument("Iceberg manifest list " + name + " names delete manifests, which Strata does not read");
    ManifestFile m;
    m.path = r["manifest_path"].get<std::string>();
    m.length = Num(r, "manifest_length");
    m.sequence_number = Num(r, "sequence_number");
    m.min_sequence_number = Num(r, "min_sequence_number");
    m.added_snapshot_id = Num(r, "added_snapshot_id");
    m.added_files = static_cast<int32_t>(Num(r, "added_files_count"));
    m.existing_files = static_cast<int32_t>(Num(r, "existing_files_count"));
    m.deleted_files = static_cast<int32_t>(Num(r, "deleted_files_count"));
    m.added_rows = Num(r, "added_rows_count");
    m.existing_rows = Num(r, "existing_rows_count");
    m.deleted_rows = Num(r, "deleted_rows_count");
    out.push_back(std::move(m));
  }
  return out;
}

ManifestFile SummarizeManifest(const std::vector<ManifestEntry>& entries) {
  ManifestFile m;
  bool first = true;
  for (const auto& en : entries) {
    switch (en.status) {
      case EntryStatus::kAdded: ++m.added_files, m.added_rows += en.file.record_count; break;
      case EntryStatus::kExisting: ++m.existing_files, m.existing_rows += en.file.record_count; break;
      case EntryStatus::kDeleted: ++m.deleted_files, m.deleted_rows += en.file.record_count; break;
    }
    if (en.status == EntryStatus::kDeleted) continue;
    if (first || en.sequence_number < m.min_sequence_number) m.min_sequence_number = en.sequence_number;
    m.lower_day = m.lower_day ? std::min(*m.lower_day, en.file.partition_day) : en.file.partition_day;
    m.upper_day = m.upper_day ? std::max(*m.upper_day, en.file.partition_day) : en.file.partition_day;
    first = false;
  }
  return m;
}

}  // namespace strata::iceberg
