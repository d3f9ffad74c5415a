#pragma once
// Builds one Arrow column of a feature from encoded row fields: the last step of every
// online read. Decodes stored fields straight into Arrow arrays (no intermediate Value).

#include <arrow/builder.h>

#include <memory>
#include <optional>

#include "strata/core/definitions.h"
#include "strata/core/row_codec.h"
#include "strata/core/status.h"
#include "strata/online/scalar_column.h"

namespace strata {

class FeatureColumnBuilder {
 public:
  // `as_list`: each output row is a list of values (sequence groups).
  FeatureColumnBuilder(const DataType& type, bool as_list);

  // `elements`: for sequences, the list elements expected over all rows (a hint).
  void Reserve(int64_t rows, int64_t elements = 0);
  // Table groups: one value per output row.
  void Append(const FieldRef& field) {
    if (scalar_) scalar_->Append(field);
    else AppendValue(value_builder_, field);
  }
  void AppendNull() {
    if (!scalar_) (void)builder_->AppendNull();
    else if (as_list_) OpenList(false);
    else scalar_->AppendNull();
  }
  // Sequence groups: open a list for the next output row, then add elements.
  void StartList() {
    if (scalar_) OpenList(true);
    else (void)static_cast<arrow::ListBuilder*>(builder_.get())->Append();
  }
  void AppendElement(const FieldRef& field) {
    if (scalar_) {
      scalar_->Append(field);
      ++elements_;
    } else {
      AppendValue(value_builder_, field);
    }
  }
  void AppendNullElement() {
    if (scalar_) {
      scalar_->AppendNull();
      ++elements_;
    } else {
      (void)value_builder_->AppendNull();
    }
  }

  Result<std::shared_ptr<arrow::Array>> Finish();

 private:
  void AppendValue(arrow::ArrayBuilder* b, const FieldRef& field);
  void OpenList(bool valid);
  Result<std::shared_ptr<arrow::Array>> FinishList();

  DataType type_;
  bool as_list_ = false;
  // The fast path for scalar features: the column itself (tables), or the lists' values (sequences).
  std::optional<ScalarColumnWriter> scalar_;
  std::vector<int32_t> list_offsets_;  // sequences on the fast path: where each list starts
  std::vector<uint8_t> list_validity_;
  int64_t lists_ = 0, null_lists_ = 0, elements_ = 0;
  std::unique_ptr<arrow::ArrayBuilder> builder_;
  arrow::ArrayBuilder* value_builder_ = nullptr;  // builder_ itself, or its list child
};

}  // namespace strata
