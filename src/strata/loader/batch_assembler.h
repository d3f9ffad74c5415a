#pragma once
// Builds one batch from rows of decoded units (in any order: a shuffled batch gathers from
// the whole shuffle window). Output, by role (see LoaderSpec):
//   dense      "dense" float32 [B, D] (null -> 0), and "dense_mask" uint8 [B, D] if asked
//   sparse     "<col>.values" int64 [nnz] (null ids dropped), "<col>.offsets" int64 [B]
//   sequence   "<col>" int64|float32 [B, N] (newest first, zero-padded), "<col>.lengths" int64 [B]
//   embedding  "<col>" float32 [B, D] (null -> zeros)
//   label      "label" float32 [B] (null -> 0)
//   extra      "<col>" int64 or float32 [B] (null -> 0)

#include <span>
#include <vector>

#include "strata/loader/batch.h"
#include "strata/loader/decoded_unit.h"
#include "strata/loader/loader_spec.h"

namespace strata::loader {

struct RowRef {
  const DecodedUnit* unit = nullptr;
  int64_t row = 0;
  int32_t unit_index = 0;  // the source unit: orders a batch's rows deterministically

  bool operator<(const RowRef& o) const { return unit_index != o.unit_index ? unit_index < o.unit_index : row < o.row; }
};

class BatchAssembler {
 public:
  BatchAssembler(std::vector<ResolvedColumn> columns, bool dense_mask, std::shared_ptr<arrow::MemoryPool> pool);

  Batch Assemble(std::span<const RowRef> rows) const;

 private:
  void Dense(std::span<const RowRef> rows, Batch* out) const;
  void Sparse(size_t c, std::span<const RowRef> rows, Batch* out) const;
  void Sequence(size_t c, std::span<const RowRef> rows, Batch* out) const;
  void Embedding(size_t c, std::span<const RowRef> rows, Batch* out) const;
  void Scalar(size_t c, const std::string& name, std::span<const RowRef> rows, Batch* out) const;
  HostTensor Allocate(std::string name, DType dtype, std::vector<int64_t> shape, bool zeroed) const {
    return AllocateTensor(std::move(name), dtype, std::move(shape), zeroed, pool_);
  }

  std::vector<ResolvedColumn> columns_;
  std::vector<size_t> dense_;  // indices of the dense columns
  bool dense_mask_ = false;
  std::shared_ptr<arrow::MemoryPool> pool_;
};

}  // namespace strata::loader
