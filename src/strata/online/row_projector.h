#pragma once
// Fills output columns from encoded rows: the step every online read ends with, whatever the
// backend. Fields the row lacks (null, or added to the schema after the row was written) become
// nulls; fields not requested (or dropped from the schema) are skipped.

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/row_codec.h"
#include "strata/online/column_builder.h"

namespace strata {

// Maps stored feature ids to output columns and fills one output row from an encoded row.
class RowProjector {
 public:
  explicit RowProjector(const std::vector<const FeatureDef*>& features) : filled_(features.size()) {
    uint32_t max_id = 0;
    for (const auto* f : features) max_id = std::max(max_id, f->id);
    column_of_id_.assign(max_id + 1, -1);
    for (size_t i = 0; i < features.size(); ++i) column_of_id_[features[i]->id] = static_cast<int>(i);
  }

  // `element`: append into the open list of each column (sequences) instead of a new row.
  template <bool kElement>
  void Project(std::string_view row, std::vector<FeatureColumnBuilder>* columns) {
    std::fill(filled_.begin(), filled_.end(), 0);
    RowFieldReader reader(row);
    FieldRef f;
    while (reader.Next(&f)) {
      if (f.feature_id >= column_of_id_.size()) continue;
      const int c = column_of_id_[f.feature_id];
      if (c < 0 || filled_[c]) continue;
      filled_[c] = 1;
      if constexpr (kElement) (*columns)[c].AppendElement(f);
      else (*columns)[c].Append(f);
    }
    for (size_t c = 0; c < filled_.size(); ++c) {
      if (filled_[c]) continue;
      if constexpr (kElement) (*columns)[c].AppendNullElement();
      else (*columns)[c].AppendNull();
    }
  }

 private:
  std::vector<int> column_of_id_;
  std::vector<uint8_t> filled_;
};

}  // namespace strata
