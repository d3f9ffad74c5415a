#pragma once
// A training batch as host tensors: dense, aligned buffers that Python hands to PyTorch
// through DLPack without copying (the buffer lives as long as any tensor viewing it).

#include <arrow/memory_pool.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata::loader {

enum class DType { kFloat32, kInt64, kUInt8 };

struct HostTensor {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::shared_ptr<void> data;  // 64-byte aligned

  template <typename T>
  T* As() const { return static_cast<T*>(data.get()); }
};

// A zeroed or uninitialized 64-byte aligned tensor of `shape`, from `pool` (kept alive by the
// tensor: it may outlive the loader, in Python).
HostTensor AllocateTensor(std::string name, DType dtype, std::vector<int64_t> shape, bool zeroed,
                          const std::shared_ptr<arrow::MemoryPool>& pool);

struct Batch {
  int64_t rows = 0;
  int64_t end_row = 0;  // the shard's stream position after this batch (what a resume starts from)
  std::vector<HostTensor> tensors;
};

}  // namespace strata::loader
