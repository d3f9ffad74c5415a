#include "strata/offline/avro/avro_file_reader.h"

#include <zlib.h>

#include <cstring>

namespace strata::avro {

namespace {

using nlohmann::json;

// Decodes values from a byte range; the first failure sticks and is reported once.
class Decoder {
 public:
  Decoder(const char* p, const char* end) : p_(p), end_(end) {}

  bool ok() const { return ok_; }
  const char* pos() const { return p_; }
  bool at_end() const { return p_ >= end_; }

  int64_t Long() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return Fail();
      const uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
    }
    return Fail();
  }
  std::string_view Raw(int64_t n) {
    if (n < 0 || n > end_ - p_) {
      Fail();
      return {};
    }
    std::string_view s(p_, static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  std::string_view Bytes() { return Raw(Long()); }

  // Decodes one value of `schema`.
  json Value(const json& schema, int depth = 0) {
    if (!ok_ || depth > 64) return Fail(), json();
    if (schema.is_string()) return Named(schema.get<std::string>(), depth);
    if (schema.is_array()) {  // union
      const int64_t branch = Long();
      if (!ok_ || branch < 0 || branch >= static_cast<int64_t>(schema.size())) return Fail(), json();
      return Value(schema[static_cast<size_t>(branch)], depth + 1);
    }
    if (!schema.is_object() || !schema.contains("type")) return Fail(), json();
    const json& type = schema["type"];
    if (!type.is_string()) return Value(type, depth + 1);
    const std::string t = type.get<std::string>();
    if (schema.contains("name") && (t == "record" || t == "enum" || t == "fixed"))
      named_[schema["name"].get<std::string>()] = &schema;
    if (t == "record") {
      json obj = json::object();
      if (!schema.contains("fields") || !schema["fields"].is_array()) return Fail(), json();
      for (const auto& f : schema["fields"]) obj[f.value("name", "")] = Value(f["type"], depth + 1);
      return obj;
    }
    if (t == "array" || t == "map") {
      json out = t == "array" ? json::array() : json::object();
      while (ok_) {
        int64_t count = Long();
        if (count == 0) break;
        if (count < 0) {  // a negative count is followed by the block's byte size
          count = -count;
          Long();
        }
        if (count > end_ - p_) return Fail(), json();  // each item takes at least... a byte, or is null
        for (int64_t i = 0; i < count && ok_; ++i) {
          if (t == "array") {
            out.push_back(Value(schema["items"], depth + 1));
          } else {
            std::string key(Bytes());
            out[key] = Value(schema["values"], depth + 1);
          }
        }
      }
      return out;
    }
    if (t == "enum") {
      const int64_t i = Long();
      if (!ok_ || !schema.contains("symbols") || i < 0 || i >= static_cast<int64_t>(schema["symbols"].size()))
        return Fail(), json();
      return schema["symbols"][static_cast<size_t>(i)];
    }
    if (t == "fixed") {
      auto s = Raw(schema.value("size", int64_t{0}));
      return json::binary(std::vector<uint8_t>(s.begin(), s.end()));
    }
    return Named(t, depth);
  }

 private:
  json Named(const std::string& t, int depth) {
    if (t == "null") return json();
    if (t == "boolean") {
      auto s = Raw(1);
      return ok_ && s[0] != 0;
    }
    if (t == "int" || t == "long") return Long();
    if (t == "float") {
      float f = 0;
      auto s = Raw(4);
      if (ok_) std::memcpy(&f, s.data(), 4);
      return f;
    }
    if (t == "double") {
      double d = 0;
      auto s = Raw(8);
      if (ok_) std::memcpy(&d, s.data(), 8);
      return d;
    }
    if (t == "string") return std::string(Bytes());
    if (t == "bytes") {
      auto s = Bytes();
      return json::binary(std::vector<uint8_t>(s.begin(), s.end()));
    }
    auto it = named_.find(t);
    if (it == named_.end()) return Fail(), json();
    return Value(*it->second, depth + 1);
  }

  int64_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }

  const char* p_;
  const char* end_;
  bool ok_ = true;
  std::map<std::string, const json*> named_;
};

Result<std::string> Inflate(std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) return Status::Internal("zlib init failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END && rc != Z_BUF_ERROR) return Status::Corruption("bad deflate block");
  return out;
}

}  // namespace

Result<FileContents> ReadFile(const std::string& bytes, const std::string& name) {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("Avro file " + name + " is corrupt or truncated: " + what);
  };
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "Obj\x01", 4) != 0) return corrupt("no Avro magic");
  Decoder d(bytes.data() + 4, bytes.data() + bytes.size());
  FileContents out;
  while (d.ok()) {  // header metadata: a map<bytes>
    int64_t count = d.Long();
    if (count == 0) break;
    if (count < 0) {
      count = -count;
      d.Long();
    }
    for (int64_t i = 0; i < count && d.ok(); ++i) {
      std::string k(d.Bytes());
      std::string v(d.Bytes());
      out.metadata[k] = v;
    }
  }
  const std::string_view sync = d.Raw(16);
  if (!d.ok()) return corrupt("header");
  out.schema = json::parse(out.metadata["avro.schema"], nullptr, false);
  if (out.schema.is_discarded()) return corrupt("schema is not JSON");
  const std::string codec = out.metadata.count("avro.codec") ? out.metadata["avro.codec"] : "null";
  if (codec != "null" && codec != "deflate") return Status::InvalidArgument("Avro file " + name + " uses codec " + codec + "; only null and deflate are read");
  while (!d.at_end()) {
    const int64_t count = d.Long();
    const std::string_view block = d.Bytes();
    const std::string_view marker = d.Raw(16);
    if (!d.ok() || count < 0) return corrupt("block header");
    if (marker != sync) return corrupt("sync marker mismatch");
    std::string inflated;
    std::string_view data = block;
    if (codec == "deflate") {
      auto r = Inflate(block);
      if (!r.ok()) return corrupt(r.status().message());
      inflated = std::move(*r);
      data = inflated;
    }
    Decoder bd(data.data(), data.data() + data.size());
    for (int64_t i = 0; i < count; ++i) {
      out.records.push_back(bd.Value(out.schema));
      if (!bd.ok()) return corrupt("record " + std::to_string(out.records.size()));
    }
  }
  return out;
}

}  // namespace strata::avro
