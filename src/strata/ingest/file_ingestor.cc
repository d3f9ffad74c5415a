#include "strata/ingest/file_ingestor.h"

#include <chrono>
#include <cstdio>

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
  auto commit = [&]() -> Status {
    if (batch.empty()) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(uint64_t last, repo.Write(group, batch));
    if (summary.first_write_seq == 0) summary.first_write_seq = last - batch.size() + 1;
    summary.last_write_seq = last;
    summary.accepted += batch.size();
    batch.clear();
    // Dead letters are flushed with each batch so that both survive a crash together.
    STRATA_RETURN_NOT_OK(dead_letters.Flush());
    if (options.on_commit) options.on_commit(summary.accepted, summary.last_write_seq);
    return Status::OK();
  };
  for (size_t fi = 0; fi < files.size(); ++fi) {
    RecordReader& reader = *readers[fi];
    while (true) {
      records.clear();
      STRATA_ASSIGN_OR_RETURN(size_t n, reader.Read(options.batch_rows, &records));
      if (n == 0) break;
      for (auto& rec : records) {
        if (rec.ok) {
          batch.push_back(std::move(rec.row));
          if (batch.size() >= options.batch_rows) STRATA_RETURN_NOT_OK(commit());
        } else {
          STRATA_RETURN_NOT_OK(dead_letters.Add(files[fi], rec));
        }
      }
    }
    for (const auto& c : reader.ignored_columns()) summary.ignored_columns.push_back(files[fi] + ": " + c);
  }
  STRATA_RETURN_NOT_OK(commit());
  STRATA_RETURN_NOT_OK(dead_letters.Flush());
  summary.rejected = dead_letters.count();
  if (summary.rejected > 0) summary.rejected_path = dead_letters.path();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace strata
