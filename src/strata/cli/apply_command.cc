// `strata apply [--repo DIR] [--dry-run]`: validates strata.yaml and registers or evolves it.

#include <filesystem>
#include <set>

#include "strata/cli/command.h"
#include "strata/core/file_io.h"
#include "strata/core/repo_yaml.h"
#include "strata/ingest/stream_config.h"
#include "strata/store/feature_repository.h"

namespace strata::cli {

namespace {

// strata.yaml's streams: parse, and name groups it defines (a mistake is found at apply, not
// when the stream starts).
Status CheckStreams(const std::string& repo) {
  const std::string path = (std::filesystem::path(repo) / kRepoYamlFile).string();
  auto text = ReadFileToString(path);
  if (!text.ok()) return Status::OK();  // Apply reports it
  auto def = ParseRepoYaml(*text, path);
  if (!def.ok()) return Status::OK();  // Apply reports it, with its line
  STRATA_ASSIGN_OR_RETURN(auto streams, ParseRepoStreams(*text, path));
  for (const auto& s : streams)
    for (const auto& t : s.topics)
      if (!def->FindGroup(t.group))
        return Status::InvalidArgument(path + ": streams." + s.name + ": topic " + t.topic + " writes group '" + t.group +
                                       "', which strata.yaml does not define");
  return Status::OK();
}

}  // namespace

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
            Status streams = CheckStreams(args->repo);
            if (!streams.ok()) return Fail("apply", streams, kExitUsageError);
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
