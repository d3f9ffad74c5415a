#pragma once
// One Protobuf-encoded message (binary, of a message type from a .proto file given in the
// stream's configuration; optionally in the Confluent Schema Registry framing: a zero byte, a
// 4-byte schema id and the message indexes) as a validated row of a group. The message's
// fields are read by their .proto names as the JSON decoder reads an object's — renames,
// conversions and errors alike: enums give their name, google.protobuf.Timestamp its epoch
// microseconds, the wrapper types (Int64Value, ...) their value, and a field with presence
// (proto2, `optional`, messages) that is not set reads as null; a proto3 scalar without
// presence reads as its default, as Protobuf defines.

#include <memory>
#include <string>
#include <string_view>

#include "strata/core/status.h"
#include "strata/ingest/json_row_decoder.h"
#include "strata/ingest/message_decoder.h"

namespace strata {

class ProtobufRowDecoder final : public MessageDecoder {
 public:
  // Compiles `proto_file` (imports are resolved from its folder; the well-known types are
  // built in) and finds `message_type` (a full name such as "shop.Click"; empty: the file's
  // only message). Errors name the file and line.
  static Result<std::unique_ptr<ProtobufRowDecoder>> Make(const std::string& proto_file, const std::string& message_type,
                                                          bool confluent_framing, std::unique_ptr<JsonRowDecoder> fields);
  ~ProtobufRowDecoder() override;

  bool Decode(std::string_view message, FeatureRow* row, std::string* reason) override;
  const std::vector<std::string>& unknown_fields() const override { return fields_->unknown_fields(); }

 private:
  struct ProtoState;
  ProtobufRowDecoder(std::unique_ptr<ProtoState> proto, bool confluent_framing, std::unique_ptr<JsonRowDecoder> fields);

  std::unique_ptr<ProtoState> proto_;
  bool confluent_framing_;
  std::unique_ptr<JsonRowDecoder> fields_;
};

}  // namespace strata
