// `strata gen recsys --out DIR [...]`: writes a synthetic recommender dataset as Parquet files
// (the generative model: docs/synthetic-data.md).

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "strata/cli/command.h"
#include "strata/core/time.h"
#include "strata/datagen/recsys_generator.h"

namespace strata::cli {

namespace {

constexpr int64_t kDayMicros = 86'400'000'000;

// A one-line progress bar on stderr, redrawn in place.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  ~ProgressBar() { Done(); }
  void Update(const std::string& step, double fraction) {
    if (!enabled_) return;
    if (step != step_) {
      Done();
      step_ = step;
    }
    const int width = 30, filled = static_cast<int>(fraction * width + 0.5);
    std::fprintf(stderr, "\r  %-30s [%s%s] %3.0f%%", step.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), fraction * 100);
    std::fflush(stderr);
  }
  void Done() {
    if (enabled_ && !step_.empty()) std::fprintf(stderr, "\n");
    step_.clear();
  }

 private:
  bool enabled_;
  std::string step_;
};

}  // namespace

Command AddGenCommand(CLI::App& parent) {
  struct Args {
    datagen::RecsysOptions options;
    std::string out;
    std::string end;
    bool progress = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* gen = parent.add_subcommand("gen", "Generate synthetic datasets (see docs/synthetic-data.md)");
  gen->require_subcommand(1);
  CLI::App* app = gen->add_subcommand(
      "recsys", "A recommender dataset as Parquet: user_profile, item_features, item_embedding, impressions (with click "
                "labels), user_clicks");
  app->add_option("--out", args->out, "Output directory")->required();
  app->add_option("--users", args->options.users, "Users")->capture_default_str();
  app->add_option("--items", args->options.items, "Items")->capture_default_str();
  app->add_option("--days", args->options.days, "Days of activity")->capture_default_str();
  app->add_option("--seed", args->options.seed, "Random seed: the same options give the same files")->capture_default_str();
  app->add_option("--end", args->end, "End of the period, a UTC date (YYYY-MM-DD); default: today's midnight UTC");
  app->add_option("--impressions-per-user", args->options.impressions_per_user, "Mean impressions per user (power law)")
      ->capture_default_str();
  app->add_option("--slate", args->options.slate_size, "Items shown per ranking request")->capture_default_str();
  app->add_option("--dim", args->options.embedding_dim, "Dimension of item embeddings")->capture_default_str();
  app->add_flag("--progress", args->progress, "Draw progress bars on stderr (default: when stderr is a terminal)");
  return {gen, [args, app]() -> int {
            if (!app->parsed()) return kExitUsageError;
            auto& o = args->options;
            if (args->end.empty()) {
              o.end_micros = NowMicros() / kDayMicros * kDayMicros;
            } else {
              auto end = ParseTimestamp(args->end);
              if (!end.ok()) return Fail("gen", Status::InvalidArgument("--end: " + end.status().message()), kExitUsageError);
              o.end_micros = *end;
            }
            ProgressBar bar(args->progress || isatty(STDERR_FILENO));
            auto summary = datagen::GenerateRecsys(o, args->out, [&](const std::string& s, double f) { bar.Update(s, f); });
            bar.Done();
            if (!summary.ok()) return Fail("gen", summary.status());
            std::cout << "generated " << summary->impressions << " impressions in " << summary->requests << " requests ("
                      << summary->clicks << " clicks, CTR " << (summary->impressions ? 100.0 * summary->clicks / summary->impressions : 0)
                      << "%) from " << FormatTimestamp(summary->start_micros) << " to " << FormatTimestamp(summary->end_micros)
                      << "\n";
            for (const auto& f : summary->files) std::cout << "  " << f.path << "  " << f.rows << " rows\n";
            return kExitOk;
          }};
}

}  // namespace strata::cli
