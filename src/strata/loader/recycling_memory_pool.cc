#include "strata/loader/recycling_memory_pool.h"

#include <bit>
#include <cstring>

namespace strata::loader {

RecyclingMemoryPool::RecyclingMemoryPool(arrow::MemoryPool* base) : base_(base) {}

RecyclingMemoryPool::~RecyclingMemoryPool() {
  for (auto& [size, blocks] : free_)
    for (uint8_t* b : blocks) base_->Free(b, size, arrow::kDefaultBufferAlignment);
}

int64_t RecyclingMemoryPool::SizeClass(int64_t size) {
  if (size < kMinCachedSize) return size;
  // Four classes per power of two: 1, 1.25, 1.5, 1.75 x 2^k.
  const int shift = std::bit_width(static_cast<uint64_t>(size)) - 3;
  const int64_t step = int64_t{1} << shift;
  return (size + step - 1) / step * step;
}

arrow::Status RecyclingMemoryPool::Allocate(int64_t size, int64_t alignment, uint8_t** out) {
  const bool cacheable = Cacheable(size, alignment);
  const int64_t block = cacheable ? SizeClass(size) : size;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_use_ += block;
    peak_ = std::max(peak_, in_use_);
    total_ += block;
    ++allocations_;
    if (cacheable) {
      auto it = free_.find(block);
      if (it != free_.end() && !it->second.empty()) {
        *out = it->second.back();
        it->second.pop_back();
        cached_ -= block;
        return arrow::Status::OK();
      }
    }
  }
  auto st = base_->Allocate(block, alignment, out);
  if (!st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    in_use_ -= block;
  }
  return st;
}

arrow::Status RecyclingMemoryPool::Reallocate(int64_t old_size, int64_t new_size, int64_t alignment, uint8_t** ptr) {
  const int64_t old_block = Cacheable(old_size, alignment) ? SizeClass(old_size) : old_size;
  const bool cacheable = Cacheable(new_size, alignment);
  if (cacheable && Cacheable(old_size, alignment) && SizeClass(new_size) == old_block) return arrow::Status::OK();
  if (!cacheable && !Cacheable(old_size, alignment)) {
    auto st = base_->Reallocate(old_size, new_size, alignment, ptr);
    if (st.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      in_use_ += new_size - old_size;
      peak_ = std::max(peak_, in_use_);
      total_ += std::max<int64_t>(0, new_size - old_size);
    }
    return st;
  }
  uint8_t* fresh = nullptr;
  ARROW_RETURN_NOT_OK(Allocate(new_size, alignment, &fresh));
  std::memcpy(fresh, *ptr, static_cast<size_t>(std::min(old_size, new_size)));
  Free(*ptr, old_size, alignment);
  *ptr = fresh;
  return arrow::Status::OK();
}

void RecyclingMemoryPool::Free(uint8_t* buffer, int64_t size, int64_t alignment) {
  const bool cacheable = Cacheable(size, alignment);
  const int64_t block = cacheable ? SizeClass(size) : size;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_use_ -= block;
    if (cacheable && cached_ + block <= peak_) {
      free_[block].push_back(buffer);
      cached_ += block;
      return;
    }
  }
  base_->Free(buffer, block, alignment);
}

int64_t RecyclingMemoryPool::bytes_allocated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}
int64_t RecyclingMemoryPool::max_memory() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}
int64_t RecyclingMemoryPool::total_bytes_allocated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}
int64_t RecyclingMemoryPool::num_allocations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return allocations_;
}
int64_t RecyclingMemoryPool::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cached_;
}

}  // namespace strata::loader
