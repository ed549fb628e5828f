// twin-replay: record and replay Kafka traffic; rebuild state from it.
#include <unistd.h>

#include <iostream>

#include "lib/commands.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-replay";
  CLI::App app{"Record and replay Kafka traffic; rebuild city state from it.",
               std::string(kTool)};
  twin::cli::LogOptions log;
  twin::cli::AddCommonOptions(&app, &log);
  app.require_subcommand(1);

  twin::RebuildFileCommand rebuild;
  std::string from = "beginning", to = "end";
  CLI::App* rebuild_cmd = app.add_subcommand(
      "rebuild", "Rebuild the city state from recorded input messages.");
  rebuild_cmd->add_option("--input", rebuild.input, "NDJSON recording ('-' for stdin)")
      ->required();
  rebuild_cmd->add_option("--base", rebuild.base, "start from this state document");
  rebuild_cmd->add_option("-o,--output", rebuild.output, "write the state here")
      ->capture_default_str();
  rebuild_cmd->add_option("--summary-json", rebuild.summary_json,
                          "also write the outcome counts here as JSON");
  rebuild_cmd->add_option("--from", from, "skip messages before TIME")
      ->capture_default_str();
  rebuild_cmd->add_option("--to", to, "skip messages after TIME")->capture_default_str();
  rebuild_cmd->add_option("--max-message-bytes", rebuild.options.rules.max_message_bytes,
                          "reject larger messages")
      ->capture_default_str();

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, log);
  twin::cli::InstallStopHandlers();
  return twin::cli::Run(kTool, [&] {
    auto from_ms = twin::ParseTimeBound(from);
    auto to_ms = twin::ParseTimeBound(to);
    for (const auto* bound : {&from_ms, &to_ms}) {
      if (!bound->ok()) {
        std::cerr << kTool << ": " << bound->status().message() << '\n';
        return twin::cli::kExitUsage;
      }
    }
    rebuild.options.from_ms = *from_ms;
    rebuild.options.to_ms = *to_ms;
    const twin::Io io{&std::cin, &std::cout, &std::cerr, isatty(STDERR_FILENO) != 0};
    return twin::cli::ExitCodeFor(
        kTool, twin::RunRebuildFromFile(rebuild, io, twin::cli::StopFlag()));
  });
}
