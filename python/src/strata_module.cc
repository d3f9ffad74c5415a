// strata._strata: the native side of the Python package. Tables cross the boundary through
// the Arrow C stream interface (PyCapsules), never row by row; the GIL is released while
// native code works.

#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "strata/core/byte_size.h"
#include "strata/training/training_set.h"

namespace nb = nanobind;

namespace {

[[noreturn]] void Raise(const strata::Status& status) {
  switch (status.code()) {
    case strata::StatusCode::kInvalidArgument:
    case strata::StatusCode::kNotFound: throw nb::value_error(status.message().c_str());
    default: throw std::runtime_error(status.message());
  }
}

template <typename T>
T Check(strata::Result<T> r) {
  if (!r.ok()) Raise(r.status());
  return std::move(r).value();
}

// An ArrowArrayStream capsule (the __arrow_c_stream__ protocol) as a Table.
std::shared_ptr<arrow::Table> ImportStream(nb::capsule capsule) {
  if (std::string_view(capsule.name()) != "arrow_array_stream")
    throw nb::type_error("expected an 'arrow_array_stream' capsule");
  auto* stream = static_cast<ArrowArrayStream*>(capsule.data());
  auto reader = arrow::ImportRecordBatchReader(stream);
  if (!reader.ok()) throw std::runtime_error("importing the spine: " + reader.status().ToString());
  auto table = (*reader)->ToTable();
  if (!table.ok()) throw std::runtime_error("reading the spine: " + table.status().ToString());
  return *table;
}

nb::capsule ExportStream(std::shared_ptr<arrow::RecordBatchReader> reader) {
  auto* stream = new ArrowArrayStream;
  auto st = arrow::ExportRecordBatchReader(std::move(reader), stream);
  if (!st.ok()) {
    delete stream;
    throw std::runtime_error("exporting the training set: " + st.ToString());
  }
  return nb::capsule(stream, "arrow_array_stream", [](void* p) noexcept {
    auto* s = static_cast<ArrowArrayStream*>(p);
    if (s->release) s->release(s);
    delete s;
  });
}

nb::capsule TrainingSet(const std::string& repo_dir, nb::object spine, const std::vector<std::string>& features,
                        const std::string& timestamp_column, const std::string& memory_limit, int threads,
                        const std::string& snapshot) {
  strata::training::TrainingSetOptions options;
  options.timestamp_column = timestamp_column;
  options.memory_limit = Check(strata::ParseByteSize(memory_limit));
  options.threads = threads;
  options.snapshot = snapshot;
  std::optional<strata::training::SpineSource> source;
  if (nb::isinstance<nb::str>(spine)) {
    source = Check(strata::training::SpineSource::FromFile(nb::cast<std::string>(spine)));
  } else {
    source = strata::training::SpineSource::FromTable(ImportStream(nb::cast<nb::capsule>(spine)));
  }
  std::shared_ptr<arrow::RecordBatchReader> reader;
  {
    nb::gil_scoped_release release;
    auto repo = strata::FeatureRepository::Open(repo_dir, {.read_only = true});
    if (!repo.ok()) {
      nb::gil_scoped_acquire acquire;
      Raise(repo.status());
    }
    auto requests = strata::training::ResolveFeatureRefs((*repo)->definition(), features);
    auto built = requests.ok() ? strata::training::BuildTrainingSet(**repo, *source, *requests, options)
                               : strata::Result<std::shared_ptr<arrow::RecordBatchReader>>(requests.status());
    if (!built.ok()) {
      nb::gil_scoped_acquire acquire;
      Raise(built.status());
    }
    reader = *built;
  }
  return ExportStream(std::move(reader));
}

}  // namespace

NB_MODULE(_strata, m) {
  m.doc() = "Strata's native module; use the `strata` package.";
  m.def("training_set", &TrainingSet, nb::arg("repo"), nb::arg("spine"), nb::arg("features"),
        nb::arg("timestamp_column") = "ts", nb::arg("memory_limit") = "4GB", nb::arg("threads") = 0,
        nb::arg("snapshot") = "",
        "Builds a point-in-time training set; `spine` is a path or an 'arrow_array_stream' capsule. Returns a "
        "capsule of the result stream.");
}
