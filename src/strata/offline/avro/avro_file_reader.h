#pragma once
// Reads an Avro object container file into JSON values, decoded with the writer's schema.
// Records become objects keyed by field name, unions their branch's value, arrays arrays,
// maps objects, bytes and fixed binary values. Codecs: null and deflate. Every bounds
// check failure is a Corruption naming the file.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "strata/core/status.h"

namespace strata::avro {

struct FileContents {
  nlohmann::json schema;                        // the writer schema
  std::map<std::string, std::string> metadata;  // header metadata (avro.schema included)
  std::vector<nlohmann::json> records;
};

// `name` is used in error messages (normally the file's path).
Result<FileContents> ReadFile(const std::string& bytes, const std::string& name);

}  // namespace strata::avro
