#include "strata/loader/batch_assembler.h"

#include <cstring>

namespace strata::loader {

HostTensor AllocateTensor(std::string name, DType dtype, std::vector<int64_t> shape, bool zeroed,
                          const std::shared_ptr<arrow::MemoryPool>& pool) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  const int64_t item = dtype == DType::kUInt8 ? 1 : dtype == DType::kFloat32 ? 4 : 8;
  const int64_t bytes = std::max<int64_t>(64, (count * item + 63) / 64 * 64);
  uint8_t* p = nullptr;
  if (!pool->Allocate(bytes, 64, &p).ok()) throw std::bad_alloc();
  if (zeroed) std::memset(p, 0, static_cast<size_t>(bytes));
  HostTensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data = std::shared_ptr<void>(p, [pool, bytes](void* q) { pool->Free(static_cast<uint8_t*>(q), bytes, 64); });
  return t;
}

BatchAssembler::BatchAssembler(std::vector<ResolvedColumn> columns, bool dense_mask,
                               std::shared_ptr<arrow::MemoryPool> pool)
    : columns_(std::move(columns)), dense_mask_(dense_mask), pool_(std::move(pool)) {
  for (size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c].role == ColumnRole::kDense) dense_.push_back(c);
}

Batch BatchAssembler::Assemble(std::span<const RowRef> rows) const {
  Batch out;
  out.rows = static_cast<int64_t>(rows.size());
  if (!dense_.empty()) Dense(rows, &out);
  for (size_t c = 0; c < columns_.size(); ++c) {
    switch (columns_[c].role) {
      case ColumnRole::kDense: break;
      case ColumnRole::kSparse: Sparse(c, rows, &out); break;
      case ColumnRole::kSequence: Sequence(c, rows, &out); break;
      case ColumnRole::kEmbedding: Embedding(c, rows, &out); break;
      case ColumnRole::kLabel: Scalar(c, "label", rows, &out); break;
      case ColumnRole::kExtra: Scalar(c, columns_[c].name, rows, &out); break;
    }
  }
  return out;
}

void BatchAssembler::Dense(std::span<const RowRef> rows, Batch* out) const {
  const int64_t B = static_cast<int64_t>(rows.size());
  const int64_t D = static_cast<int64_t>(dense_.size());
  HostTensor values = Allocate("dense", DType::kFloat32, {B, D}, false);
  HostTensor mask;
  if (dense_mask_) mask = Allocate("dense_mask", DType::kUInt8, {B, D}, false);
  float* v = values.As<float>();
  uint8_t* m = dense_mask_ ? mask.As<uint8_t>() : nullptr;
  for (int64_t b = 0; b < B; ++b) {
    const DecodedUnit& unit = *rows[b].unit;
    std::memcpy(v + b * D, unit.dense_row(rows[b].row), static_cast<size_t>(D) * sizeof(float));
    if (m) std::memcpy(m + b * D, unit.dense_present_row(rows[b].row), static_cast<size_t>(D));
  }
  out->tensors.push_back(std::move(values));
  if (dense_mask_) out->tensors.push_back(std::move(mask));
}

void BatchAssembler::Sparse(size_t c, std::span<const RowRef> rows, Batch* out) const {
  const ResolvedColumn& col = columns_[c];
  const int64_t B = static_cast<int64_t>(rows.size());
  HostTensor offsets = Allocate(col.name + ".offsets", DType::kInt64, {B}, false);
  int64_t* off = offsets.As<int64_t>();
  int64_t nnz = 0;
  const bool is_list = col.layout == ColumnLayout::kInt64List;
  for (int64_t b = 0; b < B; ++b) {
    off[b] = nnz;
    const ColumnView& view = rows[b].unit->view(c);
    const int64_t r = rows[b].row;
    if (!view.Valid(r)) continue;
    nnz += is_list ? view.offsets[r + 1] - view.offsets[r] : 1;
  }
  HostTensor values = Allocate(col.name + ".values", DType::kInt64, {nnz}, false);
  int64_t* val = values.As<int64_t>();
  int64_t n = 0;
  for (int64_t b = 0; b < B; ++b) {
    const ColumnView& view = rows[b].unit->view(c);
    const int64_t r = rows[b].row;
    off[b] = n;  // again: null ids inside lists are dropped below
    if (!view.Valid(r)) continue;
    const int64_t* ids = view.As<int64_t>();
    if (!is_list) {
      val[n++] = ids[r];
      continue;
    }
    const int32_t begin = view.offsets[r], end = view.offsets[r + 1];
    if (view.child_valid == nullptr) {
      std::memcpy(val + n, ids + begin, static_cast<size_t>(end - begin) * sizeof(int64_t));
      n += end - begin;
    } else {
      for (int32_t j = begin; j < end; ++j)
        if (view.ChildValid(j)) val[n++] = ids[j];
    }
  }
  values.shape[0] = n;
  out->tensors.push_back(std::move(values));
  out->tensors.push_back(std::move(offsets));
}

