#pragma once
// What a training batch holds: which columns of a training set become which tensors. The
// roles follow what a recommendation model consumes (DESIGN.md, the loader): dense numeric
// features stacked into one matrix, id lists for embedding bags, behaviour sequences padded
// to a fixed length, embedding vectors, a label, and passthrough columns (ids for evaluation).

#include <arrow/type_fwd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/status.h"

namespace strata::loader {

// An id column for nn.EmbeddingBag: list<int|string> (or a scalar int|string, a bag of one).
// With `buckets` > 0 each id is hashed into [0, buckets); strings must be hashed.
struct SparseColumn {
  std::string column;
  int64_t buckets = 0;
};

// A sequence column (e.g. `clicks:item_id@50`): list<int|float|string>, newest first, padded
// or truncated to `length`.
struct SequenceColumn {
  std::string column;
  int64_t length = 0;
  int64_t buckets = 0;
};

// An embedding column: fixed_size_list<float, D>, or list<float> whose every value has
// `width` floats (Parquet files written without Arrow's schema read back as lists; Strata's
// own Parquet files declare the width in the field's metadata, see core/parquet_vectors.h).
struct EmbeddingColumn {
  std::string column;
  int32_t width = 0;  // 0: from the fixed-size list type
};

struct LoaderSpec {
  std::vector<std::string> dense;          // numeric scalars -> "dense" float32 [B, D]
  bool dense_mask = false;                 // also "dense_mask" uint8 [B, D], 1 where present
  std::vector<SparseColumn> sparse;        // -> "<col>.values" int64 [nnz], "<col>.offsets" int64 [B]
  std::vector<SequenceColumn> sequences;   // -> "<col>" [B, N] (int64 or float32), "<col>.lengths" int64 [B]
  std::vector<EmbeddingColumn> embeddings; // -> "<col>" float32 [B, D]
  std::string label;                       // numeric -> "label" float32 [B]
  std::vector<std::string> extra;          // integer/timestamp -> int64 [B], floating -> float32 [B]
};

// How a source column is normalized when a unit is decoded, so that batch assembly only ever
// sees five layouts.
enum class ColumnLayout {
  kFloat32,           // dense, label, floating extra: float32 (nulls kept)
  kInt64,             // integer/timestamp extra; scalar ids (a bag of one)
  kInt64List,         // sparse and integer sequences: list<int64>
  kFloat32List,       // floating sequences: list<float32>
  kFixedFloat32List,  // embeddings: fixed_size_list<float32, D>
};

enum class ColumnRole { kDense, kSparse, kSequence, kEmbedding, kLabel, kExtra };

// One column a batch needs, resolved against the source schema.
struct ResolvedColumn {
  ColumnRole role;
  std::string name;
  int field = -1;            // index in the source schema
  ColumnLayout layout;
  bool hash_strings = false; // a string (or list<string>) column hashed into buckets
  int64_t buckets = 0;
  int64_t length = 0;        // sequences
  int32_t width = 0;         // embeddings
};

// Checks every named column against `schema` (present, of a type its role accepts, named
// once per role) and returns them in output order: dense, sparse, sequences, embeddings,
// label, extra. Errors name the column, its type and what the role expects.
Result<std::vector<ResolvedColumn>> ResolveColumns(const LoaderSpec& spec, const arrow::Schema& schema);

}  // namespace strata::loader
