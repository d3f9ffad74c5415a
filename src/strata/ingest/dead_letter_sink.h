#pragma once
// Where rejected rows go: one JSON object per line with the file, its line, the reason and
// the row as read. The file is created on the first rejection only.

#include <cstdio>
#include <string>

#include "strata/core/status.h"
#include "strata/ingest/record_reader.h"

namespace strata {

class DeadLetterSink {
 public:
  explicit DeadLetterSink(std::string path) : path_(std::move(path)) {}
  ~DeadLetterSink();
  DeadLetterSink(const DeadLetterSink&) = delete;
  DeadLetterSink& operator=(const DeadLetterSink&) = delete;

  Status Add(const std::string& source_file, const SourceRecord& record);
  Status Flush();
  const std::string& path() const { return path_; }
  uint64_t count() const { return count_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t count_ = 0;
  bool dir_synced_ = false;
};

}  // namespace strata
