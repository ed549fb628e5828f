// twin-snapshot: load, save, inspect and validate city state documents.
#include <unistd.h>

#include <iostream>

#include "lib/commands.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-snapshot";
  CLI::App app{"Load, save, inspect and validate city state documents.",
               std::string(kTool)};
  twin::cli::LogOptions log;
  twin::cli::AddCommonOptions(&app, &log);
  app.require_subcommand(1);

  std::string file = "-";
  bool json = false;
  CLI::App* validate = app.add_subcommand(
      "validate", "Check a state document; print each problem by its JSON path.");
  validate->add_option("FILE", file, "state document ('-' for stdin)")->required();
  CLI::App* stats = app.add_subcommand(
      "stats", "Print entity counts and size of a state document.");
  stats->add_option("FILE", file, "state document ('-' for stdin)")->required();
  stats->add_flag("--json", json, "print one JSON object");

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, log);
  return twin::cli::Run(kTool, [&] {
    const twin::Io io{&std::cin, &std::cout, &std::cerr, isatty(STDERR_FILENO) != 0};
    twin::Status status = validate->parsed() ? twin::ValidateCommand(file, io)
                                             : twin::StatsCommand(file, json, io);
    return twin::cli::ExitCodeFor(kTool, status);
  });
}
