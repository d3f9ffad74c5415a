#include "native_support.h"

#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>
#include <arrow/record_batch.h>

#include <string>

namespace strata::python {

void Raise(const Status& status) {
  const char* name = "StrataError";
  switch (status.code()) {
    case StatusCode::kInvalidArgument: name = "InvalidArgumentError"; break;
    case StatusCode::kNotFound: name = "NotFoundError"; break;
    case StatusCode::kAlreadyExists: name = "AlreadyExistsError"; break;
    case StatusCode::kFailedPrecondition: name = "FailedPreconditionError"; break;
    case StatusCode::kIncompatible: name = "IncompatibleChangeError"; break;
    case StatusCode::kConflict: name = "ConflictError"; break;
    case StatusCode::kIOError: name = "StrataIOError"; break;
    case StatusCode::kCorruption: name = "CorruptionError"; break;
    default: break;
  }
  nb::object cls = nb::module_::import_("strata.errors").attr(name);
  PyErr_SetString(cls.ptr(), status.message().c_str());
  throw nb::python_error();
}

std::shared_ptr<arrow::RecordBatchReader> ImportReader(nb::capsule capsule) {
  if (std::string_view(capsule.name()) != "arrow_array_stream")
    throw nb::type_error("expected an 'arrow_array_stream' capsule (from __arrow_c_stream__)");
  auto reader = arrow::ImportRecordBatchReader(static_cast<ArrowArrayStream*>(capsule.data()));
  if (!reader.ok()) Raise(Status::InvalidArgument("importing an Arrow stream: " + reader.status().ToString()));
  return *reader;
}

std::shared_ptr<arrow::Array> ImportArray(nb::capsule schema, nb::capsule array) {
  if (std::string_view(schema.name()) != "arrow_schema" || std::string_view(array.name()) != "arrow_array")
    throw nb::type_error("expected ('arrow_schema', 'arrow_array') capsules (from __arrow_c_array__)");
  auto imported = arrow::ImportArray(static_cast<ArrowArray*>(array.data()), static_cast<ArrowSchema*>(schema.data()));
  if (!imported.ok()) Raise(Status::InvalidArgument("importing an Arrow array: " + imported.status().ToString()));
  return *imported;
}

nb::capsule ExportReader(std::shared_ptr<arrow::RecordBatchReader> reader) {
  auto* stream = new ArrowArrayStream;
  auto st = arrow::ExportRecordBatchReader(std::move(reader), stream);
  if (!st.ok()) {
    delete stream;
    Raise(Status::Internal("exporting an Arrow stream: " + st.ToString()));
  }
  return nb::capsule(stream, "arrow_array_stream", [](void* p) noexcept {
    auto* s = static_cast<ArrowArrayStream*>(p);
    if (s->release) s->release(s);
    delete s;
  });
}

}  // namespace strata::python
