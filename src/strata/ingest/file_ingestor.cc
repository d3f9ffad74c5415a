#include "strata/ingest/file_ingestor.h"

#include <chrono>
#include <deque>
#include <cstdio>
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <nlohmann/json.hpp>

#include "strata/core/time.h"
#include "strata/ingest/dead_letter_sink.h"
#include "strata/ingest/record_reader.h"
#include "strata/store/group_writer.h"

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

// Where an earlier run of the same group and file got to. A file is identified by its path,
// device, inode, size and modification time, taken when it is opened for reading.
struct FileCheckpoint {
  std::string key;
  std::string identity;
  uint64_t records = 0;   // source records (accepted and rejected) already committed
  uint64_t rejected = 0;  // of which rejected, over all runs
  std::string rejected_path;  // where the latest run that rejected rows wrote them
  bool complete = false;

  std::string Encode() const {
    return nlohmann::json({{"identity", identity}, {"records", records}, {"rejected", rejected},
                           {"rejected_path", rejected_path}, {"complete", complete}})
        .dump();
  }
};

// Called just before the file is opened, so that the identity is the one of the bytes read.
Result<FileCheckpoint> LoadCheckpoint(FeatureRepository& repo, const FeatureGroupDef& group, const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path = fs::weakly_canonical(fs::absolute(file), ec);
  struct stat st;
  if (ec || ::stat(path.c_str(), &st) != 0) return Status::IOError("cannot stat input file " + file);
  FileCheckpoint cp;
  // Keyed by group id: a group dropped and created again under its name starts afresh.
  cp.key = "ingest/" + std::to_string(group.id) + "/" + path.string();
  cp.identity = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
                std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  STRATA_ASSIGN_OR_RETURN(auto stored, repo.online().ReadMetadata(cp.key));
  if (!stored) return cp;
  const auto j = nlohmann::json::parse(*stored, nullptr, false);
  if (j.is_object() && j.value("identity", std::string()) == cp.identity) {  // the same file: resume
    cp.records = j.value("records", uint64_t{0});
    cp.rejected = j.value("rejected", uint64_t{0});
    cp.rejected_path = j.value("rejected_path", std::string());
    cp.complete = j.value("complete", false);
  }
  return cp;
}

