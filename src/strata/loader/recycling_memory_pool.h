#pragma once
// A memory pool that keeps large freed blocks for reuse instead of handing them back to the
// system. A loader allocates and frees the same sizes over and over (a shuffle window of
// decoded row groups, then batch tensors); returned to the OS, every block comes back as
// fresh pages the kernel must zero on first touch, which cost as much as decoding itself.
// Blocks are rounded up to size classes (at most 25% larger) so that they match again;
// the cache holds at most as many bytes as were ever in use at once, so the pool's memory is
// bounded by twice the loader's peak.

#include <arrow/memory_pool.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace strata::loader {

class RecyclingMemoryPool final : public arrow::MemoryPool {
 public:
  explicit RecyclingMemoryPool(arrow::MemoryPool* base = arrow::default_memory_pool());
  ~RecyclingMemoryPool() override;

  arrow::Status Allocate(int64_t size, int64_t alignment, uint8_t** out) override;
  arrow::Status Reallocate(int64_t old_size, int64_t new_size, int64_t alignment, uint8_t** ptr) override;
  void Free(uint8_t* buffer, int64_t size, int64_t alignment) override;

  int64_t bytes_allocated() const override;
  int64_t max_memory() const override;
  int64_t total_bytes_allocated() const override;
  int64_t num_allocations() const override;
  std::string backend_name() const override { return "strata-recycling(" + base_->backend_name() + ")"; }
  int64_t cached_bytes() const;

  // Blocks below this size are not worth keeping: the allocator recycles them well.
  static constexpr int64_t kMinCachedSize = 256 << 10;
  // The size class of a block of `size` bytes.
  static int64_t SizeClass(int64_t size);

 private:
  bool Cacheable(int64_t size, int64_t alignment) const {
    return size >= kMinCachedSize && alignment <= arrow::kDefaultBufferAlignment;
  }

  arrow::MemoryPool* base_;
  mutable std::mutex mu_;
  std::map<int64_t, std::vector<uint8_t*>> free_;  // by size class
  int64_t cached_ = 0;
  int64_t in_use_ = 0;
  int64_t peak_ = 0;
  int64_t total_ = 0;
  int64_t allocations_ = 0;
};

}  // namespace strata::loader
