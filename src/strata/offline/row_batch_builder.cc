#include "strata/offline/row_batch_builder.h"

#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/table_builder.h>

#include "strata/offline/iceberg/table_schema.h"

namespace strata {

namespace {

template <typename B, typename T>
void AppendList(arrow::ArrayBuilder* b, const Value& v) {
  auto* lb = static_cast<arrow::ListBuilder*>(b);
  const auto* xs = std::get_if<std::vector<T>>(&v);
  if (!xs) {
    (void)lb->AppendNull();
    return;
  }
  (void)lb->Append();
  auto* vb = static_cast<B*>(lb->value_builder());
  if constexpr (std::is_same_v<T, std::string>) {
    for (const auto& x : *xs) (void)vb->Append(x);
  } else {
    (void)vb->AppendValues(xs->data(), static_cast<int64_t>(xs->size()));
  }
}

void AppendValue(arrow::ArrayBuilder* b, const DataType& type, const Value& v) {
  if (IsNull(v) && !type.is_list() && type.id != TypeId::kVector) {
    (void)b->AppendNull();
    return;
  }
  switch (type.id) {
    case TypeId::kBool:
      if (auto* x = std::get_if<bool>(&v)) return (void)static_cast<arrow::BooleanBuilder*>(b)->Append(*x);
      break;
    case TypeId::kInt32:
      if (auto* x = std::get_if<int64_t>(&v)) return (void)static_cast<arrow::Int32Builder*>(b)->Append(static_cast<int32_t>(*x));
      break;
    case TypeId::kInt64:
      if (auto* x = std::get_if<int64_t>(&v)) return (void)static_cast<arrow::Int64Builder*>(b)->Append(*x);
      break;
    case TypeId::kTimestamp:
      if (auto* x = std::get_if<int64_t>(&v)) return (void)static_cast<arrow::TimestampBuilder*>(b)->Append(*x);
      break;
    case TypeId::kFloat32:
      if (auto* x = std::get_if<double>(&v)) return (void)static_cast<arrow::FloatBuilder*>(b)->Append(static_cast<float>(*x));
      break;
    case TypeId::kFloat64:
      if (auto* x = std::get_if<double>(&v)) return (void)static_cast<arrow::DoubleBuilder*>(b)->Append(*x);
      break;
    case TypeId::kString:
      if (auto* x = std::get_if<std::string>(&v)) return (void)static_cast<arrow::StringBuilder*>(b)->Append(*x);
      break;
    case TypeId::kBytes:
      if (auto* x = std::get_if<std::string>(&v)) return (void)static_cast<arrow::BinaryBuilder*>(b)->Append(*x);
      break;
    case TypeId::kListInt64: return AppendList<arrow::Int64Builder, int64_t>(b, v);
    case TypeId::kListFloat32:
    case TypeId::kVector: return AppendList<arrow::FloatBuilder, float>(b, v);
    case TypeId::kListString: return AppendList<arrow::StringBuilder, std::string>(b, v);
  }
  (void)b->AppendNull();
}

}  // namespace

RowBatchBuilder::RowBatchBuilder(const EntityDef& entity, const FeatureGroupDef& group)
    : schema_(iceberg::ArrowSchema(entity, group)) {
  for (const auto& f : group.features) types_.push_back(f.type);
  builder_ = std::move(arrow::RecordBatchBuilder::Make(schema_, arrow::default_memory_pool(), 4096)).ValueOrDie();
}

RowBatchBuilder::~RowBatchBuilder() = default;

void RowBatchBuilder::Append(const Value& key, int64_t event_time, int64_t write_seq, std::span<const Value> features) {
  if (const auto* k = std::get_if<int64_t>(&key)) {
    (void)builder_->GetFieldAs<arrow::Int64Builder>(0)->Append(*k);
  } else {
    (void)builder_->GetFieldAs<arrow::StringBuilder>(0)->Append(std::get<std::string>(key));
  }
  (void)builder_->GetFieldAs<arrow::TimestampBuilder>(1)->Append(event_time);
  (void)builder_->GetFieldAs<arrow::Int64Builder>(2)->Append(write_seq);
  for (size_t i = 0; i < types_.size(); ++i)
    AppendValue(builder_->GetField(static_cast<int>(i) + 3), types_[i], i < features.size() ? features[i] : Value());
  ++rows_;
}

Result<std::shared_ptr<arrow::RecordBatch>> RowBatchBuilder::Finish() {
  auto batch = builder_->Flush();
  if (!batch.ok()) return Status::Internal("building an offline batch: " + batch.status().ToString());
  rows_ = 0;
  return *batch;
}

}  // namespace strata
