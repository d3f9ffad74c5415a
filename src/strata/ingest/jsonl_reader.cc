// JSON-lines sources: one JSON object per line; blank lines are skipped.

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "strata/ingest/record_reader.h"
#include "strata/ingest/json_row_decoder.h"

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
    rec->line = line_no_;
    if (!decoder_) decoder_ = std::make_unique<JsonRowDecoder>(*layout_.entity, *layout_.group);
    rec->ok = decoder_->Decode(line, &rec->row, &rec->reason);
    for (size_t i = ignored_columns_.size(); i < decoder_->unknown_fields().size(); ++i)
      ignored_columns_.push_back(decoder_->unknown_fields()[i]);
    if (rec->ok) return;
    json j = json::parse(line, nullptr, false);
    rec->raw_json = j.is_object() ? nlohmann::ordered_json::parse(line).dump(-1, ' ', false, json::error_handler_t::replace)
                                  : json({{"text", line}}).dump(-1, ' ', false, json::error_handler_t::replace);
  }

  std::ifstream in_;
  std::string path_;
  SourceLayout layout_;
  int64_t line_no_ = 0;
  std::unique_ptr<JsonRowDecoder> decoder_;
};

}  // namespace

Result<std::unique_ptr<RecordReader>> OpenJsonLinesReader(const std::string& path, const SourceLayout& layout) {
  auto reader = std::make_unique<JsonLinesReader>();
  STRATA_RETURN_NOT_OK(reader->Open(path, layout));
  return std::unique_ptr<RecordReader>(std::move(reader));
}

}  // namespace strata
