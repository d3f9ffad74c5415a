#include "strata/datagen/recsys_generator.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "strata/datagen/random.h"

namespace strata::datagen {

namespace {

constexpr int kLatentDim = 16;
constexpr int kCategories = 32;
constexpr int kRecentClicks = 20;  // clicks a user's state remembers (repeat effect)
constexpr int kSimilarClicks = 10;  // of which the newest shape the sequence similarity
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
const std::array<const char*, 8> kCountries = {"US", "IN", "BR", "DE", "GB", "FR", "JP", "ES"};

using Latent = std::array<float, kLatentDim>;

struct Item {
  Latent latent;  // unit length
  int64_t category = 0;
  double popularity = 0;  // Zipf weight of its rank
  double quality = 0;     // click propensity beyond the latent match (correlates with popularity)
  float price = 0;
  int64_t launch = 0;     // µs; shown only from then on
};

struct User {
  Latent latent;  // unit length
  std::array<int, 2> liked;  // its two favourite categories
  double bias = 0;
  double activity = 0;
  int32_t age = 0;
  int country = -1;  // -1: unknown (null)
  int64_t moved_at = 0;  // the time its country changes (0: never)
  int moved_to = -1;
};

struct Impression {
  int64_t user, item, ts, arrival;
  int64_t request_id;
  int32_t position;
  int32_t dwell_ms;  // 0: not clicked
  int64_t click_ts;
  int64_t click_arrival;
};

struct ProfileRow {
  int64_t user, ts;
  int32_t age;
  int country;
  float ctr;
  bool ctr_valid;
};

float Dot(const Latent& a, const Latent& b) {
  float s = 0;
  for (int d = 0; d < kLatentDim; ++d) s += a[d] * b[d];
  return s;
}

void Normalize(Latent& v) {
  const float n = std::sqrt(Dot(v, v));
  if (n > 0) for (auto& x : v) x /= n;
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Time of day as a density: a daily cycle peaking at 20:00 UTC, lowest at 08:00.
int64_t SampleTimeOfDay(Random& rng) {
  while (true) {
    const double h = rng.Uniform() * 24.0;
    const double density = (1.0 + 0.7 * std::cos(2 * M_PI * (h - 20.0) / 24.0)) / 1.7;
    if (rng.Uniform() < density) return static_cast<int64_t>(h * kHour);
  }
}

// How late an event reaches the pipeline: most in seconds, some in minutes, a few a day late.
int64_t SampleDelay(Random& rng) {
  const double u = rng.Uniform();
  if (u < 0.95) return static_cast<int64_t>(rng.Exponential(2.0) * kSecond);
  if (u < 0.99) return static_cast<int64_t>(rng.Exponential(600.0) * kSecond);
  return kHour + static_cast<int64_t>(rng.Uniform() * 35 * kHour);
}

class World {
 public:
  World(const RecsysOptions& o) : o_(o), rng_(o.seed), start_(o.end_micros - o.days * kDay) {}

  void Build() {
    for (auto& c : centroids_) {
      for (auto& x : c) x = static_cast<float>(rng_.Normal());
      Normalize(c);
    }
    std::vector<double> category_weights(kCategories);
    for (int c = 0; c < kCategories; ++c) category_weights[c] = 1.0 / std::pow(c + 1.0, 0.7);
    const WeightedSampler category_sampler(category_weights);
    std::array<double, kCategories> price_mu{};
    for (auto& mu : price_mu) mu = 2.5 + 0.8 * rng_.Normal();

    // Items: popularity ranks in random order, Zipf weights; a latent near their category's.
    items_.resize(o_.items);
    std::vector<int64_t> rank(o_.items);
    std::iota(rank.begin(), rank.end(), 0);
    for (int64_t i = o_.items - 1; i > 0; --i) std::swap(rank[i], rank[rng_.Below(i + 1)]);
    double mean_log_pop = 0;
    for (int64_t j = 0; j < o_.items; ++j) {
      Item& it = items_[j];
      it.category = static_cast<int64_t>(category_sampler.Sample(rng_));
      for (int d = 0; d < kLatentDim; ++d) it.latent[d] = 0.8f * centroids_[it.category][d] + 0.15f * static_cast<float>(rng_.Normal());
      Normalize(it.latent);
      it.popularity = 1.0 / std::pow(rank[j] + 1.0, 1.05);
      mean_log_pop += std::log(it.popularity) / o_.items;
      it.price = static_cast<float>(std::round(rng_.LogNormal(price_mu[it.category], 0.5) * 100) / 100);
      // 85% of the catalogue exists before the period; the rest launches during it.
      it.launch = rng_.Bernoulli(0.85) ? start_ - 30 * kDay
                                       : start_ + static_cast<int64_t>(rng_.Uniform() * o_.days * kDay);
    }
    for (auto& it : items_) it.quality = 0.15 * (std::log(it.popularity) - mean_log_pop) / 2.0 + 0.3 * rng_.Normal();
    item_sampler_ = std::make_unique<WeightedSampler>([&] {
      std::vector<double> w(o_.items);
      for (int64_t j = 0; j < o_.items; ++j) w[j] = items_[j].popularity;
      return w;
    }());

    // Users: two favourite categories, a power-law activity, demographics.
    users_.resize(o_.users);
    const std::array<double, 8> country_weights = {0.30, 0.20, 0.12, 0.10, 0.09, 0.08, 0.06, 0.05};
    const WeightedSampler country_sampler(std::vector<double>(country_weights.begin(), country_weights.end()));
    for (int64_t i = 0; i < o_.users; ++i) {
      User& u = users_[i];
      u.liked = {static_cast<int>(category_sampler.Sample(rng_)), static_cast<int>(category_sampler.Sample(rng_))};
      for (int d = 0; d < kLatentDim; ++d) {
        u.latent[d] = 0.7f * centroids_[u.liked[0]][d] + 0.4f * centroids_[u.liked[1]][d] + 0.35f * static_cast<float>(rng_.Normal());
      }
      Normalize(u.latent);
      u.bias = 0.4 * rng_.Normal();
      u.activity = std::min(rng_.Pareto(1.3), 300.0);
      u.age = static_cast<int32_t>(std::clamp(16.0 + rng_.LogNormal(2.8, 0.5), 16.0, 85.0));
      u.country = rng_.Bernoulli(0.05) ? -1 : static_cast<int>(country_sampler.Sample(rng_));
      if (rng_.Bernoulli(0.03)) {
        u.moved_at = start_ + static_cast<int64_t>(rng_.Uniform() * o_.days * kDay);
        u.moved_to = static_cast<int>(country_sampler.Sample(rng_));
      }
    }
  }

  // Ranking requests grouped in sessions; each shows a slate; clicks follow the model.
  void Simulate(const ProgressFn& progress) {
    struct Session {
      int64_t user, start;
    };
    std::vector<double> activity(o_.users);
    for (int64_t i = 0; i < o_.users; ++i) activity[i] = users_[i].activity;
    const WeightedSampler user_sampler(activity);
    const double impressions_per_session = 3.0 * o_.slate_size;  // 1 + Geometric(2) requests
    const auto sessions_total = static_cast<int64_t>(o_.users * o_.impressions_per_user / impressions_per_session);
    std::vector<Session> sessions(sessions_total);
    for (auto& s : sessions) {
      s.user = static_cast<int64_t>(user_sampler.Sample(rng_));
      s.start = start_ + static_cast<int64_t>(rng_.Below(o_.days)) * kDay + SampleTimeOfDay(rng_);
    }
    std::sort(sessions.begin(), sessions.end(),
              [](const Session& a, const Session& b) { return a.user != b.user ? a.user < b.user : a.start < b.start; });
    impressions_.reserve(static_cast<size_t>(sessions_total * impressions_per_session * 1.1));

    std::vector<int64_t> recent;  // the user's clicked items, newest last
    int64_t current_user = -1;
    for (size_t si = 0; si < sessions.size(); ++si) {
      const Session& s = sessions[si];
      if (progress && si % 20000 == 0) progress("simulating ranking requests", static_cast<double>(si) / sessions.size());
      if (s.user != current_user) {
        current_user = s.user;
        recent.clear();
      }
      const User& u = users_[s.user];
      // A session has a mood: one category the user is into right now (often a favourite).
      // It is visible only through the session's own clicks: the signal in sequences.
      const int mood = rng_.Bernoulli(0.6) ? u.liked[rng_.Below(2)] : static_cast<int>(rng_.Below(kCategories));
      const int64_t requests = 1 + rng_.Geometric(2.0);
      int64_t ts = s.start;
      const int64_t next_session = (si + 1 < sessions.size() && sessions[si + 1].user == s.user) ? sessions[si + 1].start
                                                                                                : INT64_MAX;
      for (int64_t r = 0; r < requests && ts < start_ + o_.days * kDay; ++r) {
        const int64_t gap = 20 * kSecond + static_cast<int64_t>(rng_.Exponential(60.0) * kSecond);
        const int64_t next_ts = std::min(ts + gap, next_session);
        ShowSlate(s.user, u, mood, ts, next_ts, recent);
        ts = ts + gap;
        if (ts >= next_session) break;
      }
    }
    if (progress) progress("simulating ranking requests", 1.0);
    // Request ids in time order.
    std::sort(impressions_.begin(), impressions_.end(), [](const Impression& a, const Impression& b) {
      if (a.ts != b.ts) return a.ts < b.ts;
      if (a.user != b.user) return a.user < b.user;
      return a.position < b.position;
    });
    int64_t request = -1;
    for (size_t i = 0; i < impressions_.size(); ++i) {
      if (i == 0 || impressions_[i].ts != impressions_[i - 1].ts || impressions_[i].user != impressions_[i - 1].user) ++request;
      impressions_[i].request_id = request;
    }
  }

  // Weekly profile recomputation (each user on its own weekday, at night), with its trailing
  // 7-day click-through rate: the first version lies before the period, so every impression
  // has a profile as of its time.
  void BuildProfiles() {
    // Impressions are in time order: bucket their indexes by user.
    std::vector<std::vector<uint32_t>> by_user(o_.users);
    for (size_t i = 0; i < impressions_.size(); ++i) by_user[impressions_[i].user].push_back(static_cast<uint32_t>(i));
    for (int64_t id = 0; id < o_.users; ++id) {
      const User& u = users_[id];
      const auto& mine = by_user[id];
      size_t lo = 0, hi = 0;  // the trailing 7-day window of impressions
      int64_t clicks = 0;
      for (int64_t t = start_ + (id % 7 - 7) * kDay + 2 * kHour; t < start_ + o_.days * kDay; t += 7 * kDay) {
        const int64_t ts = t + static_cast<int64_t>(rng_.Uniform() * kHour);
        while (hi < mine.size() && impressions_[mine[hi]].ts < ts) clicks += impressions_[mine[hi++]].dwell_ms > 0;
        while (lo < hi && impressions_[mine[lo]].ts < ts - 7 * kDay) clicks -= impressions_[mine[lo++]].dwell_ms > 0;
        const int64_t shown = static_cast<int64_t>(hi - lo);
        const int country = (u.moved_at != 0 && ts >= u.moved_at) ? u.moved_to : u.country;
        profiles_.push_back({id, ts, u.age, country, static_cast<float>((clicks + 1.0) / (shown + 15.0)), shown > 0});
      }
    }
    std::sort(profiles_.begin(), profiles_.end(),
              [](const ProfileRow& a, const ProfileRow& b) { return a.ts != b.ts ? a.ts < b.ts : a.user < b.user; });
  }

  Status WriteAll(const std::string& dir, RecsysSummary& summary, const ProgressFn& progress);

  int64_t start() const { return start_; }
  const std::vector<Impression>& impressions() const { return impressions_; }

 private:
  void ShowSlate(int64_t user_id, const User& u, int mood, int64_t ts, int64_t next_ts, std::vector<int64_t>& recent) {
    std::vector<int64_t> slate;
    for (int p = 0; p < o_.slate_size; ++p) {
      int64_t item = -1;
      for (int attempt = 0; attempt < 20 && item < 0; ++attempt) {
        int64_t candidate = static_cast<int64_t>(item_sampler_->Sample(rng_));
        // Half the slots come from a retrieval stage: the best latent match of a few popular items.
        if (rng_.Bernoulli(0.5)) {
          float best = Dot(u.latent, items_[candidate].latent);
          for (int k = 0; k < 7; ++k) {
            const auto other = static_cast<int64_t>(item_sampler_->Sample(rng_));
            const float score = Dot(u.latent, items_[other].latent);
            if (score > best) best = score, candidate = other;
          }
        }
        if (items_[candidate].launch > ts) continue;
        if (std::find(slate.begin(), slate.end(), candidate) != slate.end()) continue;
        item = candidate;
      }
      if (item < 0) continue;
      slate.push_back(item);
      const Item& it = items_[item];
      double similarity = 0;
      int n = 0;
      for (auto r = recent.rbegin(); r != recent.rend() && n < kSimilarClicks; ++r, ++n) similarity += Dot(it.latent, items_[*r].latent);
      if (n > 0) similarity /= n;
      const bool repeat = std::find(recent.begin(), recent.end(), item) != recent.end();
      const double logit = -4.1 + 2.2 * Dot(u.latent, it.latent) + 1.6 * similarity + 1.2 * Dot(it.latent, centroids_[mood]) +
                           0.8 * repeat + it.quality + u.bias - 0.15 * p;
      Impression imp{user_id, item, ts, ts + static_cast<int64_t>(rng_.Exponential(1.0) * kSecond), 0, p, 0, 0, 0};
      if (rng_.Bernoulli(Sigmoid(logit))) {
        const double match = Dot(u.latent, it.latent);
        imp.dwell_ms = static_cast<int32_t>(std::clamp(rng_.LogNormal(9.2 + 0.8 * match, 0.8), 500.0, 1'800'000.0));
        imp.click_ts = std::min(ts + kSecond + static_cast<int64_t>(rng_.Exponential(8.0) * kSecond), next_ts - 1);
        imp.click_ts = std::max(imp.click_ts, ts + 1);
        imp.click_arrival = imp.click_ts + SampleDelay(rng_);
      }
      impressions_.push_back(imp);
    }
    // Clicks join the user's state after the request (they happen before the next one).
    for (size_t k = impressions_.size() - slate.size(); k < impressions_.size(); ++k) {
      if (impressions_[k].dwell_ms == 0) continue;
      recent.push_back(impressions_[k].item);
      if (recent.size() > static_cast<size_t>(kRecentClicks)) recent.erase(recent.begin());
    }
  }

  Status WriteItemTables(const std::string& dir, RecsysSummary& summary);

  const RecsysOptions& o_;
  Random rng_;
  const int64_t start_;
  std::array<Latent, kCategories> centroids_{};
  std::vector<Item> items_;
  std::vector<User> users_;
  std::unique_ptr<WeightedSampler> item_sampler_;
  std::vector<Impression> impressions_;
  std::vector<ProfileRow> profiles_;
};

// ---- Parquet output ----

Status WriteParquet(const std::string& path, const std::shared_ptr<arrow::Schema>& schema,
                    std::vector<std::shared_ptr<arrow::Array>> columns) {
  auto table = arrow::Table::Make(schema, std::move(columns));
  auto sink = arrow::io::FileOutputStream::Open(path);
  if (!sink.ok()) return Status::IOError("cannot create " + path + ": " + sink.status().ToString());
  auto props = parquet::WriterProperties::Builder().compression(parquet::Compression::ZSTD)->build();
  auto arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  auto st = parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *sink, 128 * 1024, props, arrow_props);
  if (st.ok()) st = (*sink)->Close();
  return st.ok() ? Status::OK() : Status::IOError("writing " + path + ": " + st.ToString());
}

template <typename Builder, typename T>
std::shared_ptr<arrow::Array> Finish(Builder& b, const std::vector<T>& values) {
  (void)b.AppendValues(values);
  return b.Finish().ValueOrDie();
}

std::shared_ptr<arrow::Array> Timestamps(const std::vector<int64_t>& micros) {
  arrow::TimestampBuilder b(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), arrow::default_memory_pool());
  return Finish(b, micros);
}

std::shared_ptr<arrow::Array> Int64s(const std::vector<int64_t>& v) {
  arrow::Int64Builder b;
  return Finish(b, v);
}

std::shared_ptr<arrow::Array> Int32s(const std::vector<int32_t>& v) {
  arrow::Int32Builder b;
  return Finish(b, v);
}

std::shared_ptr<arrow::Array> Floats(const std::vector<float>& v, const std::vector<bool>* valid = nullptr) {
  arrow::FloatBuilder b;
  if (valid) {
    (void)b.AppendValues(v, *valid);
    return b.Finish().ValueOrDie();
  }
  return Finish(b, v);
}

std::shared_ptr<arrow::DataType> TimestampType() { return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"); }

Status World::WriteItemTables(const std::string& dir, RecsysSummary& summary) {
  // item_features: recomputed nightly at 03:00 for every launched item, with its trailing
  // 7-day click-through rate (null for an item not shown in that week) and a price that moves.
  const int64_t days = o_.days;
  std::vector<int32_t> shown(o_.items * days), clicked(o_.items * days);
  for (const auto& imp : impressions_) {
    const int64_t d = (imp.ts - start_) / kDay;
    ++shown[imp.item * days + d];
    clicked[imp.item * days + d] += imp.dwell_ms > 0;
  }
  struct Row {
    int64_t item, ts;
    float price, ctr;
    bool ctr_valid;
  };
  std::vector<Row> rows;
  for (int64_t j = 0; j < o_.items; ++j) {
    float price = items_[j].price;
    const int64_t first_day = items_[j].launch < start_ ? -1 : (items_[j].launch - start_) / kDay;
    if (first_day >= 0) rows.push_back({j, items_[j].launch, price, 0, false});  // at launch
    for (int64_t d = first_day + 1; d < days; ++d) {
      if (d > first_day + 1 || first_day < 0) {
        if (rng_.Bernoulli(0.03)) price = std::round(price * static_cast<float>(0.9 + 0.2 * rng_.Uniform()) * 100) / 100;
      }
      int64_t s = 0, c = 0;
      for (int64_t k = std::max<int64_t>(0, d - 7); k < d; ++k) s += shown[j * days + k], c += clicked[j * days + k];
      const int64_t ts = start_ + d * kDay + 3 * kHour + static_cast<int64_t>(rng_.Uniform() * 30 * kMinute);
      rows.push_back({j, ts, price, static_cast<float>((c + 1.0) / (s + 20.0)), s > 0});
    }
    if (first_day < 0) rows.push_back({j, start_ - kDay + 3 * kHour, price, 0, false});  // before the period
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ts != b.ts ? a.ts < b.ts : a.item < b.item; });
  {
    std::vector<int64_t> id, ts, category;
    std::vector<float> price, ctr;
    std::vector<bool> valid;
    for (const auto& r : rows) {
      id.push_back(r.item), ts.push_back(r.ts), category.push_back(items_[r.item].category);
      price.push_back(r.price), ctr.push_back(r.ctr), valid.push_back(r.ctr_valid);
    }
    auto schema = arrow::schema({arrow::field("item_id", arrow::int64(), false), arrow::field("ts", TimestampType(), false),
                                 arrow::field("category", arrow::int64()), arrow::field("price", arrow::float32()),
                                 arrow::field("ctr_7d", arrow::float32())});
    const std::string path = dir + "/item_features.parquet";
    STRATA_RETURN_NOT_OK(WriteParquet(path, schema, {Int64s(id), Timestamps(ts), Int64s(category), Floats(price), Floats(ctr, &valid)}));
    summary.files.push_back({"item_features", path, static_cast<int64_t>(rows.size())});
  }

  // item_embedding: a published 64-d vector per item (a fixed projection of its latent plus
  // noise, unit length), written when the item launches.
  const int dim = o_.embedding_dim;
  std::vector<float> projection(static_cast<size_t>(dim) * kLatentDim);
  for (auto& x : projection) x = static_cast<float>(rng_.Normal());
  std::vector<int64_t> order(o_.items);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return items_[a].launch < items_[b].launch; });
  std::vector<int64_t> id, ts;
  std::vector<float> values;
  values.reserve(static_cast<size_t>(o_.items) * dim);
  std::vector<float> v(dim);
  for (const int64_t j : order) {
    double norm = 0;
    for (int k = 0; k < dim; ++k) {
      float x = 0;
      for (int d = 0; d < kLatentDim; ++d) x += projection[k * kLatentDim + d] * items_[j].latent[d];
      v[k] = x + 0.5f * static_cast<float>(rng_.Normal());
      norm += static_cast<double>(v[k]) * v[k];
    }
    for (int k = 0; k < dim; ++k) values.push_back(static_cast<float>(v[k] / std::sqrt(norm)));
    id.push_back(j);
    ts.push_back(std::max(items_[j].launch, start_ - kDay));
  }
  auto flat = Floats(values);
  auto vec = std::make_shared<arrow::FixedSizeListArray>(arrow::fixed_size_list(arrow::float32(), dim), o_.items, flat);
  auto schema = arrow::schema({arrow::field("item_id", arrow::int64(), false), arrow::field("ts", TimestampType(), false),
                               arrow::field("vec", vec->type())});
  const std::string path = dir + "/item_embedding.parquet";
  STRATA_RETURN_NOT_OK(WriteParquet(path, schema, {Int64s(id), Timestamps(ts), vec}));
  summary.files.push_back({"item_embedding", path, o_.items});
  return Status::OK();
}

