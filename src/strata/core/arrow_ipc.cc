#include "strata/core/arrow_ipc.h"

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/record_batch.h>

#include "strata/core/arrow_status.h"

namespace strata {

Result<std::string> RecordBatchToIpc(const arrow::RecordBatch& batch) {
  auto sink = arrow::io::BufferOutputStream::Create();
  if (!sink.ok()) return FromArrow(sink.status(), "encoding an Arrow IPC stream");
  auto writer = arrow::ipc::MakeStreamWriter(*sink, batch.schema());
  if (!writer.ok()) return FromArrow(writer.status(), "encoding an Arrow IPC stream");
  STRATA_RETURN_NOT_OK(FromArrow((*writer)->WriteRecordBatch(batch), "encoding an Arrow IPC stream"));
  STRATA_RETURN_NOT_OK(FromArrow((*writer)->Close(), "encoding an Arrow IPC stream"));
  auto buffer = (*sink)->Finish();
  if (!buffer.ok()) return FromArrow(buffer.status(), "encoding an Arrow IPC stream");
  return (*buffer)->ToString();
}

Result<std::shared_ptr<arrow::RecordBatch>> RecordBatchFromIpc(std::string_view bytes, const std::string& what) {
  auto input = std::make_shared<arrow::io::BufferReader>(arrow::Buffer::FromString(std::string(bytes)));
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(input);
  if (!reader.ok()) return Status::Corruption(what + ": " + reader.status().ToString());
  std::shared_ptr<arrow::RecordBatch> batch;
  auto st = (*reader)->ReadNext(&batch);
  if (!st.ok() || !batch) return Status::Corruption(what + ": " + (st.ok() ? "no record batch" : st.ToString()));
  return batch;
}

}  // namespace strata
