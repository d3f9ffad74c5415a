#pragma once
// One JSON object (a JSON-lines line, a Kafka message) as a validated row of a group: the key,
// the event time and the features by name (optionally renamed), converted as ingest converts.

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/ingest/message_decoder.h"
#include "strata/store/feature_repository.h"

namespace strata {

class JsonRowDecoder final : public MessageDecoder {
 public:
  // `renames`: column name (key, event time or feature) -> the field that holds it in the JSON.
  JsonRowDecoder(const EntityDef& entity, const FeatureGroupDef& group, std::map<std::string, std::string> renames = {});

  // Decodes `text`; on failure returns false with the reason. Fields the group does not know
  // are recorded in unknown_fields() (once each) and otherwise ignored.
  bool Decode(std::string_view text, FeatureRow* row, std::string* reason) override;
  // The same for a parsed JSON value (other formats decode into one: Avro).
  bool DecodeObject(const nlohmann::json& object, FeatureRow* row, std::string* reason);

  const std::vector<std::string>& unknown_fields() const override { return unknown_fields_; }

 private:
  const std::string& FieldOf(const std::string& column) const;

  const EntityDef& entity_;
  const FeatureGroupDef& group_;
  std::map<std::string, std::string> renames_;
  std::map<std::string, bool> known_;  // JSON field names the group reads
  std::vector<std::string> unknown_fields_;
  std::map<std::string, bool> seen_unknown_;
};

}  // namespace strata
