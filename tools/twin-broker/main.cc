// twin-broker: a Kafka-protocol broker on loopback for tests and the demo
// (librdkafka's mock cluster). Not for production: it keeps about 5 MiB per
// partition and drops older data.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "lib/base/file_io.h"
#include "lib/kafka/mock_broker.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-broker";
  CLI::App app{
      "A Kafka-protocol broker on 127.0.0.1 for tests and the demo (librdkafka's "
      "mock cluster; NOT for production). Prints its bootstrap list and runs "
      "until SIGTERM or SIGINT.",
      std::string(kTool)};
  twin::cli::LogOptions log;
  twin::cli::AddCommonOptions(&app, &log);
  twin::MockBroker::Options options;
  std::string bootstrap_file;
  std::vector<std::string> extra_topics;
  app.add_option("--partitions", options.partitions, "partitions per topic")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--brokers", options.brokers, "brokers in the cluster")
      ->check(CLI::Range(1, 9))
      ->capture_default_str();
  app.add_option("--bootstrap-file", bootstrap_file,
                 "also write the bootstrap list to this file (atomically)");
  app.add_option("--topic", extra_topics, "create this topic too (repeatable)");

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, log);
  twin::cli::InstallStopHandlers();
  return twin::cli::Run(kTool, [&] {
    for (const std::string& topic : extra_topics) {  // a default one is no error
      if (std::find(options.topics.begin(), options.topics.end(), topic) ==
          options.topics.end()) {
        options.topics.push_back(topic);
      }
    }
    auto broker = twin::MockBroker::Start(options);
    if (!broker.ok()) return twin::cli::ExitCodeFor(kTool, broker.status());
    const std::string& bootstraps = (*broker)->bootstraps();
    std::cout << bootstraps << std::endl;
    if (!bootstrap_file.empty()) {
      twin::Status status =
          twin::WriteOutput(bootstrap_file, bootstraps + "\n", std::cout);
      if (!status.ok()) return twin::cli::ExitCodeFor(kTool, status);
    }
    spdlog::info("serving {} topics with {} partitions at {}", options.topics.size(),
                 options.partitions, bootstraps);
    while (!twin::cli::StopFlag()->load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    spdlog::info("stopping");
    spdlog::shutdown();
    // Tearing librdkafka's mock cluster down can take many seconds once
    // clients have connected. A test broker keeps nothing worth flushing
    // (its data lives in memory only), so it ends at once instead.
    std::_Exit(twin::cli::kExitOk);
  });
}
