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

  // The column as an Arrow array, its buffers moved in (the builder is spent until Clear).
  Result<std::shared_ptr<arrow::Array>> Finish() { return Build(false); }
  // The column as an Arrow array, copied: the builder keeps its values (list, vector and
  // list-typed features, built by Arrow builders, are finished once and shared instead).
  Result<std::shared_ptr<arrow::Array>> Copy() { return Build(true); }
  // Empties the column for a new read, keeping its buffers' capacity.
  void Clear();

  // Reading the values without Arrow, once the read is done (see read_columns.h).
  const DataType& type() const { return type_; }
  bool as_list() const { return as_list_; }
  // Output rows so far.
  int64_t rows() const;
  bool IsNull(int64_t row) const;
  // Scalar features: the values (tables: one per row; sequences: the lists' elements, see
  // ElementsOf). Null for list, vector and list-typed features: read those with Copy (which
  // costs nothing more for them: their Arrow builder's array is finished once and shared).
  const ScalarColumnWriter* scalar() const { return scalar_ ? &*scalar_ : nullptr; }
  // Sequences of scalar features: the elements [first, second) of `row` in scalar().
  std::pair<int64_t, int64_t> ElementsOf(int64_t row) const {
    return {list_offsets_[row], row + 1 < lists_ ? list_offsets_[row + 1] : elements_};
  }

 private:
  void AppendValue(arrow::ArrayBuilder* b, const FieldRef& field);
  void OpenList(bool valid);
  Result<std::shared_ptr<arrow::Array>> Build(bool copy);
  Result<std::shared_ptr<arrow::Array>> BuildList(bool copy);
  // builder_'s array, finished on first use by a reader.
  const arrow::Array* Built() const;

  DataType type_;
  bool as_list_ = false;
  // The fast path for scalar features: the column itself (tables), or the lists' values (sequences).
  std::optional<ScalarColumnWriter> scalar_;
  std::vector<int32_t> list_offsets_;  // sequences on the fast path: where each list starts
  std::vector<uint8_t> list_validity_;
  int64_t lists_ = 0, null_lists_ = 0, elements_ = 0;
  std::unique_ptr<arrow::ArrayBuilder> builder_;
  arrow::ArrayBuilder* value_builder_ = nullptr;  // builder_ itself, or its list child
  mutable std::shared_ptr<arrow::Array> built_;   // builder_'s array, once a reader finished it
};

}  // namespace strata
