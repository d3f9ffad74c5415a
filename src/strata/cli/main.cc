// The `strata` command. Exit codes: 0 ok, 1 runtime error, 2 usage error.

#include <malloc.h>

#include <string_view>
#include <vector>

#include "strata/cli/command.h"
#include "strata/core/jemalloc_reexec.h"

int main(int argc, char** argv) {
  using namespace strata::cli;
  // The server and bulk ingest run on jemalloc (jemalloc_reexec.h). Other batches allocate and
  // free buffers of many megabytes in a loop; glibc would hand each back to the kernel
  // (mmap/trim) and take a page fault per page to get it again. Keep them.
  const std::string_view command = argc > 1 ? std::string_view(argv[1]) : std::string_view();
  const bool on_jemalloc = command == "serve" || command == "ingest";
  if (on_jemalloc)
    strata::MaybeReexecWithJemalloc(argc, argv, command == "ingest" ? strata::JemallocPurging::kNever
                                                                    : strata::JemallocPurging::kDefault);
  if (!on_jemalloc) {
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
  CLI::App app{"Strata: a feature store and training-data engine for recommendation, search and ads models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "strata 0.1.0");
  std::vector<Command> commands = {AddInitCommand(app), AddApplyCommand(app), AddIngestCommand(app), AddGetCommand(app),
                                   AddSnapshotsCommand(app), AddScanCommand(app), AddCompactCommand(app),
                                   AddExpireCommand(app), AddTrainingSetCommand(app), AddServeCommand(app), AddBackupCommand(app),
                                   AddRestoreCommand(app), AddStreamCommand(app), AddGenCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsageError;
  }
  for (const auto& c : commands)
    if (c.app->parsed()) return c.run();
  return kExitUsageError;
}
