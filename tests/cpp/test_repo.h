#pragma once
// A feature repository in a fresh temporary directory, for tests.

#include <gtest/gtest.h>

#include <arrow/api.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "strata/core/time.h"
#include "strata/ingest/file_ingestor.h"
#include "strata/store/feature_repository.h"

namespace strata::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("strata-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// An hour ago, fixed for the process: recent enough for exact online as-of reads (history 7d).
inline int64_t RecentMicros() {
  static const int64_t now = NowMicros() - 3'600'000'000;
  return now;
}

inline void WriteText(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

// Writes strata.yaml with the given entities+groups section and applies it.
inline std::unique_ptr<FeatureRepository> MakeRepo(const TempDir& dir, const std::string& body,
                                                   const RepositoryOptions& options = {}) {
  WriteText(dir.path() / "strata.yaml", "project: test\n" + body);
  auto plan = FeatureRepository::Apply(dir.str());
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  auto repo = FeatureRepository::Open(dir.str(), options);
  EXPECT_TRUE(repo.ok()) << repo.status().ToString();
  return repo.ok() ? std::move(*repo) : nullptr;
}

// Ingest options whose run stops, as a crash would, once its commit number `n` is acknowledged.
inline IngestOptions CrashingAtCommit(size_t batch_rows, int64_t commit_rows, int n) {
  IngestOptions o;
  o.batch_rows = batch_rows;
  o.commit_rows = commit_rows;
  o.on_commit = [commits = std::make_shared<int>(0), n](uint64_t, uint64_t) {
    if (++*commits == n) throw std::runtime_error("crash");
  };
  return o;
}

inline FeatureRow Row(Value key, int64_t event_time, std::vector<Value> features) {
  return FeatureRow{std::move(key), event_time, std::move(features)};
}

// Cell i of an int64/int32/float column as a Value (monostate for null).
inline Value Cell(const arrow::Array& a, int64_t i) {
  if (a.IsNull(i)) return Value();
  switch (a.type_id()) {
    case arrow::Type::INT32: return int64_t{static_cast<const arrow::Int32Array&>(a).Value(i)};
    case arrow::Type::INT64: return static_cast<const arrow::Int64Array&>(a).Value(i);
    case arrow::Type::FLOAT: return double{static_cast<const arrow::FloatArray&>(a).Value(i)};
    case arrow::Type::DOUBLE: return static_cast<const arrow::DoubleArray&>(a).Value(i);
    case arrow::Type::STRING: return std::string(static_cast<const arrow::StringArray&>(a).GetView(i));
    case arrow::Type::BOOL: return static_cast<const arrow::BooleanArray&>(a).Value(i);
    default: return Value(std::string("<" + a.type()->ToString() + ">"));
  }
}

// The elements of list cell i (sequence reads) as Values; nullopt when the cell is null.
inline std::optional<std::vector<Value>> ListCell(const arrow::Array& a, int64_t i) {
  if (a.IsNull(i)) return std::nullopt;
  const auto& l = static_cast<const arrow::ListArray&>(a);
  std::vector<Value> out;
  for (int64_t k = l.value_offset(i); k < l.value_offset(i + 1); ++k) out.push_back(Cell(*l.values(), k));
  return out;
}

// One writer writes `batches` batches, each setting every key 0..keys-1 of group `g` (one int64
// feature) to the batch number, while two readers read all keys with `read` (each key's value,
// or nullopt when the read failed): no read may see two values, i.e. half of a batch.
inline void ExpectNoTornReads(FeatureRepository& repo, const FeatureGroupDef& g, int keys, int batches,
                              const std::function<std::optional<std::vector<Value>>(const std::vector<Value>&)>& read) {
  std::vector<Value> all;
  for (int64_t i = 0; i < keys; ++i) all.push_back(i);
  const int64_t base = NowMicros() - 3600 * kMicrosPerSecond;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  auto reader = [&] {
    while (!done.load()) {
      auto values = read(all);
      if (!values || values->size() != all.size() ||
          std::any_of(values->begin(), values->end(), [&](const Value& v) { return v != (*values)[0]; }))
        ++torn;
      ++reads;
    }
  };
  std::thread r1(reader), r2(reader);
  for (int64_t b = 0; b < batches; ++b) {
    std::vector<FeatureRow> rows;
    for (int64_t i = 0; i < keys; ++i) rows.push_back(Row(i, base + b, {b}));
    EXPECT_TRUE(repo.Write(g, rows).ok());
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
}

}  // namespace strata::testing
