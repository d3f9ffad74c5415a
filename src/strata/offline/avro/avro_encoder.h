#pragma once
// Avro binary encoding (https://avro.apache.org/docs/1.11.1/specification/#binary-encoding):
// zig-zag varints for int/long, little-endian IEEE floats, length-prefixed bytes/strings.
// The caller writes a record's fields in schema order.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace strata::avro {

class Encoder {
 public:
  void Null() {}
  void Bool(bool v) { out_.push_back(v ? 1 : 0); }
  void Int(int32_t v) { Long(v); }
  void Long(int64_t v) {
    uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    while (z >= 0x80) {
      out_.push_back(static_cast<char>((z & 0x7f) | 0x80));
      z >>= 7;
    }
    out_.push_back(static_cast<char>(z));
  }
  void Float(float v) { Raw(&v, 4); }
  void Double(double v) { Raw(&v, 8); }
  void Bytes(std::string_view v) {
    Long(static_cast<int64_t>(v.size()));
    out_.append(v);
  }
  void String(std::string_view v) { Bytes(v); }
  // A union branch: the index of the branch in the union's schema, then its value.
  void Branch(int index) { Long(index); }
  // Arrays and maps: one block of `count` items (written by the caller), then the end marker.
  void BlockStart(int64_t count) {
    if (count > 0) Long(count);
  }
  void BlockEnd() { Long(0); }

  std::string& buffer() { return out_; }
  void Clear() { out_.clear(); }

 private:
  void Raw(const void* p, size_t n) {  // Avro floats are little-endian, as is every target we build for
    out_.append(static_cast<const char*>(p), n);
  }
  std::string out_;
};

}  // namespace strata::avro
