#include "strata/ingest/dead_letter_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace strata {

DeadLetterSink::~DeadLetterSink() {
  if (file_) std::fclose(file_);
}

Status DeadLetterSink::Add(const std::string& source_file, const SourceRecord& record) {
  if (!file_) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    file_ = std::fopen(path_.c_str(), "a");
    if (!file_) return Status::IOError("cannot write rejected rows to " + path_);
  }
  nlohmann::ordered_json j;
  j["file"] = source_file;
  j["line"] = record.line;
  j["reason"] = record.reason;
  nlohmann::ordered_json raw = nlohmann::ordered_json::parse(record.raw_json, nullptr, false);
  j["row"] = raw.is_discarded() ? nlohmann::ordered_json(record.raw_json) : raw;
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) return Status::IOError("writing " + path_);
  ++count_;
  return Status::OK();
}

// Durable before the batch whose checkpoint passes these rows is committed.
Status DeadLetterSink::Flush() {
  if (!file_) return Status::OK();
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) return Status::IOError("writing " + path_);
  if (!dir_synced_) {  // the new file's directory entry, once
    const int dir = ::open(std::filesystem::path(path_).parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
    dir_synced_ = true;
  }
  return Status::OK();
}

}  // namespace strata