Status World::WriteAll(const std::string& dir, RecsysSummary& summary, const ProgressFn& progress) {
  if (progress) progress("writing Parquet files", 0.0);
  {  // user_profile
    std::vector<int64_t> id, ts;
    std::vector<int32_t> age;
    std::vector<float> ctr;
    std::vector<bool> valid;
    arrow::StringBuilder country;
    for (const auto& p : profiles_) {
      id.push_back(p.user), ts.push_back(p.ts), age.push_back(p.age), ctr.push_back(p.ctr), valid.push_back(p.ctr_valid);
      if (p.country < 0) (void)country.AppendNull(); else (void)country.Append(kCountries[p.country]);
    }
    auto schema = arrow::schema({arrow::field("user_id", arrow::int64(), false), arrow::field("ts", TimestampType(), false),
                                 arrow::field("age", arrow::int32()), arrow::field("country", arrow::utf8()),
                                 arrow::field("ctr_7d", arrow::float32())});
    const std::string path = dir + "/user_profile.parquet";
    STRATA_RETURN_NOT_OK(WriteParquet(path, schema, {Int64s(id), Timestamps(ts), Int32s(age), country.Finish().ValueOrDie(), Floats(ctr, &valid)}));
    summary.files.push_back({"user_profile", path, static_cast<int64_t>(profiles_.size())});
  }
  if (progress) progress("writing Parquet files", 0.2);
  STRATA_RETURN_NOT_OK(WriteItemTables(dir, summary));
  if (progress) progress("writing Parquet files", 0.4);

  // impressions, in the order they reach the log (by arrival: a little out of order).
  std::vector<uint32_t> order(impressions_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return impressions_[a].arrival != impressions_[b].arrival ? impressions_[a].arrival < impressions_[b].arrival : a < b;
  });
  {
    std::vector<int64_t> request, user, item, ts;
    std::vector<int32_t> position, label, dwell;
    for (const uint32_t i : order) {
      const auto& m = impressions_[i];
      request.push_back(m.request_id), user.push_back(m.user), item.push_back(m.item), ts.push_back(m.ts);
      position.push_back(m.position), label.push_back(m.dwell_ms > 0), dwell.push_back(m.dwell_ms);
    }
    auto schema = arrow::schema({arrow::field("request_id", arrow::int64(), false), arrow::field("user_id", arrow::int64(), false),
                                 arrow::field("item_id", arrow::int64(), false), arrow::field("ts", TimestampType(), false),
                                 arrow::field("position", arrow::int32(), false), arrow::field("label", arrow::int32(), false),
                                 arrow::field("dwell_ms", arrow::int32(), false)});
    const std::string path = dir + "/impressions.parquet";
    STRATA_RETURN_NOT_OK(WriteParquet(path, schema, {Int64s(request), Int64s(user), Int64s(item), Timestamps(ts),
                                                     Int32s(position), Int32s(label), Int32s(dwell)}));
    summary.files.push_back({"impressions", path, static_cast<int64_t>(impressions_.size())});
  }
  if (progress) progress("writing Parquet files", 0.8);

  // user_clicks: the click events, by arrival: late and out of order (some a day late).
  std::vector<uint32_t> clicks;
  for (uint32_t i = 0; i < impressions_.size(); ++i) if (impressions_[i].dwell_ms > 0) clicks.push_back(i);
  std::sort(clicks.begin(), clicks.end(), [&](uint32_t a, uint32_t b) {
    return impressions_[a].click_arrival != impressions_[b].click_arrival ? impressions_[a].click_arrival < impressions_[b].click_arrival
                                                                          : a < b;
  });
  {
    std::vector<int64_t> user, ts, item;
    std::vector<int32_t> dwell;
    for (const uint32_t i : clicks) {
      const auto& m = impressions_[i];
      user.push_back(m.user), ts.push_back(m.click_ts), item.push_back(m.item), dwell.push_back(m.dwell_ms);
    }
    auto schema = arrow::schema({arrow::field("user_id", arrow::int64(), false), arrow::field("ts", TimestampType(), false),
                                 arrow::field("item_id", arrow::int64()), arrow::field("dwell_ms", arrow::int32())});
    const std::string path = dir + "/user_clicks.parquet";
    STRATA_RETURN_NOT_OK(WriteParquet(path, schema, {Int64s(user), Timestamps(ts), Int64s(item), Int32s(dwell)}));
    summary.files.push_back({"user_clicks", path, static_cast<int64_t>(clicks.size())});
    summary.clicks = static_cast<int64_t>(clicks.size());
  }
  if (progress) progress("writing Parquet files", 1.0);
  return Status::OK();
}

}  // namespace

