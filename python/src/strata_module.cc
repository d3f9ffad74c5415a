// strata._strata: the native side of the Python package (see python/strata/).

#include <nanobind/nanobind.h>

namespace strata::python {
void BindStore(nanobind::module_& m);
void BindLoader(nanobind::module_& m);
void BindDatagen(nanobind::module_& m);
}  // namespace strata::python

NB_MODULE(_strata, m) {
  m.doc() = "Strata's native module; use the `strata` package.";
  strata::python::BindStore(m);
  strata::python::BindLoader(m);
  strata::python::BindDatagen(m);
}
