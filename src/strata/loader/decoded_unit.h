#pragma once
// One unit (row group or table slice) read and normalized for batch assembly: every needed
// column cast to one of the five layouts of ColumnLayout (and string ids hashed into their
// buckets), with raw pointers ready, so that assembling a batch is pointer arithmetic and
// copies, whatever the source types were.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "strata/core/status.h"
#include "strata/loader/loader_spec.h"

namespace strata::loader {

// Raw access to one normalized column. Offsets are applied: row i of a scalar column is
// values[i]; of a list, child elements offsets[i]..offsets[i+1]; of a fixed-size list,
// values[i*width .. (i+1)*width).
struct ColumnView {
  const uint8_t* valid = nullptr;  // null: no nulls
  int64_t valid_offset = 0;
  const void* values = nullptr;
  const int32_t* offsets = nullptr;
  const uint8_t* child_valid = nullptr;  // list children; null: no nulls
  int64_t child_valid_offset = 0;
  int32_t width = 0;

  bool Valid(int64_t i) const { return valid == nullptr || (valid[(valid_offset + i) >> 3] >> ((valid_offset + i) & 7)) & 1; }
  bool ChildValid(int64_t j) const {
    return child_valid == nullptr || (child_valid[(child_valid_offset + j) >> 3] >> ((child_valid_offset + j) & 7)) & 1;
  }
  template <typename T>
  const T* As() const { return static_cast<const T*>(values); }
};

class DecodedUnit {
 public:
  // `columns[i]` is the source column of `resolved[i]` (one chunk each).
  static Result<std::shared_ptr<DecodedUnit>> Make(const std::vector<std::shared_ptr<arrow::Array>>& columns,
                                                   const std::vector<ResolvedColumn>& resolved, arrow::MemoryPool* pool);

  int64_t rows() const { return rows_; }
  const ColumnView& view(size_t column) const { return views_[column]; }
  // The dense columns as a row-major matrix [rows, D] (nulls as 0), and 1/0 presence beside it:
  // a shuffled batch then copies one contiguous row instead of gathering D scattered values.
  const float* dense_row(int64_t row) const { return dense_ + row * dense_width_; }
  const uint8_t* dense_present_row(int64_t row) const { return dense_present_ + row * dense_width_; }

 private:
  Status TransposeDense(const std::vector<std::shared_ptr<arrow::Array>>& dense, arrow::MemoryPool* pool);

  int64_t rows_ = 0;
  std::vector<std::shared_ptr<arrow::Array>> arrays_;  // normalized; own the buffers the views point into
  std::vector<ColumnView> views_;
  int64_t dense_width_ = 0;
  std::shared_ptr<arrow::Buffer> dense_buffer_, dense_present_buffer_;
  const float* dense_ = nullptr;
  const uint8_t* dense_present_ = nullptr;
};

// The bucket of an integer id (a 64-bit mix, then modulo) and of a string id (XXH3).
int64_t HashIdToBucket(int64_t id, int64_t buckets);
int64_t HashStringToBucket(const char* data, size_t size, int64_t buckets);

}  // namespace strata::loader
