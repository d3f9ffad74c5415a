// strata._strata.gen_recsys: the synthetic recommender dataset of `strata gen recsys`.

#include <nanobind/stl/function.h>
#include <nanobind/stl/string.h>

#include "native_support.h"
#include "strata/datagen/recsys_generator.h"

namespace strata::python {

void BindDatagen(nb::module_& m) {
  m.def(
      "gen_recsys",
      [](const std::string& out, int64_t users, int64_t items, int days, uint64_t seed, int64_t end_micros,
         double impressions_per_user, int slate, int dim, nb::object progress) {
        datagen::RecsysOptions o;
        o.users = users, o.items = items, o.days = days, o.seed = seed, o.end_micros = end_micros;
        o.impressions_per_user = impressions_per_user, o.slate_size = slate, o.embedding_dim = dim;
        datagen::ProgressFn report;
        if (!progress.is_none()) {
          report = [progress](const std::string& step, double fraction) {
            nb::gil_scoped_acquire gil;
            progress(step, fraction);
          };
        }
        auto summary = WithoutGil([&] { return datagen::GenerateRecsys(o, out, report); });
        nb::dict files;
        for (const auto& f : summary.files) {
          nb::dict d;
          d["path"] = f.path;
          d["rows"] = f.rows;
          files[f.name.c_str()] = d;
        }
        nb::dict result;
        result["files"] = files;
        result["impressions"] = summary.impressions;
        result["clicks"] = summary.clicks;
        result["requests"] = summary.requests;
        result["start_micros"] = summary.start_micros;
        result["end_micros"] = summary.end_micros;
        return result;
      },
      nb::arg("out"), nb::arg("users"), nb::arg("items"), nb::arg("days"), nb::arg("seed"), nb::arg("end_micros"),
      nb::arg("impressions_per_user"), nb::arg("slate"), nb::arg("dim"), nb::arg("progress") = nb::none(),
      "Writes the synthetic recommender dataset; see strata.gen_recsys.");
}

}  // namespace strata::python
