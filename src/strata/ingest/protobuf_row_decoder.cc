#include "strata/ingest/protobuf_row_decoder.h"

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "strata/ingest/protobuf_logging.h"

namespace strata {

namespace pb = google::protobuf;

namespace {

// Collects the .proto parser's and the descriptor builder's errors, with file and line.
class ProtoErrors final : public pb::compiler::MultiFileErrorCollector, public pb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& file, int line, int column, const std::string& message) override {
    Append(file + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message);
  }
  void AddError(const std::string& file, const std::string& element, const pb::Message*, ErrorLocation,
                const std::string& message) override {
    Append(file + ": " + (element.empty() ? "" : element + ": ") + message);
  }
  const std::string& text() const { return text_; }

 private:
  void Append(const std::string& line) {
    if (!text_.empty()) text_ += "; ";
    text_ += line;
  }
  std::string text_;
};

bool IsWrapper(const std::string& name) {
  static const char* const kWrappers[] = {"google.protobuf.DoubleValue", "google.protobuf.FloatValue",
                                          "google.protobuf.Int64Value",  "google.protobuf.UInt64Value",
                                          "google.protobuf.Int32Value",  "google.protobuf.UInt32Value",
                                          "google.protobuf.BoolValue",   "google.protobuf.StringValue",
                                          "google.protobuf.BytesValue"};
  for (const char* w : kWrappers)
    if (name == w) return true;
  return false;
}

bool MessageToJson(const pb::Message& m, int depth, nlohmann::json* out, std::string* reason);

// One value of field `f` (element `index` of a repeated field, or -1 for a singular one).
bool ValueToJson(const pb::Message& m, const pb::FieldDescriptor* f, int index, int depth, nlohmann::json* out,
                 std::string* reason) {
  const pb::Reflection* r = m.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: *out = rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f); return true;
    case pb::FieldDescriptor::CPPTYPE_INT64: *out = rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f); return true;
    case pb::FieldDescriptor::CPPTYPE_UINT32: *out = rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f); return true;
    case pb::FieldDescriptor::CPPTYPE_UINT64: *out = rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f); return true;
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: *out = rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f); return true;
    case pb::FieldDescriptor::CPPTYPE_FLOAT: *out = rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f); return true;
    case pb::FieldDescriptor::CPPTYPE_BOOL: *out = rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f); return true;
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const int number = rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
      const pb::EnumValueDescriptor* v = f->enum_type()->FindValueByNumber(number);
      if (v) *out = v->name();
      else *out = number;  // an open (proto3) enum's value this schema does not name
      return true;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      *out = rep ? r->GetRepeatedStringReference(m, f, index, &scratch) : r->GetStringReference(m, f, &scratch);
      return true;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageToJson(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), depth + 1, out, reason);
  }
  *reason = "a Protobuf field type Strata does not read";
  return false;
}

// A message as the JSON value the field decoder reads: an object by field name, with the
// well-known Timestamp and wrapper types as plain values.
bool MessageToJson(const pb::Message& m, int depth, nlohmann::json* out, std::string* reason) {
  if (depth > 64) {
    *reason = "a Protobuf message nested too deeply";
    return false;
  }
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* r = m.GetReflection();
  const std::string& type = d->full_name();
  if (type == "google.protobuf.Timestamp") {
    const int64_t seconds = r->GetInt64(m, d->FindFieldByName("seconds"));
    const int32_t nanos = r->GetInt32(m, d->FindFieldByName("nanos"));
    if (seconds < -9'000'000'000'000LL || seconds > 9'000'000'000'000LL) {
      *reason = "a google.protobuf.Timestamp out of range";
      return false;
    }
    *out = seconds * 1'000'000 + nanos / 1000;
    return true;
  }
  if (IsWrapper(type)) return ValueToJson(m, d->FindFieldByName("value"), -1, depth, out, reason);
  *out = nlohmann::json::object();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    nlohmann::json& slot = (*out)[f->name()];
    if (f->is_map()) {
      slot = nlohmann::json::object();
      const pb::FieldDescriptor* key = f->message_type()->map_key();
      const pb::FieldDescriptor* value = f->message_type()->map_value();
      for (int j = 0; j < r->FieldSize(m, f); ++j) {
        const pb::Message& entry = r->GetRepeatedMessage(m, f, j);
        nlohmann::json k, v;
        if (!ValueToJson(entry, key, -1, depth, &k, reason) || !ValueToJson(entry, value, -1, depth, &v, reason)) return false;
        slot[k.is_string() ? k.get<std::string>() : k.dump()] = std::move(v);
      }
    } else if (f->is_repeated()) {
      slot = nlohmann::json::array();
      for (int j = 0; j < r->FieldSize(m, f); ++j) {
        nlohmann::json v;
        if (!ValueToJson(m, f, j, depth, &v, reason)) return false;
        slot.push_back(std::move(v));
      }
    } else if (f->has_presence() && !r->HasField(m, f)) {
      slot = nullptr;  // not set (proto2, `optional`, a message, a oneof's other member)
    } else if (!ValueToJson(m, f, -1, depth, &slot, reason)) {
      return false;
    }
  }
  return true;
}

