#pragma once
// An entity key typed on the command line (`--key 7`, `--where user_id=7`).

#include <charconv>
#include <string>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/core/value.h"

namespace strata::cli {

// int64 or string, as the entity declares; InvalidArgument naming the entity otherwise.
inline Result<Value> ParseKey(const EntityDef& entity, const std::string& text) {
  if (entity.key_type == KeyType::kString) return Value(text);
  int64_t v;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size())
    return Status::InvalidArgument("key '" + text + "' is not an int64 (the key type of entity " + entity.name + ")");
  return Value(v);
}

}  // namespace strata::cli
