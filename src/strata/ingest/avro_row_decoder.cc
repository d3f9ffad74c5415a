#include "strata/ingest/avro_row_decoder.h"

#include <avro.h>

#include <cstdint>
#include <nlohmann/json.hpp>

namespace strata {

namespace {

std::string AvroError() {
  const char* e = avro_strerror();
  return e && *e ? e : "unknown error";
}

bool Unreadable(std::string* reason) {
  *reason = "an unreadable Avro value: " + AvroError();
  return false;
}

// An Avro value as the JSON value the field decoder reads. Depth is bounded by the schema.
bool ToJson(avro_value_t* v, nlohmann::json* out, std::string* reason) {
  switch (avro_value_get_type(v)) {
    case AVRO_NULL: *out = nullptr; return true;
    case AVRO_BOOLEAN: {
      int b = 0;
      avro_value_get_boolean(v, &b);
      *out = b != 0;
      return true;
    }
    case AVRO_INT32: {
      int32_t i = 0;
      avro_value_get_int(v, &i);
      *out = i;
      return true;
    }
    case AVRO_INT64: {
      int64_t i = 0;
      avro_value_get_long(v, &i);
      *out = i;
      return true;
    }
    case AVRO_FLOAT: {
      float f = 0;
      avro_value_get_float(v, &f);
      *out = f;
      return true;
    }
    case AVRO_DOUBLE: {
      double d = 0;
      avro_value_get_double(v, &d);
      *out = d;
      return true;
    }
    case AVRO_STRING: {
      const char* s = nullptr;
      size_t size = 0;  // includes the terminating NUL
      avro_value_get_string(v, &s, &size);
      *out = std::string(s ? s : "", size > 0 ? size - 1 : 0);
      return true;
    }
    case AVRO_BYTES: {
      const void* b = nullptr;
      size_t size = 0;
      avro_value_get_bytes(v, &b, &size);
      *out = std::string(static_cast<const char*>(b), size);
      return true;
    }
    case AVRO_FIXED: {
      const void* b = nullptr;
      size_t size = 0;
      avro_value_get_fixed(v, &b, &size);
      *out = std::string(static_cast<const char*>(b), size);
      return true;
    }
    case AVRO_ENUM: {
      int symbol = 0;
      avro_value_get_enum(v, &symbol);
      // avro-c reads any index and does not check it here: a corrupt one would read garbage.
      avro_schema_t schema = avro_value_get_schema(v);
      const char* name = symbol >= 0 && symbol < avro_schema_enum_number_of_symbols(schema)
                             ? avro_schema_enum_get(schema, symbol) : nullptr;
      if (!name) {
        *reason = "an enum symbol out of range";
        return false;
      }
      *out = name;
      return true;
    }
    case AVRO_UNION: {
      avro_value_t branch;
      if (avro_value_get_current_branch(v, &branch) != 0) {
        *reason = "a union without a branch";
        return false;
      }
      return ToJson(&branch, out, reason);
    }
    case AVRO_ARRAY: {
      size_t n = 0;
      avro_value_get_size(v, &n);
      *out = nlohmann::json::array();
      for (size_t i = 0; i < n; ++i) {
        avro_value_t item;
        nlohmann::json j;
        if (avro_value_get_by_index(v, i, &item, nullptr) != 0) return Unreadable(reason);
        if (!ToJson(&item, &j, reason)) return false;
        out->push_back(std::move(j));
      }
      return true;
    }
    case AVRO_MAP:
    case AVRO_RECORD: {
      size_t n = 0;
      avro_value_get_size(v, &n);
      *out = nlohmann::json::object();
      for (size_t i = 0; i < n; ++i) {
        avro_value_t item;
        const char* name = nullptr;
        nlohmann::json j;
        if (avro_value_get_by_index(v, i, &item, &name) != 0 || !name) return Unreadable(reason);
        if (!ToJson(&item, &j, reason)) return false;
        (*out)[name] = std::move(j);
      }
      return true;
    }
    default:
      *reason = "an Avro type Strata does not read";
      return false;
  }
}

// Checks that a message holds exactly one value of the schema, every length, count and index
// in bounds, before avro-c reads it: avro-c leaks the buffer of a string or bytes cut short (a
// truncated message), trusts enum indexes, and would allocate whatever count a corrupt array
// claims.
class BinaryChecker {
 public:
  explicit BinaryChecker(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}
  bool at_end() const { return p_ == end_; }

