#pragma once
// How Strata types appear as Arrow types (reads, files, Python).

#include <arrow/type_fwd.h>

#include <memory>

#include "strata/core/data_type.h"
#include "strata/core/definitions.h"

namespace strata {

// bool, int32, int64, float, double, utf8, binary, timestamp[us, UTC], list<...>,
// and fixed_size_list<float32, D> for embeddings (always dequantized to float32).
std::shared_ptr<arrow::DataType> ArrowTypeOf(const DataType& type);

// Arrow creates its type singletons and CPU memory manager on first use; this creates them
// now, so that threads reading concurrently later never race to initialize them.
void InitArrowSingletons();

// The Arrow type of an entity key column.
std::shared_ptr<arrow::DataType> ArrowTypeOf(KeyType key_type);

}  // namespace strata
