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

  void Reserve(int64_t rows);
  // Table groups: one value per output row.
  void Append(const FieldRef& field) {
    if (scalar_) scalar_->Append(field);
    else AppendValue(value_builder_, field);
  }
  void AppendNull() {
    if (scalar_) scalar_->AppendNull();
    else (void)builder_->AppendNull();
  }
  // Sequence groups: open a list for the next output row, then add elements.
  void StartList() { (void)static_cast<arrow::ListBuilder*>(builder_.get())->Append(); }
  void AppendElement(const FieldRef& field) { AppendValue(value_builder_, field); }
  void AppendNullElement() { (void)value_builder_->AppendNull(); }

  Result<std::shared_ptr<arrow::Array>> Finish();

 private:
  void AppendValue(arrow::ArrayBuilder* b, const FieldRef& field);

  DataType type_;
  std::optional<ScalarColumnWriter> scalar_;  // the fast path: scalar features of table groups
  std::unique_ptr<arrow::ArrayBuilder> builder_;
  arrow::ArrayBuilder* value_builder_ = nullptr;  // builder_ itself, or its list child
};

}  // namespace strata
