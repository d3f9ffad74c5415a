#pragma once
// A record batch as bytes (an Arrow IPC stream: schema + batch) and back: for batches kept in a
// key-value store or sent in one HTTP body.

#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <string_view>

#include "strata/core/status.h"

namespace strata {

Result<std::string> RecordBatchToIpc(const arrow::RecordBatch& batch);
// The first batch of the stream in `bytes`; Corruption naming `what` when it is not one.
Result<std::shared_ptr<arrow::RecordBatch>> RecordBatchFromIpc(std::string_view bytes, const std::string& what);

}  // namespace strata
