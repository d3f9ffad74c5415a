// `strata init DIR [--example]`: writes a commented strata.yaml.

#include <filesystem>
#include <fstream>

#include "strata/cli/command.h"
#include "strata/core/repo_yaml.h"

namespace strata::cli {

Command AddInitCommand(CLI::App& parent) {
  struct Args {
    std::string dir;
    std::string project;
    bool example = false;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("init", "Create a feature repository: DIR/strata.yaml");
  app->add_option("dir", args->dir, "Directory of the new repository")->required();
  app->add_flag("--example", args->example, "Write the demo definitions (users, items, profile, clicks, embeddings)");
  app->add_option("--project", args->project, "Project name (default: the directory name)");
  app->add_flag("--force", args->force, "Overwrite an existing strata.yaml");
  return {app, [args]() -> int {
            namespace fs = std::filesystem;
            const fs::path yaml = fs::path(args->dir) / "strata.yaml";
            if (fs::exists(yaml) && !args->force)
              return Fail("init", Status::AlreadyExists(yaml.string() + " already exists; use --force to overwrite it"));
            std::error_code ec;
            fs::create_directories(args->dir, ec);
            if (ec) return Fail("init", Status::IOError("cannot create " + args->dir + ": " + ec.message()));
            std::string project = args->project;
            if (project.empty()) project = fs::absolute(args->dir).lexically_normal().filename().string();
            if (project.empty()) project = fs::absolute(args->dir).lexically_normal().parent_path().filename().string();
            if (project.empty()) project = "features";
            std::ofstream out(yaml);
            out << RepoYamlTemplate(project, args->example);
            if (!out) return Fail("init", Status::IOError("cannot write " + yaml.string()));
            std::cout << "wrote " << yaml.string() << "\nnext: edit it, then run `strata apply --repo " << args->dir << "`\n";
            return kExitOk;
          }};
}

}  // namespace strata::cli