Result<RecsysSummary> GenerateRecsys(const RecsysOptions& options, const std::string& out_dir, const ProgressFn& progress) {
  if (options.users < 1 || options.users > 100'000'000) return Status::InvalidArgument("--users must be between 1 and 100M");
  if (options.items < 10 || options.items > 100'000'000) return Status::InvalidArgument("--items must be between 10 and 100M");
  if (options.days < 1 || options.days > 3660) return Status::InvalidArgument("--days must be between 1 and 3660");
  if (options.slate_size < 1 || options.slate_size > 100) return Status::InvalidArgument("--slate must be between 1 and 100");
  if (options.embedding_dim < 1 || options.embedding_dim > 4096) return Status::InvalidArgument("--dim must be between 1 and 4096");
  if (!(options.impressions_per_user > 0) || options.impressions_per_user > 10'000) {
    return Status::InvalidArgument("--impressions-per-user must be in (0, 10000]");
  }
  if (options.end_micros % kDay != 0) return Status::InvalidArgument("the end of the period must be a midnight (UTC)");
  const double impressions = static_cast<double>(options.users) * options.impressions_per_user;
  if (impressions > 2e9) return Status::InvalidArgument("users x impressions-per-user must stay below 2 billion impressions");
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status::IOError("cannot create " + out_dir + ": " + ec.message());

  World world(options);
  if (progress) progress("building users and items", 0.0);
  world.Build();
  world.Simulate(progress);
  world.BuildProfiles();
  RecsysSummary summary;
  STRATA_RETURN_NOT_OK(world.WriteAll(out_dir, summary, progress));
  summary.impressions = static_cast<int64_t>(world.impressions().size());
  summary.requests = world.impressions().empty() ? 0 : world.impressions().back().request_id + 1;
  summary.start_micros = world.start();
  summary.end_micros = options.end_micros;
  return summary;
}

}  // namespace strata::datagen
