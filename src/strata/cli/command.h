#pragma once
// Shared pieces of the `strata` subcommands: exit codes and error reporting.

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "strata/core/status.h"

namespace strata::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsageError = 2;

// Prints "strata <command>: <message>" to stderr and returns `exit_code`.
inline int Fail(const std::string& command, const Status& status, int exit_code = kExitRuntimeError) {
  std::cerr << "strata " << command << ": " << status.message() << "\n";
  return exit_code;
}

// Each subcommand registers its options on `app` and sets `run` to the code that executes it.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command AddInitCommand(CLI::App& parent);
Command AddApplyCommand(CLI::App& parent);
Command AddIngestCommand(CLI::App& parent);
Command AddGetCommand(CLI::App& parent);
Command AddSnapshotsCommand(CLI::App& parent);
Command AddScanCommand(CLI::App& parent);
Command AddCompactCommand(CLI::App& parent);
Command AddExpireCommand(CLI::App& parent);
Command AddTrainingSetCommand(CLI::App& parent);
Command AddServeCommand(CLI::App& parent);
Command AddGenCommand(CLI::App& parent);
Command AddStreamCommand(CLI::App& parent);
Command AddBackupCommand(CLI::App& parent);
Command AddRestoreCommand(CLI::App& parent);

}  // namespace strata::cli
