#pragma once
// One Avro-encoded message (binary, a record of the writer schema given in the stream's
// configuration; optionally in the Confluent Schema Registry framing: a zero byte and a 4-byte
// schema id first) as a validated row of a group. The record's fields are read by name as the
// JSON decoder reads an object's — renames, conversions and errors alike: unions take their
// branch's value, enums their symbol, timestamps are longs (epoch microseconds) or strings.

#include <memory>
#include <string>
#include <string_view>

#include "strata/core/status.h"
#include "strata/ingest/json_row_decoder.h"
#include "strata/ingest/message_decoder.h"

namespace strata {

class AvroRowDecoder final : public MessageDecoder {
 public:
  // Fails when `schema_json` is not an Avro schema of a record.
  static Result<std::unique_ptr<AvroRowDecoder>> Make(const std::string& schema_json, bool confluent_framing,
                                                      std::unique_ptr<JsonRowDecoder> fields);
  ~AvroRowDecoder() override;

  bool Decode(std::string_view message, FeatureRow* row, std::string* reason) override;
  const std::vector<std::string>& unknown_fields() const override { return fields_->unknown_fields(); }

 private:
  struct AvroState;
  AvroRowDecoder(std::unique_ptr<AvroState> avro, bool confluent_framing, std::unique_ptr<JsonRowDecoder> fields);

  std::unique_ptr<AvroState> avro_;
  bool confluent_framing_;
  std::unique_ptr<JsonRowDecoder> fields_;
};

}  // namespace strata
