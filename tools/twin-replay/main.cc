// twin-replay: record and replay Kafka traffic; rebuild state from it.
#include <unistd.h>

#include <iostream>

#include "lib/commands/replay_commands.h"
#include "tools/common/cli.h"

namespace {

constexpr std::string_view kTool = "twin-replay";

// Every subcommand's flags, as parsed.
struct Flags {
  twin::cli::LogOptions log;
  twin::cli::KafkaFlags kafka;
  std::string from = "beginning", to = "end", input = "-";
  twin::RebuildCommand rebuild;
  twin::cli::RedisFlags redis;
  bool into_redis = false;
  twin::ProduceOptions produce;
  bool loop = false;
  twin::CaptureOptions capture;
  CLI::App* rebuild_cmd = nullptr;
  CLI::App* produce_cmd = nullptr;
  CLI::App* capture_cmd = nullptr;
  CLI::Option* rebuild_from = nullptr;
};

void AddRebuild(CLI::App* app, Flags* f) {
  CLI::App* cmd = f->rebuild_cmd = app->add_subcommand(
      "rebuild",
      "Rebuild the city state from the nine input topics (no consumer group) or a "
      "recording.");
  cmd->add_option("--input", f->rebuild.input,
                  "read this NDJSON recording ('-' for stdin) instead of Kafka");
  cmd->add_option("--base", f->rebuild.base,
                  "start from this state document (from Kafka: at its timestamp)");
  CLI::Option* output =
      cmd->add_option("-o,--output", f->rebuild.output, "write the state here")
          ->capture_default_str();
  cmd->add_flag("--into-redis", f->into_redis,
                "replace the city's state in Redis with the result (atomically)")
      ->excludes(output);
  twin::cli::AddRedisOptions(cmd, &f->redis);
  twin::cli::AddCityOption(cmd, &f->rebuild.city_id);
  cmd->add_option("--summary-json", f->rebuild.summary_json,
                  "also write the outcome counts here as JSON");
  cmd->add_option("--max-message-bytes", f->rebuild.options.rules.max_message_bytes,
                  "reject larger messages")
      ->capture_default_str();
}

void AddProduce(CLI::App* app, Flags* f) {
  CLI::App* cmd = f->produce_cmd =
      app->add_subcommand("produce", "Send a recording to Kafka.");
  cmd->add_option("FILE", f->input, "NDJSON recording ('-' for stdin)")
      ->capture_default_str();
  cmd->add_option("--rate", f->produce.rate, "messages per second (0: unlimited)")
      ->capture_default_str();
  cmd->add_flag("--loop", f->loop, "send the file again and again until stopped");
}

void AddCapture(CLI::App* app, Flags* f) {
  CLI::App* cmd = f->capture_cmd = app->add_subcommand(
      "capture", "Write topics' messages to stdout as NDJSON (no consumer group).");
  cmd->add_option("--topics", f->capture.topics, "topics to capture")
      ->delimiter(',')
      ->required();
}

// --from and --to, shared by rebuild and capture (after both are added, so
// that --help lists them where it always has).
void AddTimeBounds(Flags* f) {
  f->rebuild_from = f->rebuild_cmd->add_option(
      "--from", f->from,
      "skip messages before TIME (ISO-8601, epoch ms); from Kafka with --base, the "
      "default is the base's timestamp");
  f->capture_cmd
      ->add_option("--from", f->from, "skip messages before TIME (ISO-8601, epoch ms)")
      ->capture_default_str();
  for (CLI::App* cmd : {f->rebuild_cmd, f->capture_cmd}) {
    cmd->add_option("--to", f->to, "skip messages after TIME")->capture_default_str();
  }
}

int RunParsed(Flags& f) {
  auto from_ms = twin::ParseTimeBound(f.from);
  auto to_ms = twin::ParseTimeBound(f.to);
  auto settings = twin::cli::ResolveKafka(f.kafka);
  for (const twin::Status& s : {from_ms.status(), to_ms.status(), settings.status()}) {
    if (!s.ok()) {
      std::cerr << kTool << ": " << s.message() << '\n';
      return twin::cli::kExitUsage;
    }
  }
  const twin::Io io{&std::cin, &std::cout, &std::cerr, isatty(STDERR_FILENO) != 0};
  twin::Status status;
  if (f.rebuild_cmd->parsed()) {
    f.rebuild.options.from_ms = *from_ms;
    f.rebuild.options.to_ms = *to_ms;
    f.rebuild.start_at_base = f.rebuild_from->count() == 0;
    f.rebuild.kafka = *settings;
    std::unique_ptr<twin::StateStore> store;
    if (f.into_redis) {
      auto opened = twin::cli::OpenStore(f.redis, f.rebuild.city_id);
      if (!opened.ok()) return twin::cli::ExitCodeFor(kTool, opened.status());
      store = std::move(opened).value();
    }
    status = twin::RunRebuild(f.rebuild, store.get(), io, twin::cli::StopFlag());
  } else if (f.produce_cmd->parsed()) {
    status = twin::RunProduce(f.input, *settings, f.produce, f.loop, io,
                              twin::cli::StopFlag());
  } else {
    f.capture.from_ms = *from_ms;
    f.capture.to_ms = *to_ms;
    status = twin::RunCapture(*settings, f.capture, io, twin::cli::StopFlag());
  }
  return twin::cli::ExitCodeFor(kTool, status);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Record and replay Kafka traffic; rebuild city state from it.",
               std::string(kTool)};
  Flags flags;
  twin::cli::AddCommonOptions(&app, &flags.log);
  twin::cli::AddKafkaOptions(&app, &flags.kafka);
  app.require_subcommand(1);
  AddRebuild(&app, &flags);
  AddProduce(&app, &flags);
  AddCapture(&app, &flags);
  AddTimeBounds(&flags);
  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, flags.log);
  twin::cli::InstallStopHandlers();
  return twin::cli::Run(kTool, [&] { return RunParsed(flags); });
}
