// strata._strata.Loader: the C++ training-data loader (src/strata/loader) for strata.torch.
// Batches come back as DLPack-capable arrays that own their buffers: torch views them
// without a copy.

#include <arrow/table.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "native_support.h"
#include "strata/loader/batch_loader.h"

namespace strata::python {

namespace {

using loader::BatchLoader;

nb::object ToArray(const loader::HostTensor& t) {
  auto* keep = new std::shared_ptr<void>(t.data);
  nb::capsule owner(keep, [](void* p) noexcept { delete static_cast<std::shared_ptr<void>*>(p); });
  std::vector<size_t> shape(t.shape.begin(), t.shape.end());
  nb::dlpack::dtype dtype = t.dtype == loader::DType::kFloat32 ? nb::dtype<float>()
                            : t.dtype == loader::DType::kInt64 ? nb::dtype<int64_t>()
                                                               : nb::dtype<uint8_t>();
  nb::ndarray<> array(t.data.get(), shape.size(), shape.data(), owner, nullptr, dtype);
  return nb::cast(array, nb::rv_policy::reference);
}

class Loader {
 public:
  Loader(nb::object source, const std::vector<std::string>& dense, bool dense_mask,
         const std::vector<std::pair<std::string, int64_t>>& sparse,
         const std::vector<std::tuple<std::string, int64_t, int64_t>>& sequences,
         const std::vector<std::pair<std::string, int32_t>>& embeddings, const std::string& label, const std::vector<std::string>& extra,
         int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last, int64_t shuffle_buffer, int shard, int num_shards,
         int threads, int prefetch, int64_t unit_rows) {
    loader::LoaderSpec spec;
    spec.dense = dense;
    spec.dense_mask = dense_mask;
    for (const auto& [c, b] : sparse) spec.sparse.push_back({c, b});
    for (const auto& [c, n, b] : sequences) spec.sequences.push_back({c, n, b});
    for (const auto& [c, d] : embeddings) spec.embeddings.push_back({c, d});
    spec.label = label;
    spec.extra = extra;
    loader::LoaderOptions options;
    options.batch_size = batch_size;
    options.drop_last = drop_last;
    options.plan = {shuffle, seed, shuffle_buffer, shard, num_shards};
    options.threads = threads;
    options.prefetch_batches = std::max(1, prefetch);
    if (nb::isinstance<nb::capsule>(source)) {
      auto reader = ImportReader(nb::cast<nb::capsule>(source));
      loader_ = WithoutGil([&]() -> Result<std::unique_ptr<BatchLoader>> {
        auto table = reader->ToTable();
        if (!table.ok()) return Status::InvalidArgument("reading the training set: " + table.status().ToString());
        return BatchLoader::Open(*table, spec, options, unit_rows);
      });
    } else {
      auto paths = nb::cast<std::vector<std::string>>(source);
      loader_ = WithoutGil([&] { return BatchLoader::Open(paths, spec, options); });
    }
  }

  int64_t num_rows() const { return loader_->num_rows(); }
  int64_t shard_rows(int64_t epoch) const { return loader_->ShardRows(epoch); }
  int64_t shard_batches(int64_t epoch) const { return loader_->ShardBatches(epoch); }
  void start(int64_t epoch, int64_t start_row) { Check(loader_->Start(epoch, start_row)); }

  // None at the end of the epoch, else (end_row, rows, [(name, array), ...]).
  nb::object next() {
    auto batch = WithoutGil([&] { return loader_->Next(); });
    if (!batch) return nb::none();
    nb::list tensors;
    for (const auto& t : batch->tensors) tensors.append(nb::make_tuple(t.name, ToArray(t)));
    return nb::make_tuple(batch->end_row, batch->rows, tensors);
  }

  void close() {
    nb::gil_scoped_release release;
    loader_.reset();
  }

 private:
  std::unique_ptr<BatchLoader> loader_;
};

}  // namespace

void BindLoader(nb::module_& m) {
  nb::class_<Loader>(m, "Loader", "The C++ training-data loader behind strata.torch.TrainingDataset.")
      .def(nb::init<nb::object, const std::vector<std::string>&, bool, const std::vector<std::pair<std::string, int64_t>>&,
                    const std::vector<std::tuple<std::string, int64_t, int64_t>>&,
                    const std::vector<std::pair<std::string, int32_t>>&, const std::string&, const std::vector<std::string>&, int64_t, bool, uint64_t, bool, int64_t, int, int,
                    int, int, int64_t>(),
           nb::arg("source"), nb::arg("dense"), nb::arg("dense_mask"), nb::arg("sparse"), nb::arg("sequences"),
           nb::arg("embeddings"), nb::arg("label"), nb::arg("extra"), nb::arg("batch_size"), nb::arg("shuffle"),
           nb::arg("seed"), nb::arg("drop_last"), nb::arg("shuffle_buffer"), nb::arg("shard"), nb::arg("num_shards"),
           nb::arg("threads"), nb::arg("prefetch"), nb::arg("unit_rows"),
           "`source` is a list of Parquet paths or an 'arrow_array_stream' capsule.")
      .def_prop_ro("num_rows", &Loader::num_rows, "Rows in all shards.")
      .def("shard_rows", &Loader::shard_rows, nb::arg("epoch"), "Rows this shard reads in `epoch`.")
      .def("shard_batches", &Loader::shard_batches, nb::arg("epoch"), "Batches this shard yields in `epoch`.")
      .def("start", &Loader::start, nb::arg("epoch"), nb::arg("start_row") = 0,
           "Starts `epoch` at row `start_row` of this shard's stream.")
      .def("next", &Loader::next, "The next batch as (end_row, rows, [(name, array)]), or None at the end.")
      .def("close", &Loader::close, "Stops the loader's threads.");
}

}  // namespace strata::python