// A zig-zag varint of the Confluent framing's message indexes.
bool ZigZag(std::string_view* in, int64_t* out) {
  uint64_t u = 0;
  for (int i = 0; i < 10; ++i) {
    if (in->empty()) return false;
    const auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    u |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      *out = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
      return true;
    }
  }
  return false;
}

}  // namespace

// The compiled schema: the .proto files (from disk, the well-known types from libprotobuf),
// the message type, and one reusable message of it.
struct ProtobufRowDecoder::ProtoState {
  pb::compiler::DiskSourceTree tree;
  pb::DescriptorPoolDatabase builtin{*pb::DescriptorPool::generated_pool()};
  pb::compiler::SourceTreeDescriptorDatabase files{&tree, &builtin};
  ProtoErrors errors;
  std::unique_ptr<pb::DescriptorPool> pool;
  const pb::FileDescriptor* file = nullptr;
  const pb::Descriptor* type = nullptr;
  pb::DynamicMessageFactory factory;
  std::unique_ptr<pb::Message> message;
};

Result<std::unique_ptr<ProtobufRowDecoder>> ProtobufRowDecoder::Make(const std::string& proto_file,
                                                                     const std::string& message_type, bool confluent_framing,
                                                                     std::unique_ptr<JsonRowDecoder> fields) {
  KeepOnlyFatalProtobufLogs();  // a poison stream would log each message with invalid UTF-8
  auto s = std::make_unique<ProtoState>();
  const std::filesystem::path path(proto_file);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::InvalidArgument("cannot read " + proto_file);
  s->tree.MapPath("", path.parent_path().empty() ? "." : path.parent_path().string());
  s->files.RecordErrorsTo(&s->errors);
  s->pool = std::make_unique<pb::DescriptorPool>(&s->files, &s->errors);
  s->file = s->pool->FindFileByName(path.filename().string());
  if (!s->file) {
    return Status::InvalidArgument("cannot compile " + proto_file + ": " +
                                   (s->errors.text().empty() ? "not a .proto file" : s->errors.text()));
  }
  if (message_type.empty()) {
    if (s->file->message_type_count() != 1)
      return Status::InvalidArgument(proto_file + " defines " + std::to_string(s->file->message_type_count()) +
                                     " message types: name one with message: (its full name, e.g. " +
                                     (s->file->package().empty() ? "" : s->file->package() + ".") + "Click)");
    s->type = s->file->message_type(0);
  } else {
    s->type = s->pool->FindMessageTypeByName(message_type);
    if (!s->type) return Status::InvalidArgument("message: no message type " + message_type + " in " + proto_file +
                                                 " (give its full name, with the package)");
  }
  s->factory.SetDelegateToGeneratedFactory(false);
  s->message.reset(s->factory.GetPrototype(s->type)->New());
  return std::unique_ptr<ProtobufRowDecoder>(new ProtobufRowDecoder(std::move(s), confluent_framing, std::move(fields)));
}

ProtobufRowDecoder::ProtobufRowDecoder(std::unique_ptr<ProtoState> proto, bool confluent_framing,
                                       std::unique_ptr<JsonRowDecoder> fields)
    : proto_(std::move(proto)), confluent_framing_(confluent_framing), fields_(std::move(fields)) {}

ProtobufRowDecoder::~ProtobufRowDecoder() {
  proto_->message.reset();  // before the factory that made its type
}

bool ProtobufRowDecoder::Decode(std::string_view message, FeatureRow* row, std::string* reason) {
  if (confluent_framing_) {
    if (message.size() < 6 || message[0] != 0) {
      *reason = "not in the Confluent framing (a zero byte, a 4-byte schema id and the message indexes before the message)";
      return false;
    }
    message.remove_prefix(5);
    // The message indexes: the path from the schema file to the message type; [0] (its
    // first message) is written as a single 0.
    int64_t count = 0;
    if (!ZigZag(&message, &count) || count < 0 || count > 32) {
      *reason = "unreadable Confluent message indexes";
      return false;
    }
    const pb::Descriptor* type = nullptr;
    if (count == 0) {
      type = proto_->file->message_type_count() > 0 ? proto_->file->message_type(0) : nullptr;
    }
    for (int64_t i = 0; i < count; ++i) {
      int64_t idx = 0;
      if (!ZigZag(&message, &idx) || idx < 0) {
        *reason = "unreadable Confluent message indexes";
        return false;
      }
      const int n = i == 0 ? proto_->file->message_type_count() : (type ? type->nested_type_count() : 0);
      type = idx < n ? (i == 0 ? proto_->file->message_type(static_cast<int>(idx)) : type->nested_type(static_cast<int>(idx)))
                     : nullptr;
      if (!type) break;
    }
    if (type != proto_->type) {
      *reason = "a message of type " + (type ? type->full_name() : std::string("(not in the schema file)")) +
                " by its Confluent message indexes, not the configured " + proto_->type->full_name();
      return false;
    }
  }
  pb::Message& m = *proto_->message;
  m.Clear();
  if (message.size() > static_cast<size_t>(INT32_MAX) || !m.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    *reason = "not a Protobuf message of type " + proto_->type->full_name() + " (truncated, or another type?)";
    return false;
  }
  nlohmann::json object;
  if (!MessageToJson(m, 0, &object, reason)) return false;
  return fields_->DecodeObject(object, row, reason);
}

}  // namespace strata
