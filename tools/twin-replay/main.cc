// twin-replay: record and replay Kafka traffic; rebuild state from it.
#include <unistd.h>

#include <iostream>

#include "lib/commands/replay_commands.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-replay";
  CLI::App app{"Record and replay Kafka traffic; rebuild city state from it.",
               std::string(kTool)};
  twin::cli::LogOptions log;
  twin::cli::KafkaFlags kafka;
  twin::cli::AddCommonOptions(&app, &log);
  twin::cli::AddKafkaOptions(&app, &kafka);
  app.require_subcommand(1);

  std::string from = "beginning", to = "end", input = "-";
  twin::RebuildCommand rebuild;
  twin::cli::RedisFlags redis;
  bool into_redis = false;
  CLI::App* rebuild_cmd = app.add_subcommand(
      "rebuild",
      "Rebuild the city state from the nine input topics (no consumer group) or a "
      "recording.");
  rebuild_cmd->add_option("--input", rebuild.input,
                          "read this NDJSON recording ('-' for stdin) instead of Kafka");
  rebuild_cmd->add_option(
      "--base", rebuild.base,
      "start from this state document (from Kafka: at its timestamp)");
  CLI::Option* output =
      rebuild_cmd->add_option("-o,--output", rebuild.output, "write the state here")
          ->capture_default_str();
  rebuild_cmd
      ->add_flag("--into-redis", into_redis,
                 "replace the city's state in Redis with the result (atomically)")
      ->excludes(output);
  twin::cli::AddRedisOptions(rebuild_cmd, &redis);
  twin::cli::AddCityOption(rebuild_cmd, &rebuild.city_id);
  rebuild_cmd->add_option("--summary-json", rebuild.summary_json,
                          "also write the outcome counts here as JSON");
  rebuild_cmd
      ->add_option("--max-message-bytes", rebuild.options.rules.max_message_bytes,
                   "reject larger messages")
      ->capture_default_str();

  twin::ProduceOptions produce;
  bool loop = false;
  CLI::App* produce_cmd = app.add_subcommand("produce", "Send a recording to Kafka.");
  produce_cmd->add_option("FILE", input, "NDJSON recording ('-' for stdin)")
      ->capture_default_str();
  produce_cmd->add_option("--rate", produce.rate, "messages per second (0: unlimited)")
      ->capture_default_str();
  produce_cmd->add_flag("--loop", loop, "send the file again and again until stopped");

  twin::CaptureOptions capture;
  CLI::App* capture_cmd = app.add_subcommand(
      "capture", "Write topics' messages to stdout as NDJSON (no consumer group).");
  capture_cmd->add_option("--topics", capture.topics, "topics to capture")
      ->delimiter(',')
      ->required();
  CLI::Option* rebuild_from = rebuild_cmd->add_option(
      "--from", from,
      "skip messages before TIME (ISO-8601, epoch ms); from Kafka with --base, the "
      "default is the base's timestamp");
  capture_cmd
      ->add_option("--from", from, "skip messages before TIME (ISO-8601, epoch ms)")
      ->capture_default_str();
  for (CLI::App* cmd : {rebuild_cmd, capture_cmd}) {
    cmd->add_option("--to", to, "skip messages after TIME")->capture_default_str();
  }

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, log);
  twin::cli::InstallStopHandlers();
  return twin::cli::Run(kTool, [&] {
    auto from_ms = twin::ParseTimeBound(from);
    auto to_ms = twin::ParseTimeBound(to);
    auto settings = twin::cli::ResolveKafka(kafka);
    for (const twin::Status& s : {from_ms.status(), to_ms.status(), settings.status()}) {
      if (!s.ok()) {
        std::cerr << kTool << ": " << s.message() << '\n';
        return twin::cli::kExitUsage;
      }
    }
    const twin::Io io{&std::cin, &std::cout, &std::cerr, isatty(STDERR_FILENO) != 0};
    twin::Status status;
    if (rebuild_cmd->parsed()) {
      rebuild.options.from_ms = *from_ms;
      rebuild.options.to_ms = *to_ms;
      rebuild.start_at_base = rebuild_from->count() == 0;
      rebuild.kafka = *settings;
      std::unique_ptr<twin::StateStore> store;
      if (into_redis) {
        auto opened = twin::cli::OpenStore(redis, rebuild.city_id);
        if (!opened.ok()) return twin::cli::ExitCodeFor(kTool, opened.status());
        store = std::move(opened).value();
      }
      status = twin::RunRebuild(rebuild, store.get(), io, twin::cli::StopFlag());
    } else if (produce_cmd->parsed()) {
      status =
          twin::RunProduce(input, *settings, produce, loop, io, twin::cli::StopFlag());
    } else {
      capture.from_ms = *from_ms;
      capture.to_ms = *to_ms;
      status = twin::RunCapture(*settings, capture, io, twin::cli::StopFlag());
    }
    return twin::cli::ExitCodeFor(kTool, status);
  });
}
