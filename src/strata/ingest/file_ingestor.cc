#include "strata/ingest/file_ingestor.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "strata/core/time.h"
#include "strata/ingest/dead_letter_sink.h"
#include "strata/ingest/record_reader.h"

namespace strata {

namespace {

std::string RejectedFileName(const std::string& group) {
  std::string ts = FormatTimestamp(NowMicros());  // 2026-05-01T12:00:00.123456Z -> 20260501T120000123456Z
  std::string compact;
  for (char c : ts)
    if (c != '-' && c != ':' && c != '.') compact.push_back(c);
  return group + "-" + compact + ".jsonl";
}

}  // namespace

namespace {

// Where an earlier run of the same group and file got to.
struct FileCheckpoint {
  std::string key;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t records = 0;  // source records (accepted and rejected) already committed
  bool complete = false;

  std::string Encode() const {
    return nlohmann::json({{"size", size}, {"mtime_ns", mtime_ns}, {"records", records}, {"complete", complete}}).dump();
  }
};

Result<FileCheckpoint> LoadCheckpoint(FeatureRepository& repo, const FeatureGroupDef& group, const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  FileCheckpoint cp;
  const fs::path path = fs::weakly_canonical(fs::absolute(file), ec);
  cp.key = "ingest/" + group.name + "/" + path.string();
  cp.size = fs::file_size(path, ec);
  cp.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(fs::last_write_time(path, ec).time_since_epoch()).count();
  STRATA_ASSIGN_OR_RETURN(auto stored, repo.online().ReadMetadata(cp.key));
  if (!stored) return cp;
  const auto j = nlohmann::json::parse(*stored, nullptr, false);
  if (j.is_object() && j.value("size", uint64_t{0}) == cp.size && j.value("mtime_ns", int64_t{0}) == cp.mtime_ns) {
    cp.records = j.value("records", uint64_t{0});  // the same file: resume
    cp.complete = j.value("complete", false);
  }
  return cp;
}

}  // namespace

Result<IngestSummary> IngestFiles(FeatureRepository& repo, const FeatureGroupDef& group,
                                  const std::vector<std::string>& files, const IngestOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  IngestSummary summary;
  SourceLayout layout{&group, &repo.EntityOf(group)};
  // Open every file first: a missing or unreadable file stops the command before any write.
  std::vector<std::unique_ptr<RecordReader>> readers;
  for (const auto& f : files) {
    STRATA_ASSIGN_OR_RETURN(auto r, OpenRecordReader(f, layout));
    readers.push_back(std::move(r));
  }
  DeadLetterSink dead_letters(repo.ResolvePath(".strata/rejected/" + RejectedFileName(group.name)));
  std::vector<SourceRecord> records;
  std::vector<FeatureRow> batch;
  FileCheckpoint checkpoint;
  // Commits the batch with the current file's checkpoint. Dead letters are flushed first: after
  // a crash they may repeat, but are never lost.
  auto commit = [&]() -> Status {
    STRATA_RETURN_NOT_OK(dead_letters.Flush());
    const MetadataEntry cp{checkpoint.key, checkpoint.Encode()};
    STRATA_ASSIGN_OR_RETURN(uint64_t last, repo.Write(group, batch, std::span<const MetadataEntry>(&cp, 1)));
    if (!batch.empty()) {
      if (summary.first_write_seq == 0) summary.first_write_seq = last - batch.size() + 1;
      summary.last_write_seq = last;
      summary.accepted += batch.size();
      batch.clear();
      if (options.on_commit) options.on_commit(summary.accepted, summary.last_write_seq);
    }
    return Status::OK();
  };
  for (size_t fi = 0; fi < files.size(); ++fi) {
    STRATA_ASSIGN_OR_RETURN(checkpoint, LoadCheckpoint(repo, group, files[fi]));
    if (!options.resume) checkpoint.records = 0, checkpoint.complete = false;
    if (checkpoint.complete) {
      summary.skipped_files.push_back(files[fi]);
      continue;
    }
    uint64_t skip = checkpoint.records;
    summary.resumed_records += skip;
    RecordReader& reader = *readers[fi];
    while (true) {
      records.clear();
      STRATA_ASSIGN_OR_RETURN(size_t n, reader.Read(options.batch_rows, &records));
      if (n == 0) break;
      for (auto& rec : records) {
        if (skip > 0) {  // committed by an earlier run
          --skip;
          continue;
        }
        ++checkpoint.records;
        if (rec.ok) {
          batch.push_back(std::move(rec.row));
          if (batch.size() >= options.batch_rows) STRATA_RETURN_NOT_OK(commit());
        } else {
          STRATA_RETURN_NOT_OK(dead_letters.Add(files[fi], rec));
        }
      }
    }
    checkpoint.complete = true;
    STRATA_RETURN_NOT_OK(commit());  // a batch never spans two files
    for (const auto& c : reader.ignored_columns()) summary.ignored_columns.push_back(files[fi] + ": " + c);
  }
  summary.rejected = dead_letters.count();
  if (summary.rejected > 0) summary.rejected_path = dead_letters.path();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace strata
