#pragma once
// What the bindings share: Status -> Python exceptions (the classes of strata.errors, with the
// same messages as the CLI), and Arrow data across the boundary through the C data and
// stream interfaces (PyCapsules), never row by row.

#include <arrow/type_fwd.h>
#include <nanobind/nanobind.h>

#include <memory>

#include "strata/core/status.h"

namespace strata::python {

namespace nb = nanobind;

// Raises the strata.errors exception for `status` (the GIL must be held).
[[noreturn]] void Raise(const Status& status);

template <typename T>
T Check(Result<T> r) {
  if (!r.ok()) Raise(r.status());
  return std::move(r).value();
}
inline void Check(const Status& st) {
  if (!st.ok()) Raise(st);
}

// Runs `f` (returning Result<T> or Status) without the GIL, then raises its error with it.
template <typename F>
auto WithoutGil(F&& f) {
  using R = decltype(f());
  std::optional<R> r;
  {
    nb::gil_scoped_release release;
    r.emplace(f());
  }
  if constexpr (std::is_same_v<R, Status>) {
    Check(*r);
  } else {
    return Check(std::move(*r));
  }
}

// An 'arrow_array_stream' capsule (from __arrow_c_stream__) as a reader.
std::shared_ptr<arrow::RecordBatchReader> ImportReader(nb::capsule capsule);
// A ('arrow_schema', 'arrow_array') capsule pair (from __arrow_c_array__) as an array.
std::shared_ptr<arrow::Array> ImportArray(nb::capsule schema, nb::capsule array);
// A reader as an 'arrow_array_stream' capsule (for pyarrow.RecordBatchReader.from_stream).
nb::capsule ExportReader(std::shared_ptr<arrow::RecordBatchReader> reader);

}  // namespace strata::python
