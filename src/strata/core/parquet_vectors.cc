#include "strata/core/parquet_vectors.h"

#include <arrow/api.h>
#include <arrow/util/bitmap_ops.h>
#include <arrow/util/key_value_metadata.h>

#include <charconv>
#include <limits>
#include <string>

namespace strata {

namespace {

bool IsFloatVector(const arrow::DataType& t) {
  return t.id() == arrow::Type::FIXED_SIZE_LIST && t.field(0)->type()->id() == arrow::Type::FLOAT;
}

}  // namespace

std::shared_ptr<arrow::Schema> ParquetVectorSchema(const std::shared_ptr<arrow::Schema>& schema) {
  arrow::FieldVector fields;
  bool changed = false;
  for (const auto& f : schema->fields()) {
    if (!IsFloatVector(*f->type())) {
      fields.push_back(f);
      continue;
    }
    const auto& fsl = static_cast<const arrow::FixedSizeListType&>(*f->type());
    auto meta = f->metadata() ? f->metadata()->Copy() : std::make_shared<arrow::KeyValueMetadata>();
    (void)meta->Set(kVectorDimMetadataKey, std::to_string(fsl.list_size()));
    fields.push_back(arrow::field(f->name(), arrow::list(fsl.value_field()), f->nullable(), std::move(meta)));
    changed = true;
  }
  return changed ? arrow::schema(std::move(fields), schema->metadata()) : schema;
}

Result<std::shared_ptr<arrow::RecordBatch>> ToParquetVectorBatch(const arrow::RecordBatch& batch,
                                                                 const std::shared_ptr<arrow::Schema>& parquet_schema) {
  if (parquet_schema->num_fields() != batch.num_columns())
    return Status::InvalidArgument("a batch with " + std::to_string(batch.num_columns()) + " columns for a schema of " +
                                   std::to_string(parquet_schema->num_fields()));
  std::vector<std::shared_ptr<arrow::Array>> columns;
  columns.reserve(batch.num_columns());
  for (int c = 0; c < batch.num_columns(); ++c) {
    const auto& column = batch.column(c);
    if (!IsFloatVector(*column->type())) {
      columns.push_back(column);
      continue;
    }
    const auto& fsl = static_cast<const arrow::FixedSizeListArray&>(*column);
    const int64_t n = fsl.length();
    const int64_t dim = fsl.value_length();
    if (n * dim > std::numeric_limits<int32_t>::max())
      return Status::InvalidArgument("column '" + batch.schema()->field(c)->name() + "': " + std::to_string(n) +
                                     " vectors of " + std::to_string(dim) + " floats are too many for one batch");
    auto offsets = arrow::AllocateBuffer((n + 1) * sizeof(int32_t));
    if (!offsets.ok()) return Status::IOError("allocating list offsets: " + offsets.status().ToString());
    auto* o = reinterpret_cast<int32_t*>((*offsets)->mutable_data());
    for (int64_t i = 0; i <= n; ++i) o[i] = static_cast<int32_t>(i * dim);
    std::shared_ptr<arrow::Buffer> validity;
    if (fsl.null_count() > 0) {
      auto copied = arrow::internal::CopyBitmap(arrow::default_memory_pool(), fsl.null_bitmap_data(), fsl.offset(), n);
      if (!copied.ok()) return Status::IOError("copying a validity bitmap: " + copied.status().ToString());
      validity = std::move(*copied);
    }
    auto values = fsl.values()->Slice(fsl.offset() * dim, n * dim);
    columns.push_back(std::make_shared<arrow::ListArray>(parquet_schema->field(c)->type(), n, std::move(*offsets),
                                                         std::move(values), std::move(validity), fsl.null_count()));
  }
  return arrow::RecordBatch::Make(parquet_schema, batch.num_rows(), std::move(columns));
}

int32_t DeclaredVectorDim(const arrow::Field& field) {
  if (!field.metadata()) return 0;
  auto value = field.metadata()->Get(kVectorDimMetadataKey);
  if (!value.ok()) return 0;
  int32_t dim = 0;
  const auto& s = *value;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), dim);
  return ec == std::errc() && end == s.data() + s.size() && dim > 0 ? dim : 0;
}

}  // namespace strata
