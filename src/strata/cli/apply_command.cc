// `strata apply [--repo DIR] [--dry-run]`: validates strata.yaml and registers or evolves it.

#include "strata/cli/command.h"
#include "strata/store/feature_repository.h"

namespace strata::cli {

Command AddApplyCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    bool dry_run = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("apply", "Validate strata.yaml and register it (or evolve the registered schema)");
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  app->add_flag("--dry-run", args->dry_run, "Print the plan without changing anything");
  return {app, [args]() -> int {
            auto plan = FeatureRepository::Apply(args->repo, args->dry_run);
            if (!plan.ok()) return Fail("apply", plan.status());
            if (plan->changes.empty()) {
              std::cout << "no changes: the registry matches strata.yaml\n";
              return kExitOk;
            }
            std::cout << (args->dry_run ? "plan (dry run, nothing changed):\n" : "applied:\n");
            for (const auto& c : plan->changes) std::cout << "  " << c << "\n";
            return kExitOk;
          }};
}

}  // namespace strata::cli
