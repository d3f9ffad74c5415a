#include "strata/core/arrow_status.h"
#include "strata/training/partitioned_spill.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/api.h>
#include <arrow/util/byte_size.h>

#include <filesystem>

namespace strata::training {

namespace {

}  // namespace

struct PartitionedSpill::Part {
  std::mutex mu;
  std::vector<std::shared_ptr<arrow::RecordBatch>> memory;  // appended after everything on disk
  int64_t memory_bytes = 0;
  // One closed file per spill, in order: no descriptor stays open however many partitions
  // there are.
  std::vector<std::string> files;
};

int64_t BatchBytes(const arrow::RecordBatch& batch) {
  auto size = arrow::util::ReferencedBufferSize(batch);
  return size.ok() ? *size : arrow::util::TotalBufferSize(batch);
}

PartitionedSpill::PartitionedSpill(std::shared_ptr<arrow::Schema> schema, int partitions, std::string dir,
                                   std::shared_ptr<SpillBudget> budget)
    : schema_(std::move(schema)), dir_(std::move(dir)), budget_(std::move(budget)) {
  for (int p = 0; p < partitions; ++p) parts_.push_back(std::make_unique<Part>());
}

PartitionedSpill::~PartitionedSpill() {
  for (auto& part : parts_) {
    budget_->in_memory -= part->memory_bytes;
    for (const auto& path : part->files) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
}

Status PartitionedSpill::SpillLocked(Part& part) {
  if (part.memory.empty()) return Status::OK();
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  const std::string path = dir_ + "/part-" + std::to_string(reinterpret_cast<uintptr_t>(&part)) + "-" +
                           std::to_string(part.files.size()) + ".arrows";
  auto file = arrow::io::FileOutputStream::Open(path);
  if (!file.ok()) return FromArrow(file.status(), "creating spill file " + path);
  part.files.push_back(path);  // removed with the spill even if writing fails
  auto writer = arrow::ipc::MakeStreamWriter(*file, schema_, arrow::ipc::IpcWriteOptions::Defaults());
  if (!writer.ok()) return FromArrow(writer.status(), "creating spill file " + path);
  for (const auto& b : part.memory) {
    STRATA_RETURN_NOT_OK(FromArrow((*writer)->WriteRecordBatch(*b), "writing spill file " + path));
  }
  STRATA_RETURN_NOT_OK(FromArrow((*writer)->Close(), "writing spill file " + path));
  STRATA_RETURN_NOT_OK(FromArrow((*file)->Close(), "closing spill file " + path));
  spilled_bytes_ += part.memory_bytes;
  budget_->in_memory -= part.memory_bytes;
  part.memory.clear();
  part.memory_bytes = 0;
  return Status::OK();
}

Status PartitionedSpill::Append(int partition, std::shared_ptr<arrow::RecordBatch> batch) {
  if (batch->num_rows() == 0) return Status::OK();
  Part& part = *parts_[partition];
  std::lock_guard lock(part.mu);
  const int64_t bytes = BatchBytes(*batch);
  part.memory.push_back(std::move(batch));
  part.memory_bytes += bytes;
  // Over budget: this partition goes to disk (each partition spills only itself, so appends
  // to different partitions never wait on each other).
  if ((budget_->in_memory += bytes) > budget_->limit) return SpillLocked(part);
  return Status::OK();
}

Status PartitionedSpill::Finish() {
  for (auto& part : parts_) {
    std::lock_guard lock(part->mu);
    // A partition that went to disk goes there whole: its memory is better spent on others.
    if (!part->files.empty()) STRATA_RETURN_NOT_OK(SpillLocked(*part));
  }
  return Status::OK();
}

namespace {

// Reads a partition's spill files batch by batch, opening a file only while reading one
// batch from it (a merge reads hundreds of partitions at once; their files must not all stay
// open), then its batches still in memory.
class SpillCursor final : public PartitionedSpill::Cursor {
 public:
  SpillCursor(std::shared_ptr<arrow::Schema> schema, std::vector<std::string> files,
              std::vector<std::shared_ptr<arrow::RecordBatch>> memory)
      : schema_(std::move(schema)), files_(std::move(files)), memory_(std::move(memory)) {}
  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    while (file_ < files_.size()) {
      STRATA_ASSIGN_OR_RETURN(auto batch, NextFromFile(files_[file_]));
      if (batch) return batch;
      ++file_;
      offset_ = 0;
    }
    if (next_ < memory_.size()) return std::move(memory_[next_++]);
    return std::shared_ptr<arrow::RecordBatch>();
  }

 private:
  // The batch at offset_ of an IPC stream file (skipping its schema), or nullptr at its end.
  Result<std::shared_ptr<arrow::RecordBatch>> NextFromFile(const std::string& path) {
    const std::string what = "reading spill file " + path;
    auto file = arrow::io::ReadableFile::Open(path);
    if (!file.ok()) return FromArrow(file.status(), what);
    STRATA_RETURN_NOT_OK(FromArrow((*file)->Seek(offset_), what));
    auto messages = arrow::ipc::MessageReader::Open(*file);
    while (true) {
      auto message = messages->ReadNextMessage();
      if (!message.ok()) return FromArrow(message.status(), what);
      if (!*message) return std::shared_ptr<arrow::RecordBatch>();  // end of stream
      auto position = (*file)->Tell();
      if (!position.ok()) return FromArrow(position.status(), what);
      offset_ = *position;
      if ((*message)->type() != arrow::ipc::MessageType::RECORD_BATCH) continue;  // the schema
      auto batch = arrow::ipc::ReadRecordBatch(**message, schema_, nullptr, arrow::ipc::IpcReadOptions::Defaults());
      if (!batch.ok()) return FromArrow(batch.status(), what);
      return *batch;
    }
  }

  std::shared_ptr<arrow::Schema> schema_;
  std::vector<std::string> files_;
  size_t file_ = 0;
  int64_t offset_ = 0;
  std::vector<std::shared_ptr<arrow::RecordBatch>> memory_;
  size_t next_ = 0;
};

}  // namespace

Result<std::unique_ptr<PartitionedSpill::Cursor>> PartitionedSpill::OpenCursor(int partition) const {
  const Part& part = *parts_[partition];
  return std::unique_ptr<Cursor>(new SpillCursor(schema_, part.files, part.memory));
}

void PartitionedSpill::Release(int partition) {
  Part& part = *parts_[partition];
  std::lock_guard lock(part.mu);
  budget_->in_memory -= part.memory_bytes;
  part.memory.clear();
  part.memory_bytes = 0;
}

Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> PartitionedSpill::ReadAll(int partition) const {
  STRATA_ASSIGN_OR_RETURN(auto cursor, OpenCursor(partition));
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(auto b, cursor->Next());
    if (!b) break;
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace strata::training
