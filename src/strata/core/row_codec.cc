#include "strata/core/row_codec.h"

#include <cstring>

#include "strata/core/quantization.h"

namespace strata {

void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  out->append(buf, static_cast<size_t>(PutVarint(buf, v) - buf));
}

bool GetVarintSlow(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0, i = 0; shift <= 63 && i < static_cast<int>(in->size()); shift += 7, ++i) {
    const uint8_t b = static_cast<uint8_t>((*in)[i]);
    result |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      in->remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

namespace {

template <typename T>
void PutFixed(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

void EncodeField(uint32_t id, const DataType& type, const Value& v, std::string* out) {
  auto header = [&](WireTag tag) {
    PutVarint(out, id);
    out->push_back(static_cast<char>(tag));
  };
  // Variable-size payloads are built in `body` and written with their length.
  std::string body;
  WireTag tag;
  switch (type.id) {
    case TypeId::kBool: header(WireTag::kBool); out->push_back(std::get<bool>(v) ? 1 : 0); return;
    case TypeId::kInt32: header(WireTag::kInt32); PutFixed<int32_t>(out, static_cast<int32_t>(std::get<int64_t>(v))); return;
    case TypeId::kInt64:
    case TypeId::kTimestamp: header(WireTag::kInt64); PutFixed<int64_t>(out, std::get<int64_t>(v)); return;
    case TypeId::kFloat32: header(WireTag::kFloat32); PutFixed<float>(out, static_cast<float>(std::get<double>(v))); return;
    case TypeId::kFloat64: header(WireTag::kFloat64); PutFixed<double>(out, std::get<double>(v)); return;
    case TypeId::kString:
    case TypeId::kBytes: {
      const auto& s = std::get<std::string>(v);
      header(WireTag::kBytes);
      PutVarint(out, s.size());
      out->append(s);
      return;
    }
    case TypeId::kListInt64: {
      const auto& l = std::get<std::vector<int64_t>>(v);
      tag = WireTag::kListInt64;
      PutVarint(&body, l.size());
      body.append(reinterpret_cast<const char*>(l.data()), l.size() * 8);
      break;
    }
    case TypeId::kListFloat32: {
      const auto& l = std::get<std::vector<float>>(v);
      tag = WireTag::kListFloat32;
      PutVarint(&body, l.size());
      body.append(reinterpret_cast<const char*>(l.data()), l.size() * 4);
      break;
    }
    case TypeId::kListString: {
      const auto& l = std::get<std::vector<std::string>>(v);
      tag = WireTag::kListString;
      PutVarint(&body, l.size());
      for (const auto& s : l) {
        PutVarint(&body, s.size());
        body.append(s);
      }
      break;
    }
    case TypeId::kVector: {
      const auto& x = std::get<std::vector<float>>(v);
      const int n = static_cast<int>(x.size());
      if (type.quantization == Quantization::kFloat16) {
        tag = WireTag::kVecF16;
        for (float f : x) PutFixed<uint16_t>(&body, FloatToHalf(f));
      } else if (type.quantization == Quantization::kInt8) {
        tag = WireTag::kVecI8;
        body.resize(4 + n);
        const float scale = QuantizeInt8(x.data(), n, reinterpret_cast<int8_t*>(body.data() + 4));
        std::memcpy(body.data(), &scale, 4);
      } else {
        tag = WireTag::kVecF32;
        body.append(reinterpret_cast<const char*>(x.data()), x.size() * 4);
      }
      break;
    }
    default: return;
  }
  header(tag);
  PutVarint(out, body.size());
  out->append(body);
}

}  // namespace

void EncodeRow(const std::vector<FeatureDef>& features, const std::vector<Value>& values, std::string* out) {
  for (size_t i = 0; i < features.size() && i < values.size(); ++i)
    if (!IsNull(values[i])) EncodeField(features[i].id, features[i].type, values[i], out);
}

Value DecodeField(const FieldRef& f, const DataType& type) {
  const char* p = f.payload.data();
  std::string_view in = f.payload;
  switch (type.id) {
    case TypeId::kBool:
      if (f.tag == WireTag::kBool) return p[0] != 0;
      break;
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      if (f.tag == WireTag::kInt32) return static_cast<int64_t>(LoadLE<int32_t>(p));
      if (f.tag == WireTag::kInt64) return LoadLE<int64_t>(p);
      break;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      if (f.tag == WireTag::kFloat32) return static_cast<double>(LoadLE<float>(p));
      if (f.tag == WireTag::kFloat64) return LoadLE<double>(p);
      break;
    case TypeId::kString:
    case TypeId::kBytes:
      if (f.tag == WireTag::kBytes) return std::string(f.payload);
      break;
    case TypeId::kListInt64: {
      uint64_t n;
      if (f.tag != WireTag::kListInt64 || !GetVarint(&in, &n) || n > in.size() / 8 || in.size() != n * 8) break;
      std::vector<int64_t> out(n);
      if (n) std::memcpy(out.data(), in.data(), n * 8);
      return out;
    }
    case TypeId::kListFloat32: {
      uint64_t n;
      if (f.tag != WireTag::kListFloat32 || !GetVarint(&in, &n) || n > in.size() / 4 || in.size() != n * 4) break;
      std::vector<float> out(n);
      if (n) std::memcpy(out.data(), in.data(), n * 4);
      return out;
    }
    case TypeId::kListString: {
      uint64_t n;
      if (f.tag != WireTag::kListString || !GetVarint(&in, &n) || n > in.size()) break;
      std::vector<std::string> out;
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t len;
        if (!GetVarint(&in, &len) || len > in.size()) return std::monostate{};
        out.emplace_back(in.substr(0, len));
        in.remove_prefix(len);
      }
      return out;
    }
    case TypeId::kVector: {
      std::vector<float> out;
      if (f.tag == WireTag::kVecF32) {
        out.resize(in.size() / 4);
        if (!out.empty()) std::memcpy(out.data(), p, out.size() * 4);
      } else if (f.tag == WireTag::kVecF16) {
        out.resize(in.size() / 2);
        for (size_t i = 0; i < out.size(); ++i) out[i] = HalfToFloat(LoadLE<uint16_t>(p + 2 * i));
      } else if (f.tag == WireTag::kVecI8 && in.size() >= 4) {
        const float scale = LoadLE<float>(p);
        out.resize(in.size() - 4);
        for (size_t i = 0; i < out.size(); ++i) out[i] = DequantizeInt8(static_cast<int8_t>(p[4 + i]), scale);
      } else {
        break;
      }
      if (static_cast<int32_t>(out.size()) != type.dim) break;
      return out;
    }
  }
  return std::monostate{};
}

std::vector<Value> DecodeRow(const std::vector<FeatureDef>& features, std::string_view row) {
  std::vector<Value> out(features.size());
  RowFieldReader reader(row);
  FieldRef f;
  while (reader.Next(&f))
    for (size_t i = 0; i < features.size(); ++i)
      if (features[i].id == f.feature_id) out[i] = DecodeField(f, features[i].type);
  return out;
}

}  // namespace strata
