#pragma once
// A synthetic but realistic recommender dataset (`strata gen recsys`): users and items with
// latent preference vectors, ranking requests that show slates of items, clicks that depend
// on the latent match, on popularity and on the user's recent clicks, with Zipf item
// popularity, power-law user activity, a daily cycle, and late and out-of-order events.
// The generative model is documented in docs/synthetic-data.md. Same options, same bytes.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "strata/core/status.h"

namespace strata::datagen {

struct RecsysOptions {
  int64_t users = 100'000;
  int64_t items = 20'000;
  int days = 30;
  uint64_t seed = 0;
  // The end of the generated period (µs since the epoch, UTC); the data covers [end - days, end).
  int64_t end_micros = 0;
  // Mean impressions per user over the whole period (activity is a power law around it).
  double impressions_per_user = 20;
  int slate_size = 5;          // items shown per ranking request
  int embedding_dim = 64;      // item_embedding.vec
};

struct GeneratedFile {
  std::string name;  // e.g. "impressions"
  std::string path;
  int64_t rows = 0;
};

struct RecsysSummary {
  std::vector<GeneratedFile> files;
  int64_t impressions = 0;
  int64_t clicks = 0;
  int64_t requests = 0;
  int64_t start_micros = 0;
  int64_t end_micros = 0;
};

// Called with a step name and its fraction done (0..1), for progress bars.
using ProgressFn = std::function<void(const std::string& step, double fraction)>;

// Writes OUT_DIR/{user_profile,item_features,item_embedding,impressions,user_clicks}.parquet.
Result<RecsysSummary> GenerateRecsys(const RecsysOptions& options, const std::string& out_dir,
                                     const ProgressFn& progress = {});

}  // namespace strata::datagen
