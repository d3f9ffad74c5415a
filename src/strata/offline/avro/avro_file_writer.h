#pragma once
// Writes an Avro object container file
// (https://avro.apache.org/docs/1.11.1/specification/#object-container-files): the header
// with the schema JSON (kept verbatim, so attributes such as Iceberg's field-id survive) and
// user metadata, then blocks of records, uncompressed ("null" codec).

#include <cstdint>
#include <map>
#include <string>

#include "strata/core/status.h"
#include "strata/offline/avro/avro_encoder.h"

namespace strata::avro {

class FileWriter {
 public:
  FileWriter(std::string schema_json, std::map<std::string, std::string> metadata);

  // The encoder of the next record; call EndRecord() when its fields are written.
  Encoder& record() { return block_; }
  void EndRecord() { ++block_count_; }

  // The whole file's bytes.
  std::string Finish();

 private:
  std::string schema_json_;
  std::map<std::string, std::string> metadata_;
  Encoder block_;
  int64_t block_count_ = 0;
};

}  // namespace strata::avro