// Reads `readers` in order (named `names`; a checkpoint with an empty key is a stream, which
// is not recorded for resuming) and writes their rows to both stores.
Result<IngestSummary> IngestSources(FeatureRepository& repo, const FeatureGroupDef& group,
                                    const std::vector<std::string>& files,
                                    std::vector<std::unique_ptr<RecordReader>> readers,
                                    std::vector<FileCheckpoint> checkpoints, const IngestOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  IngestSummary summary;
  DeadLetterSink dead_letters(repo.ResolvePath(".strata/rejected/" + RejectedFileName(group.name)));
  SourceChunk chunk;
  std::vector<FeatureRow> batch;
  FileCheckpoint checkpoint;
  bool in_file = false;
  std::vector<MetadataEntry> finished;  // checkpoints of files finished since the last commit
  STRATA_ASSIGN_OR_RETURN(auto writer, GroupWriter::Make(repo, group));
  const int64_t commit_rows = options.commit_rows > 0 ? options.commit_rows : repo.definition().offline.commit_rows;
  // Hands the batch to the writer; every `commit_rows` rows (and at the end) commits both
  // stores with the checkpoints of the files read. Dead letters are flushed first: after a
  // crash they may repeat, but are never lost.
  std::deque<std::pair<uint64_t, uint64_t>> unacknowledged;  // commits: rows, last write_seq
  // Commits are acknowledged once they are in both stores (their online write is done).
  auto acknowledge = [&] {
    while (!unacknowledged.empty() && unacknowledged.front().second <= writer->online_write_seq()) {
      const auto [rows, last] = unacknowledged.front();
      unacknowledged.pop_front();
      if (summary.first_write_seq == 0) summary.first_write_seq = last - rows + 1;
      summary.last_write_seq = last;
      summary.accepted += rows;
      if (options.on_commit) options.on_commit(summary.accepted, summary.last_write_seq);
    }
  };
  auto commit = [&](bool force) -> Status {
    STRATA_RETURN_NOT_OK(writer->Append(batch));
    batch.clear();
    if (!force && writer->pending_rows() < commit_rows) return Status::OK();
    STRATA_RETURN_NOT_OK(dead_letters.Flush());
    std::vector<MetadataEntry> meta = std::move(finished);
    finished.clear();
    if (in_file && !checkpoint.key.empty()) meta.emplace_back(checkpoint.key, checkpoint.Encode());
    const auto rows = static_cast<uint64_t>(writer->pending_rows());
    if (rows == 0 && meta.empty()) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(uint64_t last, writer->Commit(meta));
    if (rows > 0) unacknowledged.emplace_back(rows, last);
    acknowledge();
    return Status::OK();
  };
  for (size_t fi = 0; fi < files.size(); ++fi) {
    checkpoint = std::move(checkpoints[fi]);
    bool repeated = false;  // the same file named twice in one command is read once
    for (size_t fj = 0; fj < fi && !checkpoint.key.empty(); ++fj)
      repeated |= files[fj] == files[fi] || checkpoints[fj].key == checkpoint.key;
    if (repeated) {
      summary.skipped_files.push_back(files[fi]);
      continue;
    }
    if (!options.resume) {  // start the file afresh
      FileCheckpoint fresh;
      fresh.key = checkpoint.key;
      fresh.identity = checkpoint.identity;
      checkpoint = std::move(fresh);
    }
    if (checkpoint.complete) {
      summary.skipped_files.push_back(files[fi]);
      continue;
    }
    in_file = true;
    uint64_t skip = checkpoint.records;
    summary.resumed_records += skip;
    if (skip > 0 && checkpoint.rejected > 0) {
      summary.earlier_rejected += checkpoint.rejected;
      summary.earlier_rejected_paths.push_back(checkpoint.rejected_path);
    }
    RecordReader& reader = *readers[fi];
    while (true) {
      STRATA_ASSIGN_OR_RETURN(size_t n, reader.ReadChunk(options.batch_rows, &chunk));
      if (n == 0) break;
      if (chunk.columns) {  // every row valid, in columns
        const uint64_t committed = std::min<uint64_t>(skip, n);  // by an earlier run
        skip -= committed;
        if (committed == n) continue;
        STRATA_RETURN_NOT_OK(writer->Append(batch));  // rows read before these keep their write_seq order
        batch.clear();
        STRATA_RETURN_NOT_OK(writer->AppendColumns(
            committed > 0 ? chunk.columns->Slice(static_cast<int64_t>(committed), static_cast<int64_t>(n - committed))
                          : *chunk.columns));
        checkpoint.records += n - committed;
        STRATA_RETURN_NOT_OK(commit(false));
        continue;
      }
      for (auto& rec : chunk.records) {
        if (skip > 0) {  // committed by an earlier run
          --skip;
          continue;
        }
        ++checkpoint.records;
        if (rec.ok) {
          batch.push_back(std::move(rec.row));
          if (batch.size() >= options.batch_rows) STRATA_RETURN_NOT_OK(commit(false));
        } else {
          STRATA_RETURN_NOT_OK(dead_letters.Add(files[fi], rec));
          ++checkpoint.rejected;
          checkpoint.rejected_path = dead_letters.path();
        }
      }
    }
    checkpoint.complete = true;
    STRATA_RETURN_NOT_OK(commit(false));
    if (!checkpoint.key.empty()) finished.emplace_back(checkpoint.key, checkpoint.Encode());
    in_file = false;
    for (const auto& c : reader.ignored_columns()) summary.ignored_columns.push_back(files[fi] + ": " + c);
  }
  STRATA_RETURN_NOT_OK(commit(true));
  STRATA_RETURN_NOT_OK(writer->Finish());
  acknowledge();
  summary.online_seconds = writer->times().online_seconds;
  summary.online_wait_seconds = writer->times().online_wait_seconds;
  summary.rejected = dead_letters.count() + summary.earlier_rejected;
  if (dead_letters.count() > 0) summary.rejected_path = dead_letters.path();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace

Result<IngestSummary> IngestFiles(FeatureRepository& repo, const FeatureGroupDef& group,
                                  const std::vector<std::string>& files, const IngestOptions& options) {
  SourceLayout layout{&group, &repo.EntityOf(group)};
  // Open every file first: a missing or unreadable file stops the command before any write.
  std::vector<std::unique_ptr<RecordReader>> readers;
  std::vector<FileCheckpoint> checkpoints;
  for (const auto& f : files) {
    if (!std::filesystem::exists(f)) return Status::NotFound("input file " + f + " does not exist");
    STRATA_ASSIGN_OR_RETURN(auto cp, LoadCheckpoint(repo, group, f));
    STRATA_ASSIGN_OR_RETURN(auto r, OpenRecordReader(f, layout));
    checkpoints.push_back(std::move(cp));
    readers.push_back(std::move(r));
  }
  return IngestSources(repo, group, files, std::move(readers), std::move(checkpoints), options);
}

Result<IngestSummary> IngestStream(FeatureRepository& repo, const FeatureGroupDef& group,
                                   std::shared_ptr<arrow::RecordBatchReader> batches, const std::string& name,
                                   const IngestOptions& options) {
  SourceLayout layout{&group, &repo.EntityOf(group)};
  std::vector<std::unique_ptr<RecordReader>> readers;
  STRATA_ASSIGN_OR_RETURN(auto reader, OpenArrowStreamReader(std::move(batches), layout, name));
  readers.push_back(std::move(reader));
  std::vector<FileCheckpoint> checkpoints(1);
  return IngestSources(repo, group, {name}, std::move(readers), std::move(checkpoints), options);
}

}  // namespace strata
