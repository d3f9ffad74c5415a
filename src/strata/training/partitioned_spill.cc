#include "strata/training/partitioned_spill.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/api.h>
#include <arrow/util/byte_size.h>

#include <filesystem>

namespace strata::training {

namespace {

Status FromArrow(const arrow::Status& st, const std::string& what) {
  return st.ok() ? Status::OK() : Status::IOError(what + ": " + st.ToString());
}

}  // namespace

struct PartitionedSpill::Part {
  std::mutex mu;
  std::vector<std::shared_ptr<arrow::RecordBatch>> memory;  // appended after everything on disk
  int64_t memory_bytes = 0;
  int64_t rows = 0;
  std::string path;
  std::shared_ptr<arrow::io::FileOutputStream> file;
  std::shared_ptr<arrow::ipc::RecordBatchWriter> writer;
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
    if (part->writer) (void)part->writer->Close();
    if (part->file) (void)part->file->Close();
    if (!part->path.empty()) {
      std::error_code ec;
      std::filesystem::remove(part->path, ec);
    }
  }
}

Status PartitionedSpill::SpillLocked(Part& part) {
  if (part.memory.empty()) return Status::OK();
  if (!part.writer) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    part.path = dir_ + "/part-" + std::to_string(reinterpret_cast<uintptr_t>(&part)) + ".arrows";
    auto file = arrow::io::FileOutputStream::Open(part.path);
    if (!file.ok()) return FromArrow(file.status(), "creating spill file " + part.path);
    part.file = *file;
    auto options = arrow::ipc::IpcWriteOptions::Defaults();
    auto writer = arrow::ipc::MakeStreamWriter(part.file, schema_, options);
    if (!writer.ok()) return FromArrow(writer.status(), "creating spill file " + part.path);
    part.writer = *writer;
  }
  for (const auto& b : part.memory) {
    STRATA_RETURN_NOT_OK(FromArrow(part.writer->WriteRecordBatch(*b), "writing spill file " + part.path));
  }
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
  part.rows += batch->num_rows();
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
    // A partially spilled partition goes to disk whole, so that reading it is one file.
    if (part->writer) {
      STRATA_RETURN_NOT_OK(SpillLocked(*part));
      STRATA_RETURN_NOT_OK(FromArrow(part->writer->Close(), "closing spill file " + part->path));
      STRATA_RETURN_NOT_OK(FromArrow(part->file->Close(), "closing spill file " + part->path));
      part->writer.reset();
      part->file.reset();
    }
  }
  return Status::OK();
}

namespace {

class SpillCursor final : public PartitionedSpill::Cursor {
 public:
  SpillCursor(std::shared_ptr<arrow::ipc::RecordBatchStreamReader> disk,
              std::vector<std::shared_ptr<arrow::RecordBatch>> memory, std::string path)
      : disk_(std::move(disk)), memory_(std::move(memory)), path_(std::move(path)) {}
  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    if (disk_) {
      std::shared_ptr<arrow::RecordBatch> b;
      STRATA_RETURN_NOT_OK(FromArrow(disk_->ReadNext(&b), "reading spill file " + path_));
      if (b) return b;
      disk_.reset();
    }
    if (next_ < memory_.size()) return std::move(memory_[next_++]);
    return std::shared_ptr<arrow::RecordBatch>();
  }

 private:
  std::shared_ptr<arrow::ipc::RecordBatchStreamReader> disk_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> memory_;
  size_t next_ = 0;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<PartitionedSpill::Cursor>> PartitionedSpill::OpenCursor(int partition) const {
  const Part& part = *parts_[partition];
  std::shared_ptr<arrow::ipc::RecordBatchStreamReader> disk;
  if (!part.path.empty()) {
    auto file = arrow::io::ReadableFile::Open(part.path);
    if (!file.ok()) return FromArrow(file.status(), "opening spill file " + part.path);
    auto reader = arrow::ipc::RecordBatchStreamReader::Open(*file);
    if (!reader.ok()) return FromArrow(reader.status(), "opening spill file " + part.path);
    disk = *reader;
  }
  return std::unique_ptr<Cursor>(new SpillCursor(std::move(disk), part.memory, part.path));
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
