// JSON-lines sources: one JSON object per line; blank lines are skipped.

#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "strata/ingest/record_reader.h"
#include "strata/ingest/value_conversion.h"

namespace strata {

namespace {

class JsonLinesReader final : public RecordReader {
 public:
  Status Open(const std::string& path, const SourceLayout& layout) {
    in_.open(path, std::ios::binary);
    if (!in_) return Status::IOError("cannot read " + path);
    path_ = path;
    layout_ = layout;
    return Status::OK();
  }

  Result<size_t> Read(size_t max_records, std::vector<SourceRecord>* out) override {
    size_t n = 0;
    std::string line;
    while (n < max_records && std::getline(in_, line)) {
      ++line_no_;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      out->emplace_back();
      Convert(line, &out->back());
      ++n;
    }
    if (in_.bad()) return Status::IOError("reading " + path_);
    return n;
  }

 private:
  void Convert(const std::string& line, SourceRecord* rec) {
    using nlohmann::json;
    const auto& g = *layout_.group;
    const auto& e = *layout_.entity;
    rec->line = line_no_;
    auto reject = [&](std::string reason) {
      rec->ok = false;
      rec->reason = std::move(reason);
      json j = json::parse(line, nullptr, false);
      rec->raw_json = j.is_object() ? nlohmann::ordered_json::parse(line).dump(-1, ' ', false, json::error_handler_t::replace)
                                    : json({{"text", line}}).dump(-1, ' ', false, json::error_handler_t::replace);
    };
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return reject("not a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != e.key && it.key() != g.event_time && !g.FindFeature(it.key()) && seen_ignored_.insert(it.key()).second)
        ignored_columns_.push_back(it.key());
    auto field = [&](const std::string& name, const TargetType& t, Value* v) -> std::string {
      auto it = j.find(name);
      if (it == j.end()) return "";
      auto r = ValueFromJson(*it, t);
      if (!r.ok()) return "column " + name + ": " + r.status().message();
      *v = std::move(*r);
      return "";
    };
    std::string err = field(e.key, TargetType::Key(e.key_type), &rec->row.key);
    if (!err.empty()) return reject(err);
    if (IsNull(rec->row.key)) return reject("missing key " + e.key);
    Value ts;
    err = field(g.event_time, TargetType::EventTime(), &ts);
    if (!err.empty()) return reject(err);
    if (IsNull(ts)) return reject("missing event time " + g.event_time);
    rec->row.event_time = std::get<int64_t>(ts);
    rec->row.features.resize(g.features.size());
    for (size_t f = 0; f < g.features.size(); ++f) {
      err = field(g.features[f].name, TargetType::Feature(g.features[f].type), &rec->row.features[f]);
      if (!err.empty()) return reject(err);
    }
    rec->ok = true;
  }

  std::ifstream in_;
  std::string path_;
  SourceLayout layout_;
  int64_t line_no_ = 0;
  std::set<std::string> seen_ignored_;
};

}  // namespace

Result<std::unique_ptr<RecordReader>> OpenJsonLinesReader(const std::string& path, const SourceLayout& layout) {
  auto reader = std::make_unique<JsonLinesReader>();
  STRATA_RETURN_NOT_OK(reader->Open(path, layout));
  return std::unique_ptr<RecordReader>(std::move(reader));
}

}  // namespace strata
