#pragma once
// Which rows one shard reads in one epoch, and in what order, computed from row counts alone
// (no data is read), so that a resumed loader can skip to any position without decoding what
// came before it.
//
// Units (Parquet row groups, or slices of an in-memory table) are permuted per epoch
// (seed, epoch), then dealt round-robin to the shards (rank x worker): every unit goes to
// exactly one shard. A shard's units are grouped into windows of at least
// `shuffle_buffer_rows` rows; rows are permuted within a window (the bounded shuffle buffer)
// and the shard's stream is the concatenation of its windows. Every permutation comes from
// splitmix64, not from the standard library, so a plan is the same on every platform.

#include <cstdint>
#include <vector>

namespace strata::loader {

struct Unit {
  int source = 0;        // file index (or 0 for a table)
  int row_group = 0;     // row group in the file (or slice index of a table)
  int64_t rows = 0;
};

struct PlanOptions {
  bool shuffle = true;
  uint64_t seed = 0;
  int64_t shuffle_buffer_rows = 1 << 18;
  int shard = 0;
  int num_shards = 1;
};

struct Window {
  std::vector<int> units;   // indices into the loader's units, in read order
  int64_t first_row = 0;    // position of the window's first row in the shard's stream
  int64_t rows = 0;
};

class EpochPlan {
 public:
  static EpochPlan Make(const std::vector<Unit>& units, const PlanOptions& options, int64_t epoch);

  const std::vector<Window>& windows() const { return windows_; }
  int64_t rows() const { return rows_; }
  // The order in which window `w` hands out its rows: a permutation of [0, rows) when
  // shuffling, else the identity.
  std::vector<uint32_t> RowOrder(int w) const;
  // The window holding stream row `row` (windows().size() when row >= rows()).
  int WindowAt(int64_t row) const;

 private:
  std::vector<Window> windows_;
  int64_t rows_ = 0;
  bool shuffle_ = false;
  uint64_t window_seed_ = 0;
};

// splitmix64: the stream every permutation draws from.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32).
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64); }

 private:
  uint64_t state_;
};

}  // namespace strata::loader
