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
    if (filled_.size() <= 64) return ProjectFew<kElement>(row, columns);
    std::fill(filled_.begin(), filled_.end(), 0);
    RowFieldReader reader(row);
    FieldRef f;
    while (reader.Next(&f)) {
      if (f.feature_id >= column_of_id_.size()) continue;
      const int c = column_of_id_[f.feature_id];
      if (c < 0 || filled_[c]) continue;
      filled_[c] = 1;
      Put<kElement>(&(*columns)[c], f);
    }
    for (size_t c = 0; c < filled_.size(); ++c)
      if (!filled_[c]) PutNull<kElement>(&(*columns)[c]);
  }

 private:
  // Up to 64 columns (nearly every read; a sequence read runs this once per event): which are
  // filled is a bit mask in a register instead of a vector in memory.
  template <bool kElement>
  void ProjectFew(std::string_view row, std::vector<FeatureColumnBuilder>* columns) {
    const size_t n = filled_.size();
    const uint64_t all = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
    uint64_t filled = 0;
    RowFieldReader reader(row);
    FieldRef f;
    while (reader.Next(&f)) {
      if (f.feature_id >= column_of_id_.size()) continue;
      const int c = column_of_id_[f.feature_id];
      if (c < 0 || (filled >> c & 1)) continue;
      filled |= uint64_t{1} << c;
      Put<kElement>(&(*columns)[c], f);
    }
    for (uint64_t missing = all & ~filled; missing; missing &= missing - 1)
      PutNull<kElement>(&(*columns)[static_cast<size_t>(__builtin_ctzll(missing))]);
  }
  template <bool kElement>
  static void Put(FeatureColumnBuilder* column, const FieldRef& f) {
    if constexpr (kElement) column->AppendElement(f);
    else column->Append(f);
  }
  template <bool kElement>
  static void PutNull(FeatureColumnBuilder* column) {
    if constexpr (kElement) column->AppendNullElement();
    else column->AppendNull();
  }
  std::vector<int> column_of_id_;
  std::vector<uint8_t> filled_;
};

}  // namespace strata
