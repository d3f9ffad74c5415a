#pragma once
// The output of an online read, kept by the caller and filled again by each read.
//
// OnlineStore::Read returns fresh Arrow arrays: for one key of 20 features, building them costs
// more than the lookup itself (~2.3 µs of allocations and reference counts against ~0.8 µs for a
// cached key). A caller that reads in a loop (a request handler, an embedded ranking service)
// keeps one ReadColumns per thread and reads into it with OnlineStore::ReadInto: the columns keep
// their buffers between reads, so that once they have grown to the largest read, a read
// allocates nothing for its output. Values are read in place (FeatureColumnBuilder's accessors);
// Copy or TakeArrays turn columns into Arrow arrays when needed.

#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/online/column_builder.h"

namespace strata {

class ReadColumns {
 public:
  ReadColumns() = default;
  ReadColumns(ReadColumns&&) = default;
  ReadColumns& operator=(ReadColumns&&) = default;

  // One column per requested feature, in request order; one row per key of the last read.
  size_t size() const { return columns_.size(); }
  const FeatureColumnBuilder& operator[](size_t i) const { return columns_[i]; }
  int64_t rows() const { return columns_.empty() ? rows_ : columns_[0].rows(); }

  // Column i as an Arrow array, copied (the buffers stay for the next read).
  Result<std::shared_ptr<arrow::Array>> Copy(size_t i) { return columns_[i].Copy(); }
  // Every column as an Arrow array without copying; the columns are spent until the next read.
  Result<std::vector<std::shared_ptr<arrow::Array>>> TakeArrays();

  // For stores: empties the columns for a read of `rows` keys of `features` (lists of them
  // for sequence groups, `elements` list elements expected in all), reusing the columns of
  // the previous read where their types match.
  std::vector<FeatureColumnBuilder>& Prepare(const std::vector<const FeatureDef*>& features, bool as_lists, int64_t rows,
                                             int64_t elements);
  // For callers that encode keys before reading: strings kept between reads too.
  std::vector<std::string>& key_buffer() { return keys_; }

 private:
  std::vector<FeatureColumnBuilder> columns_;
  int64_t rows_ = 0;
  std::vector<std::string> keys_;
};

}  // namespace strata