  bool Value(avro_schema_t s, int depth, std::string* reason) {
    if (depth > 64) return Fail(reason, "nested too deeply");
    int64_t n = 0;
    switch (avro_typeof(s)) {
      case AVRO_NULL: return true;
      case AVRO_BOOLEAN: return Skip(1, reason);
      case AVRO_INT32:
        if (!Varint(5, &n, reason)) return false;
        return n >= INT32_MIN && n <= INT32_MAX ? true : Fail(reason, "an int out of range");
      case AVRO_INT64: return Varint(10, &n, reason);
      case AVRO_FLOAT: return Skip(4, reason);
      case AVRO_DOUBLE: return Skip(8, reason);
      case AVRO_STRING:
      case AVRO_BYTES: return Bytes(reason);
      case AVRO_FIXED: return Skip(avro_schema_fixed_size(s), reason);
      case AVRO_ENUM:
        if (!Varint(5, &n, reason)) return false;
        return n >= 0 && n < avro_schema_enum_number_of_symbols(s) ? true : Fail(reason, "an enum index out of range");
      case AVRO_UNION:
        if (!Varint(5, &n, reason)) return false;
        if (n < 0 || static_cast<size_t>(n) >= avro_schema_union_size(s)) return Fail(reason, "a union index out of range");
        return Value(avro_schema_union_branch(s, static_cast<int>(n)), depth + 1, reason);
      case AVRO_ARRAY:
      case AVRO_MAP: {
        const bool map = avro_typeof(s) == AVRO_MAP;
        avro_schema_t items = map ? avro_schema_map_values(s) : avro_schema_array_items(s);
        int64_t total = 0;
        while (true) {
          if (!Varint(10, &n, reason)) return false;
          if (n == 0) return true;
          if (n < 0) {  // a block that gives its size in bytes too
            int64_t bytes = 0;
            if (n == INT64_MIN) return Fail(reason, "a block count out of range");
            if (!Varint(10, &bytes, reason)) return false;
            n = -n;
          }
          // Items of at least one byte cannot outnumber the bytes left; others (nulls) are capped.
          if (n > end_ - p_ + 65536 || (total += n) > end_ - p_ + 65536)
            return Fail(reason, "an array or map longer than the message");
          for (int64_t i = 0; i < n; ++i) {
            if (map && !Bytes(reason)) return false;  // the key
            if (!Value(items, depth + 1, reason)) return false;
          }
        }
      }
      case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(s); ++i)
          if (!Value(avro_schema_record_field_get_by_index(s, static_cast<int>(i)), depth + 1, reason)) return false;
        return true;
      case AVRO_LINK: return Value(avro_schema_link_target(s), depth + 1, reason);
      default: return Fail(reason, "an Avro type Strata does not read");
    }
  }

 private:
  static bool Fail(std::string* reason, const char* what) {
    *reason = std::string("not an Avro record of the configured schema: ") + what;
    return false;
  }
  bool Bytes(std::string* reason) {
    int64_t n = 0;
    if (!Varint(10, &n, reason)) return false;
    return n >= 0 ? Skip(n, reason) : Fail(reason, "a negative length");
  }
  bool Skip(int64_t n, std::string* reason) {
    if (n < 0 || n > end_ - p_) return Fail(reason, "truncated");
    p_ += n;
    return true;
  }
  // A zig-zag varint of at most `max_bytes` bytes.
  bool Varint(int max_bytes, int64_t* out, std::string* reason) {
    uint64_t u = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (p_ == end_) return Fail(reason, "truncated");
      const auto b = static_cast<uint8_t>(*p_++);
      u |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if (!(b & 0x80)) {
        *out = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
        return true;
      }
    }
    return Fail(reason, "a number too long");
  }

  const char* p_;
  const char* end_;
};

}  // namespace

// avro-c's objects: the schema, the generic value class, one reusable value and reader.
struct AvroRowDecoder::AvroState {
  avro_schema_t schema = nullptr;
  avro_value_iface_t* iface = nullptr;
  avro_value_t value{};
  bool has_value = false;
  avro_reader_t reader = nullptr;

  ~AvroState() {
    if (reader) avro_reader_free(reader);
    if (has_value) avro_value_decref(&value);
    if (iface) avro_value_iface_decref(iface);
    if (schema) avro_schema_decref(schema);
  }
};

Result<std::unique_ptr<AvroRowDecoder>> AvroRowDecoder::Make(const std::string& schema_json, bool confluent_framing,
                                                             std::unique_ptr<JsonRowDecoder> fields) {
  auto state = std::make_unique<AvroState>();
  if (avro_schema_from_json_length(schema_json.data(), schema_json.size(), &state->schema) != 0)
    return Status::InvalidArgument("not an Avro schema: " + AvroError());
  if (avro_typeof(state->schema) != AVRO_RECORD)
    return Status::InvalidArgument(std::string("the Avro schema must be a record (it is a ") +
                                   avro_schema_type_name(state->schema) + ")");
  state->iface = avro_generic_class_from_schema(state->schema);
  if (!state->iface) return Status::InvalidArgument("cannot read the Avro schema: " + AvroError());
  if (avro_generic_value_new(state->iface, &state->value) != 0) return Status::Internal("avro: " + AvroError());
  state->has_value = true;
  static const char kEmpty[1] = {0};
  state->reader = avro_reader_memory(kEmpty, 0);
  if (!state->reader) return Status::Internal("avro: cannot create a reader");
  return std::unique_ptr<AvroRowDecoder>(new AvroRowDecoder(std::move(state), confluent_framing, std::move(fields)));
}

AvroRowDecoder::AvroRowDecoder(std::unique_ptr<AvroState> avro, bool confluent_framing, std::unique_ptr<JsonRowDecoder> fields)
    : avro_(std::move(avro)), confluent_framing_(confluent_framing), fields_(std::move(fields)) {}

AvroRowDecoder::~AvroRowDecoder() = default;

bool AvroRowDecoder::Decode(std::string_view message, FeatureRow* row, std::string* reason) {
  if (confluent_framing_) {
    if (message.size() < 5 || message[0] != 0) {
      *reason = "not in the Confluent framing (a zero byte and a 4-byte schema id before the Avro record)";
      return false;
    }
    message.remove_prefix(5);
  }
  BinaryChecker check(message);
  if (!check.Value(avro_->schema, 0, reason)) return false;
  if (!check.at_end()) {
    *reason = "bytes left after the Avro record (a different schema?)";
    return false;
  }
  avro_value_reset(&avro_->value);
  avro_reader_memory_set_source(avro_->reader, message.data(), static_cast<int64_t>(message.size()));
  if (avro_value_read(avro_->reader, &avro_->value) != 0) {
    *reason = "not an Avro record of the configured schema: " + AvroError();
    return false;
  }
  nlohmann::json object;
  if (!ToJson(&avro_->value, &object, reason)) return false;
  return fields_->DecodeObject(object, row, reason);
}

}  // namespace strata
