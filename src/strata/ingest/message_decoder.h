#pragma once
// Decodes one streamed message (a Kafka record's value) into a validated row of a group.

#include <string>
#include <string_view>
#include <vector>

#include "strata/store/feature_repository.h"

namespace strata {

class MessageDecoder {
 public:
  virtual ~MessageDecoder() = default;
  // On failure returns false with the reason (for the dead letters).
  virtual bool Decode(std::string_view message, FeatureRow* row, std::string* reason) = 0;
  // Message fields the group does not read, each named once.
  virtual const std::vector<std::string>& unknown_fields() const = 0;
};

}  // namespace strata
