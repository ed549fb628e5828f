// twin-snapshot: load, save, inspect and validate city state documents.
#include <unistd.h>

#include <iostream>

#include "lib/commands/snapshot_commands.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-snapshot";
  CLI::App app{"Load, save, inspect and validate city state documents.",
               std::string(kTool)};
  twin::cli::LogOptions log;
  twin::cli::RedisFlags redis;
  std::string city_id;
  twin::cli::AddCommonOptions(&app, &log);
  twin::cli::AddRedisOptions(&app, &redis);
  twin::cli::AddCityOption(&app, &city_id);
  app.require_subcommand(1);

  std::string file = "-", output = "-";
  bool json = false;
  CLI::App* load = app.add_subcommand(
      "load", "Validate a state document and make it the city's state in Redis.");
  load->add_option("FILE", file, "state document ('-' for stdin)")->capture_default_str();
  CLI::App* save = app.add_subcommand("save", "Write the city's state from Redis.");
  save->add_option("-o,--output", output, "output file ('-' for stdout)")
      ->capture_default_str();
  CLI::App* stats = app.add_subcommand(
      "stats", "Entity counts and size of a document, or of the city in Redis.");
  CLI::Option* stats_file =
      stats->add_option("FILE", file, "state document ('-' for stdin)");
  stats->add_flag("--json", json, "print one JSON object");
  CLI::App* validate = app.add_subcommand(
      "validate", "Check a state document; print each problem by its JSON path.");
  validate->add_option("FILE", file, "state document ('-' for stdin)")->required();

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, log);
  twin::cli::InstallStopHandlers();
  return twin::cli::Run(kTool, [&] {
    const twin::Io io{&std::cin, &std::cout, &std::cerr, isatty(STDERR_FILENO) != 0};
    if (validate->parsed())
      return twin::cli::ExitCodeFor(kTool, twin::ValidateCommand(file, io));
    if (stats->parsed() && stats_file->count() > 0) {
      return twin::cli::ExitCodeFor(kTool, twin::StatsCommand(file, json, io));
    }
    auto store = twin::cli::OpenStore(redis, city_id);
    if (!store.ok()) return twin::cli::ExitCodeFor(kTool, store.status());
    twin::Status status =
        load->parsed()   ? twin::LoadCommand(file, city_id, store->get(), io)
        : save->parsed() ? twin::SaveCommand(store->get(), output, io)
                         : twin::StoreStatsCommand(store->get(), json, io);
    return twin::cli::ExitCodeFor(kTool, status);
  });
}
