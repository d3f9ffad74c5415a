#include "strata/core/column_row_encoder.h"

#include <arrow/array.h>
#include <arrow/util/bit_util.h>

#include <cstring>

#include "strata/core/row_codec.h"

namespace strata {

namespace {

bool IsScalar(TypeId id) {
  switch (id) {
    case TypeId::kBool: case TypeId::kInt32: case TypeId::kInt64: case TypeId::kFloat32: case TypeId::kFloat64:
    case TypeId::kString: case TypeId::kBytes: case TypeId::kTimestamp: return true;
    default: return false;
  }
}

// One feature column as the row loop reads it.
struct ColumnCursor {
  char header[8];     // varint field id + wire tag
  uint8_t header_size;
  uint8_t width;      // fixed-width value bytes, 1 for bools (one bit each); 0 for strings and bytes
  const arrow::Array* array;
  const uint8_t* values;   // fixed-width values, or string bytes
  const int32_t* offsets;  // strings and bytes
};

ColumnCursor CursorFor(const FeatureDef& feature, const arrow::Array& a) {
  ColumnCursor c{};
  c.array = &a;
  WireTag tag = WireTag::kBytes;
  switch (feature.type.id) {
    case TypeId::kBool: tag = WireTag::kBool, c.width = 1; break;
    case TypeId::kInt32: tag = WireTag::kInt32, c.width = 4; break;
    case TypeId::kInt64: case TypeId::kTimestamp: tag = WireTag::kInt64, c.width = 8; break;
    case TypeId::kFloat32: tag = WireTag::kFloat32, c.width = 4; break;
    case TypeId::kFloat64: tag = WireTag::kFloat64, c.width = 8; break;
    default: break;  // string, bytes
  }
  char* end = PutVarint(c.header, feature.id);  // the field header, encoded once per column
  *end++ = static_cast<char>(tag);
  c.header_size = static_cast<uint8_t>(end - c.header);
  if (c.width == 1) {  // bits: PutField adds the array's offset
    c.values = a.data()->buffers[1]->data();
  } else if (c.width > 0) {
    c.values = a.data()->GetValues<uint8_t>(1, a.offset() * c.width);
  } else {
    c.offsets = a.data()->GetValues<int32_t>(1);
    c.values = a.data()->buffers[2] ? a.data()->buffers[2]->data() : nullptr;
  }
  return c;
}

// Writes one field of row i at p; returns the end.
inline char* PutField(const ColumnCursor& c, int64_t i, char* p) {
  for (uint8_t k = 0; k < c.header_size; ++k) *p++ = c.header[k];
  switch (c.width) {
    case 8: std::memcpy(p, c.values + 8 * i, 8); return p + 8;
    case 4: std::memcpy(p, c.values + 4 * i, 4); return p + 4;
    case 1: *p = arrow::bit_util::GetBit(c.values, c.array->offset() + i) ? 1 : 0; return p + 1;
    default: {
      const auto size = static_cast<uint64_t>(c.offsets[i + 1] - c.offsets[i]);
      p = PutVarint(p, size);
      if (size > 0) std::memcpy(p, c.values + c.offsets[i], size);
      return p + size;
    }
  }
}

}  // namespace

bool ColumnsEncodable(const std::vector<FeatureDef>& features) {
  for (const auto& f : features)
    if (!IsScalar(f.type.id)) return false;
  return true;
}

void EncodeRowsFromColumns(const std::vector<FeatureDef>& features,
                           std::span<const std::shared_ptr<arrow::Array>> columns, std::vector<std::string>* rows) {
  std::vector<ColumnCursor> cursors;
  cursors.reserve(features.size());
  bool any_nulls = false;
  size_t fixed_size = 0;  // of a row without nulls, strings and bytes excluded
  for (size_t f = 0; f < features.size(); ++f) {
    cursors.push_back(CursorFor(features[f], *columns[f]));
    any_nulls |= columns[f]->null_count() > 0;
    fixed_size += cursors.back().header_size + cursors.back().width;
  }
  // Row by row: each row's string is sized once and written while in cache; the columns are
  // read in step, one stream each. (Column by column, every append missed the cache: a
  // million rows' strings are far larger than it.)
  const int64_t n = static_cast<int64_t>(rows->size());
  for (int64_t i = 0; i < n; ++i) {
    size_t size = fixed_size;
    for (const auto& c : cursors)
      if (c.width == 0) size += 10 + static_cast<size_t>(c.offsets[i + 1] - c.offsets[i]);  // varint <= 10
    std::string& out = (*rows)[i];
    const size_t base = out.size();
    out.resize(base + size);
    char* p = out.data() + base;
    if (!any_nulls) {
      for (const auto& c : cursors) p = PutField(c, i, p);
    } else {
      for (const auto& c : cursors)
        if (!c.array->IsNull(i)) p = PutField(c, i, p);
    }
    out.resize(static_cast<size_t>(p - out.data()));
  }
}

}  // namespace strata
