// strata._strata.Store: the embedded feature repository (apply, ingest, online reads, training
// sets, offline scans). Tables cross the boundary as Arrow C streams; every call that does
// real work runs without the GIL.

#include <arrow/api.h>
#include <arrow/compute/cast.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "native_support.h"
#include "strata/core/byte_size.h"
#include "strata/core/time.h"
#include "strata/ingest/file_ingestor.h"
#include "strata/store/feature_repository.h"
#include "strata/offline/offline_store.h"
#include "strata/store/group_scan.h"
#include "strata/training/feature_refs.h"
#include "strata/training/training_set.h"

namespace strata::python {

namespace {

std::optional<int64_t> ParseTime(const std::optional<std::string>& text, const char* what) {
  if (!text) return std::nullopt;
  auto t = ParseTimestamp(*text);
  if (!t.ok()) Raise(t.status().WithContext(what));
  return *t;
}

// Entity keys from an Arrow array: integers for int64 entities, strings for string ones.
Result<std::vector<Value>> KeysFrom(const arrow::Array& array, const EntityDef& entity) {
  std::vector<Value> keys;
  keys.reserve(static_cast<size_t>(array.length()));
  const bool ints = entity.key_type == KeyType::kInt64;
  const bool accepted = ints ? arrow::is_integer(array.type_id())
                             : array.type_id() == arrow::Type::STRING || array.type_id() == arrow::Type::LARGE_STRING;
  if (!accepted)
    return Status::InvalidArgument("keys of entity " + entity.name + " (" + entity.key + ") must be " +
                                   (ints ? "integers" : "strings") + ", not " + array.type()->ToString());
  auto cast = arrow::compute::Cast(array, ints ? arrow::int64() : arrow::utf8());
  if (!cast.ok()) return Status::InvalidArgument("keys of " + entity.name + ": " + cast.status().ToString());
  const std::shared_ptr<arrow::Array>& typed = *cast;
  if (typed->null_count() > 0) return Status::InvalidArgument("keys of entity " + entity.name + " include a null");
  for (int64_t i = 0; i < typed->length(); ++i) {
    if (ints) {
      keys.emplace_back(static_cast<const arrow::Int64Array&>(*typed).Value(i));
    } else {
      keys.emplace_back(std::string(static_cast<const arrow::StringArray&>(*typed).GetView(i)));
    }
  }
  return keys;
}

// A TableScan as a RecordBatchReader (what the C stream exports).
class ScanReader final : public arrow::RecordBatchReader {
 public:
  explicit ScanReader(std::unique_ptr<iceberg::TableScan> scan) : scan_(std::move(scan)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return scan_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    auto next = scan_->Next();
    if (!next.ok()) return arrow::Status::IOError(next.status().message());
    *batch = *next;
    return arrow::Status::OK();
  }

 private:
  std::unique_ptr<iceberg::TableScan> scan_;
};

class Store {
 public:
  Store(std::string dir, bool read_only) : dir_(std::move(dir)), read_only_(read_only) { Reopen(); }

  std::vector<std::string> apply(bool dry_run) {
    return WithoutGil([&]() -> Result<std::vector<std::string>> {
      repo_.reset();  // reopened below with what was applied (or, on a refusal, as it was)
      auto plan = FeatureRepository::Apply(dir_, dry_run);
      auto reopened = FeatureRepository::Open(dir_, {.read_only = read_only_});
      if (reopened.ok()) repo_ = std::move(*reopened);
      if (!plan.ok()) return plan.status();
      if (!reopened.ok()) return reopened.status();
      return plan->changes;
    });
  }

