#include "strata/offline/avro/avro_file_writer.h"

#include <random>

namespace strata::avro {

FileWriter::FileWriter(std::string schema_json, std::map<std::string, std::string> metadata)
    : schema_json_(std::move(schema_json)), metadata_(std::move(metadata)) {}

std::string FileWriter::Finish() {
  Encoder out;
  out.buffer().append("Obj\x01", 4);
  auto meta = metadata_;
  meta["avro.schema"] = schema_json_;
  meta["avro.codec"] = "null";
  out.BlockStart(static_cast<int64_t>(meta.size()));
  for (const auto& [k, v] : meta) {
    out.String(k);
    out.Bytes(v);
  }
  out.BlockEnd();
  // The sync marker separates blocks; any 16 bytes unlikely to appear in the data will do.
  std::mt19937_64 rng(std::random_device{}());
  char sync[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = rng();
    std::memcpy(sync + i, &r, 8);
  }
  out.buffer().append(sync, 16);
  if (block_count_ > 0) {
    out.Long(block_count_);
    out.Long(static_cast<int64_t>(block_.buffer().size()));
    out.buffer().append(block_.buffer());
    out.buffer().append(sync, 16);
  }
  return std::move(out.buffer());
}

}  // namespace strata::avro