void BatchAssembler::Sequence(size_t c, std::span<const RowRef> rows, Batch* out) const {
  const ResolvedColumn& col = columns_[c];
  const int64_t B = static_cast<int64_t>(rows.size());
  const int64_t N = col.length;
  const bool floats = col.layout == ColumnLayout::kFloat32List;
  const size_t item = floats ? sizeof(float) : sizeof(int64_t);
  HostTensor padded = Allocate(col.name, floats ? DType::kFloat32 : DType::kInt64, {B, N}, true);
  HostTensor lengths = Allocate(col.name + ".lengths", DType::kInt64, {B}, false);
  auto* dst = static_cast<uint8_t*>(padded.data.get());
  int64_t* len = lengths.As<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    const ColumnView& view = rows[b].unit->view(c);
    const int64_t r = rows[b].row;
    if (!view.Valid(r)) {
      len[b] = 0;
      continue;
    }
    const int32_t begin = view.offsets[r];
    const int64_t n = std::min<int64_t>(N, view.offsets[r + 1] - begin);
    len[b] = n;
    std::memcpy(dst + static_cast<size_t>(b * N) * item, static_cast<const uint8_t*>(view.values) + begin * item,
                static_cast<size_t>(n) * item);
    if (view.child_valid != nullptr)  // null elements read as 0, keeping their positions
      for (int64_t j = 0; j < n; ++j)
        if (!view.ChildValid(begin + j)) std::memset(dst + static_cast<size_t>(b * N + j) * item, 0, item);
  }
  out->tensors.push_back(std::move(padded));
  out->tensors.push_back(std::move(lengths));
}

void BatchAssembler::Embedding(size_t c, std::span<const RowRef> rows, Batch* out) const {
  const ResolvedColumn& col = columns_[c];
  const int64_t B = static_cast<int64_t>(rows.size());
  const int64_t D = col.width;
  HostTensor t = Allocate(col.name, DType::kFloat32, {B, D}, false);
  float* dst = t.As<float>();
  for (int64_t b = 0; b < B; ++b) {
    const ColumnView& view = rows[b].unit->view(c);
    const int64_t r = rows[b].row;
    float* row = dst + b * D;
    if (!view.Valid(r)) {
      std::memset(row, 0, static_cast<size_t>(D) * sizeof(float));
      continue;
    }
    const float* src = view.As<float>() + r * D;
    std::memcpy(row, src, static_cast<size_t>(D) * sizeof(float));
    if (view.child_valid != nullptr)
      for (int64_t j = 0; j < D; ++j)
        if (!view.ChildValid(r * D + j)) row[j] = 0.0f;
  }
  out->tensors.push_back(std::move(t));
}

void BatchAssembler::Scalar(size_t c, const std::string& name, std::span<const RowRef> rows, Batch* out) const {
  const ResolvedColumn& col = columns_[c];
  const int64_t B = static_cast<int64_t>(rows.size());
  if (col.layout == ColumnLayout::kInt64) {
    HostTensor t = Allocate(name, DType::kInt64, {B}, false);
    int64_t* dst = t.As<int64_t>();
    for (int64_t b = 0; b < B; ++b) {
      const ColumnView& view = rows[b].unit->view(c);
      dst[b] = view.Valid(rows[b].row) ? view.As<int64_t>()[rows[b].row] : 0;
    }
    out->tensors.push_back(std::move(t));
    return;
  }
  HostTensor t = Allocate(name, DType::kFloat32, {B}, false);
  float* dst = t.As<float>();
  for (int64_t b = 0; b < B; ++b) {
    const ColumnView& view = rows[b].unit->view(c);
    dst[b] = view.Valid(rows[b].row) ? view.As<float>()[rows[b].row] : 0.0f;
  }
  out->tensors.push_back(std::move(t));
}

}  // namespace strata::loader
