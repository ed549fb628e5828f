// twin-publish: publish the city state as state.full and state.incremental;
// serve the last published state over HTTP.
#include <spdlog/spdlog.h>

#include <iostream>

#include "lib/publish/publisher.h"
#include "lib/publish/state_api.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-publish";
  CLI::App app{"Publish the city state to state.full and state.incremental.",
               std::string(kTool)};
  twin::cli::ServiceFlags flags;
  twin::PublishOptions options;
  std::string http = "127.0.0.1:8080";
  twin::cli::AddServiceOptions(&app, &flags, &options.city_id);
  app.add_option("--full-interval-ms", options.full_interval_ms, "state.full this often")
      ->envname("FULL_STATE_PUBLISH_INTERVAL_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--incremental-interval-ms", options.incremental_interval_ms,
                 "state.incremental this often")
      ->envname("INCREMENTAL_STATE_PUBLISH_INTERVAL_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--follow-interval-ms", options.follow_interval_ms,
                 "between ticks, read the change feed and diff what changed this often "
                 "(0: only at ticks)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--full-topic", options.full_topic, "topic of full states")
      ->capture_default_str();
  app.add_option("--incremental-topic", options.incremental_topic, "topic of deltas")
      ->capture_default_str();
  app.add_option("--http", http, "serve the HTTP API here (host:port)")
      ->envname("HTTP_ADDR")
      ->capture_default_str();
  app.add_option("--stream-queue-bytes", options.stream.max_queued_bytes,
                 "drop an /api/stream client that falls this many bytes of events behind")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--once", options.once, "publish one state.full and exit");

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, flags.log);
  twin::cli::InstallStopHandlers();
  return twin::cli::Run(kTool, [&]() -> int {
    twin::RedisUrl url;
    if (!twin::cli::ResolveServiceFlags(kTool, flags, &options.kafka, &url)) {
      return twin::cli::kExitUsage;
    }
    spdlog::info(
        "starting: brokers={} redis={} city={} full={}ms incremental={}ms "
        "follow={}ms http={}",
        options.kafka.brokers, url.Display(), options.city_id, options.full_interval_ms,
        options.incremental_interval_ms, options.follow_interval_ms, http);
    auto store = twin::cli::OpenStore(flags.redis, options.city_id);
    if (!store.ok()) return twin::cli::ExitCodeFor(kTool, store.status());
    twin::Publisher publisher(options, store->get());
    std::unique_ptr<twin::HttpServer> server;
    if (!options.once) {
      auto started = twin::HttpServer::Start(http, twin::StateApiRoutes(&publisher));
      if (!started.ok()) return twin::cli::ExitCodeFor(kTool, started.status());
      server = std::move(started).value();
      spdlog::info("HTTP API on port {}", server->port());
    }
    return twin::cli::ExitCodeFor(kTool, publisher.Run(twin::cli::StopFlag()));
  });
}