  nb::dict ingest(const std::string& group_name, nb::object source, int64_t commit_rows, size_t batch_rows) {
    FeatureRepository& repo = Repo(/*write=*/true);
    const FeatureGroupDef& group = *Check(repo.FindGroup(group_name));
    IngestOptions options;
    options.commit_rows = commit_rows;
    options.batch_rows = batch_rows;
    IngestSummary s;
    if (nb::isinstance<nb::capsule>(source)) {
      auto reader = ImportReader(nb::cast<nb::capsule>(source));
      s = WithoutGil([&] { return IngestStream(repo, group, reader, "<" + group_name + " data>", options); });
    } else {
      auto files = nb::cast<std::vector<std::string>>(source);
      s = WithoutGil([&] { return IngestFiles(repo, group, files, options); });
    }
    nb::dict d;
    d["accepted"] = s.accepted;
    d["rejected"] = s.rejected;
    d["first_write_seq"] = s.first_write_seq;
    d["last_write_seq"] = s.last_write_seq;
    d["rejected_path"] = s.rejected_path;
    d["ignored_columns"] = s.ignored_columns;
    d["skipped_files"] = s.skipped_files;
    d["seconds"] = s.seconds;
    return d;
  }

  nb::capsule get_online(const std::string& group_name, nb::capsule key_schema, nb::capsule key_array,
                         const std::vector<std::string>& features, std::optional<std::string> as_of, int32_t limit) {
    FeatureRepository& repo = Repo(false);
    const FeatureGroupDef& group = *Check(repo.FindGroup(group_name));
    const EntityDef& entity = repo.EntityOf(group);
    auto selected = Check(repo.SelectFeatures(group, features));
    auto key_column = ImportArray(key_schema, key_array);
    const auto when = ParseTime(as_of, "as_of");
    auto table = WithoutGil([&]() -> Result<std::shared_ptr<arrow::Table>> {
      STRATA_ASSIGN_OR_RETURN(auto keys, KeysFrom(*key_column, entity));
      STRATA_ASSIGN_OR_RETURN(auto columns, repo.Read(group, keys, selected, when, limit));
      std::vector<std::shared_ptr<arrow::Field>> fields = {arrow::field(entity.key, key_column->type(), false)};
      std::vector<std::shared_ptr<arrow::Array>> arrays = {key_column};
      for (size_t i = 0; i < selected.size(); ++i) {
        fields.push_back(arrow::field(selected[i]->name, columns[i]->type()));
        arrays.push_back(columns[i]);
      }
      return arrow::Table::Make(arrow::schema(fields), arrays, key_column->length());
    });
    return ExportReader(std::make_shared<arrow::TableBatchReader>(table));
  }

  nb::capsule training_set(nb::object spine, const std::vector<std::string>& features, const std::string& timestamp_column,
                           const std::string& memory_limit, int threads, const std::string& snapshot) {
    training::TrainingSetOptions options;
    options.timestamp_column = timestamp_column;
    options.memory_limit = Check(ParseByteSize(memory_limit));
    options.threads = threads;
    options.snapshot = snapshot;
    std::optional<training::SpineSource> source;
    if (nb::isinstance<nb::str>(spine)) {
      source = Check(training::SpineSource::FromFile(nb::cast<std::string>(spine)));
    } else {
      auto reader = ImportReader(nb::cast<nb::capsule>(spine));
      source = training::SpineSource::FromTable(WithoutGil([&]() -> Result<std::shared_ptr<arrow::Table>> {
        auto table = reader->ToTable();
        if (!table.ok()) return Status::InvalidArgument("reading the spine: " + table.status().ToString());
        return *table;
      }));
    }
    FeatureRepository& repo = Repo(false);
    auto reader = WithoutGil([&]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
      STRATA_ASSIGN_OR_RETURN(auto requests, training::ResolveFeatureRefs(repo.definition(), features));
      return training::BuildTrainingSet(repo, *source, requests, options);
    });
    return ExportReader(std::move(reader));
  }

  nb::capsule scan(const std::string& group_name, std::optional<int64_t> snapshot, std::optional<std::string> as_of_time,
                   std::optional<nb::capsule> key_schema, std::optional<nb::capsule> key_array) {
    FeatureRepository& repo = Repo(false);
    const FeatureGroupDef& group = *Check(repo.FindGroup(group_name));
    GroupScanOptions options;
    options.snapshot_id = snapshot;
    options.as_of_micros = ParseTime(as_of_time, "as_of_time");
    if (key_schema && key_array) {
      auto keys = Check(KeysFrom(*ImportArray(*key_schema, *key_array), repo.EntityOf(group)));
      for (auto& k : keys) {
        if (auto* s = std::get_if<std::string>(&k)) {
          options.filter.string_keys.push_back(std::move(*s));
        } else {
          options.filter.int_keys.push_back(std::get<int64_t>(k));
        }
      }
    }
    auto scanned = WithoutGil([&] { return ScanGroup(repo, group, options); });
    return ExportReader(std::make_shared<ScanReader>(std::move(scanned.scan)));
  }

