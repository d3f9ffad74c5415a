#include "strata/online/read_columns.h"

namespace strata {

std::vector<FeatureColumnBuilder>& ReadColumns::Prepare(const std::vector<const FeatureDef*>& features, bool as_lists,
                                                        int64_t rows, int64_t elements) {
  rows_ = rows;
  bool same = columns_.size() == features.size();
  for (size_t i = 0; same && i < features.size(); ++i)
    same = columns_[i].as_list() == as_lists && columns_[i].type() == features[i]->type;
  if (same) {
    for (auto& c : columns_) c.Clear();
  } else {
    columns_.clear();
    columns_.reserve(features.size());
    for (const auto* f : features) columns_.emplace_back(f->type, as_lists);
  }
  for (auto& c : columns_) c.Reserve(rows, as_lists ? elements : 0);
  return columns_;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> ReadColumns::TakeArrays() {
  std::vector<std::shared_ptr<arrow::Array>> out;
  out.reserve(columns_.size());
  for (auto& c : columns_) {
    STRATA_ASSIGN_OR_RETURN(auto array, c.Finish());
    out.push_back(std::move(array));
  }
  return out;
}

}  // namespace strata
