#pragma once
// The storage keys ([group][entity key]) of one read request, built in one buffer: the slices a
// MultiGet takes, without a string per key.

#include <rocksdb/slice.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/key_codec.h"

namespace strata::rocks_layout {

// The storage keys ([group][entity key]) of a request, in one buffer.
class KeyBatch {
 public:
  KeyBatch(uint32_t group_id, std::span<const std::string> entity_keys) : slices_(entity_keys.size()) {
    size_t total = 0;
    for (const auto& k : entity_keys) total += 4 + k.size();
    buffer_.reserve(total);
    std::vector<size_t> ends(entity_keys.size());
    for (size_t i = 0; i < entity_keys.size(); ++i) {
      AppendGroupId(&buffer_, group_id);
      buffer_.append(entity_keys[i]);
      ends[i] = buffer_.size();
    }
    for (size_t i = 0, begin = 0; i < entity_keys.size(); begin = ends[i++])
      slices_[i] = rocksdb::Slice(buffer_.data() + begin, ends[i] - begin);
  }
  size_t size() const { return slices_.size(); }
  const rocksdb::Slice* data() const { return slices_.data(); }
  std::string_view operator[](size_t i) const { return {slices_[i].data(), slices_[i].size()}; }

 private:
  std::string buffer_;
  std::vector<rocksdb::Slice> slices_;
};

}  // namespace strata::rocks_layout