  nb::list snapshots(const std::string& group_name) {
    FeatureRepository& repo = Repo(false);
    const FeatureGroupDef& group = *Check(repo.FindGroup(group_name));
    auto list = WithoutGil([&]() -> Result<std::vector<iceberg::SnapshotInfo>> {
      STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo.offline());
      STRATA_ASSIGN_OR_RETURN(iceberg::Table * table, offline->GetTable(repo.EntityOf(group), group));
      return table->Snapshots();
    });
    nb::list out;
    for (const auto& s : list) {
      nb::dict d;
      d["id"] = s.id;
      d["parent_id"] = s.parent_id ? nb::cast(*s.parent_id) : nb::none();
      d["timestamp_ms"] = s.timestamp_ms;
      nb::dict summary;
      for (const auto& [k, v] : s.summary) summary[k.c_str()] = v;
      d["summary"] = summary;
      out.append(d);
    }
    return out;
  }

  nb::list groups() {
    nb::list out;
    for (const auto& g : Repo(false).definition().groups) out.append(g.name);
    return out;
  }

  const std::string& dir() const { return dir_; }
  bool read_only() const { return read_only_; }

  void close() {
    nb::gil_scoped_release release;
    repo_.reset();
  }

 private:
  void Reopen() {
    repo_ = WithoutGil([&] { return FeatureRepository::Open(dir_, {.read_only = read_only_}); });
  }

  FeatureRepository& Repo(bool write) {
    if (!repo_) Raise(Status::FailedPrecondition("the store at " + dir_ + " is closed"));
    if (write && read_only_)
      Raise(Status::FailedPrecondition("the store at " + dir_ + " was opened read-only; open it with strata.open(" +
                                       "repo, read_only=False) to write"));
    return *repo_;
  }

  std::string dir_;
  bool read_only_ = false;
  std::unique_ptr<FeatureRepository> repo_;
};

}  // namespace

void BindStore(nb::module_& m) {
  m.def(
      "apply",
      [](const std::string& dir, bool dry_run) {
        return WithoutGil([&]() -> Result<std::vector<std::string>> {
          STRATA_ASSIGN_OR_RETURN(auto plan, FeatureRepository::Apply(dir, dry_run));
          return plan.changes;
        });
      },
      nb::arg("dir"), nb::arg("dry_run") = false, "Validates and registers strata.yaml; returns the plan.");
  nb::class_<Store>(m, "Store", "An embedded feature repository; use strata.open().")
      .def(nb::init<std::string, bool>(), nb::arg("dir"), nb::arg("read_only") = false)
      .def_prop_ro("dir", &Store::dir)
      .def_prop_ro("read_only", &Store::read_only)
      .def("apply", &Store::apply, nb::arg("dry_run") = false)
      .def("ingest", &Store::ingest, nb::arg("group"), nb::arg("source"), nb::arg("commit_rows") = 0,
           nb::arg("batch_rows") = 65536)
      .def("get_online", &Store::get_online, nb::arg("group"), nb::arg("key_schema"), nb::arg("key_array"),
           nb::arg("features"), nb::arg("as_of") = nb::none(), nb::arg("limit") = 0)
      .def("training_set", &Store::training_set, nb::arg("spine"), nb::arg("features"), nb::arg("timestamp_column") = "ts",
           nb::arg("memory_limit") = "4GB", nb::arg("threads") = 0, nb::arg("snapshot") = "")
      .def("scan", &Store::scan, nb::arg("group"), nb::arg("snapshot") = nb::none(), nb::arg("as_of_time") = nb::none(),
           nb::arg("key_schema") = nb::none(), nb::arg("key_array") = nb::none())
      .def("snapshots", &Store::snapshots, nb::arg("group"))
      .def("groups", &Store::groups)
      .def("close", &Store::close);
}

}  // namespace strata::python
