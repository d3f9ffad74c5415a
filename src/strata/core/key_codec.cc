#include "strata/core/key_codec.h"

#include "strata/core/row_codec.h"

namespace strata {

namespace {
constexpr uint64_t kSignBit = uint64_t{1} << 63;
}

void AppendGroupId(std::string* out, uint32_t group_id) {
  const char b[4] = {static_cast<char>(group_id >> 24), static_cast<char>(group_id >> 16),
                     static_cast<char>(group_id >> 8), static_cast<char>(group_id)};
  out->append(b, 4);
}

void AppendInt64Key(std::string* out, int64_t key) { AppendBigEndian64(out, static_cast<uint64_t>(key) ^ kSignBit); }

void AppendStringKey(std::string* out, std::string_view key) {
  PutVarint(out, key.size());
  out->append(key);
}

void AppendDescendingInt64(std::string* out, int64_t v) { AppendBigEndian64(out, ~(static_cast<uint64_t>(v) ^ kSignBit)); }
void AppendDescendingUint64(std::string* out, uint64_t v) { AppendBigEndian64(out, ~v); }
int64_t DecodeDescendingInt64(const char* p) { return static_cast<int64_t>(~DecodeBigEndian64(p) ^ kSignBit); }
uint64_t DecodeDescendingUint64(const char* p) { return ~DecodeBigEndian64(p); }

}  // namespace strata
