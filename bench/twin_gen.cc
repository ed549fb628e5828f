// twin-gen: writes a deterministic synthetic city (a state document) or a
// message stream (twin-replay NDJSON) for benchmarks, tests and the demo.
// Not one of the five product tools; a development aid.
#include <iostream>

#include "bench/city_generator.h"
#include "lib/base/file_io.h"
#include "lib/city/state_document.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-gen";
  CLI::App app{"Generate a synthetic city or message stream (deterministic).",
               std::string(kTool)};
  twin::cli::LogOptions log;
  twin::cli::AddCommonOptions(&app, &log);
  app.require_subcommand(1);
  int scale = 1;
  uint64_t seed = 1;
  std::string output = "-";
  uint64_t messages = 100000;
  twin::StreamShape stream;
  for (CLI::App* sub : {app.add_subcommand("city", "a state document"),
                        app.add_subcommand("stream", "NDJSON input messages")}) {
    sub->add_option("--scale", scale, "districts x this (1: the design city)")
        ->capture_default_str();
    sub->add_option("--seed", seed, "PRNG seed")->capture_default_str();
    sub->add_option("-o,--output", output, "output file")->capture_default_str();
  }
  CLI::App* stream_cmd = app.get_subcommand("stream");
  stream_cmd->add_option("--messages", messages, "how many")->capture_default_str();
  stream_cmd->add_option("--bad-share", stream.bad_share, "share of invalid messages")
      ->capture_default_str();
  stream_cmd->add_option("--partitions", stream.partitions, "partition count for keys")
      ->capture_default_str();
  stream_cmd->add_option("--step-us", stream.step_us, "microseconds between messages")
      ->capture_default_str();

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, log);
  twin::cli::InstallStopHandlers();
  return twin::cli::Run(kTool, [&] {
    const twin::CityShape shape = twin::CityShape().Scaled(scale);
    if (app.got_subcommand("city")) {
      const std::string doc = twin::SerializeCityState(twin::GenerateCity(shape, seed));
      return twin::cli::ExitCodeFor(kTool,
                                    twin::WriteOutput(output, doc + "\n", std::cout));
    }
    std::string text;
    twin::StreamGenerator generator(shape, stream, seed);
    for (uint64_t i = 0; i < messages; ++i) {
      text += twin::FormatRecord(generator.Next());
      text += '\n';
    }
    return twin::cli::ExitCodeFor(kTool, twin::WriteOutput(output, text, std::cout));
  });
}
