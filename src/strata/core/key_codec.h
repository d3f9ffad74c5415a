#pragma once
// Order-preserving, prefix-free binary encodings used to build storage keys.

#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

// 4 bytes big-endian: the leading component of every storage key.
void AppendGroupId(std::string* out, uint32_t group_id);

// int64 keys: 8 bytes big-endian with the sign bit flipped (sorts like the integer).
void AppendInt64Key(std::string* out, int64_t key);
// string keys: varint length then the bytes (prefix-free).
void AppendStringKey(std::string* out, std::string_view key);

// 8 bytes that sort in *descending* order of the value: newest-first layouts.
void AppendDescendingInt64(std::string* out, int64_t v);
void AppendDescendingUint64(std::string* out, uint64_t v);
int64_t DecodeDescendingInt64(const char* p);
uint64_t DecodeDescendingUint64(const char* p);

inline void AppendBigEndian64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v & 0xFF);
  out->append(b, 8);
}
inline uint64_t DecodeBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace strata
