// twin-ingest: consume the nine input topics, apply the update rules, flush
// changed entities to Redis, commit offsets (at least once).
#include <spdlog/spdlog.h>

#include <iostream>

#include "lib/http/http_server.h"
#include "lib/ingest/ingest.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-ingest";
  CLI::App app{"Consume the nine input topics into the city state in Redis.",
               std::string(kTool)};
  twin::cli::ServiceFlags flags;
  twin::IngestOptions options;
  std::string metrics = "127.0.0.1:9464";
  twin::cli::AddServiceOptions(&app, &flags, &options.city_id);
  app.add_option("--group-id", options.group_id, "Kafka consumer group")
      ->envname("KAFKA_GROUP_ID")
      ->capture_default_str();
  app.add_option("--batch-size", options.batch_size, "messages per batch")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--flush-interval-ms", options.flush_interval_ms,
                 "flush to Redis this often")
      ->envname("FLUSH_INTERVAL_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--dead-letter-topic", options.dead_letter_topic,
                 "where rejected messages go (empty: nowhere)")
      ->capture_default_str();
  app.add_option("--max-message-bytes", options.rules.max_message_bytes,
                 "reject larger messages")
      ->capture_default_str();
  app.add_flag("--exit-at-end", options.exit_at_end,
               "stop once every assigned partition is read to its end");
  app.add_flag("--accept-empty-store", options.accept_empty_store,
               "start although Redis holds no city and the group has commits (its state "
               "is lost: build from the commits on)");
  app.add_option("--metrics", metrics, "serve /metrics and /healthz here (host:port)")
      ->capture_default_str();

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, flags.log);
  twin::cli::InstallStopHandlers();
  return twin::cli::Run(kTool, [&]() -> int {
    twin::RedisUrl url;
    if (!twin::cli::ResolveServiceFlags(kTool, flags, &options.kafka, &url)) {
      return twin::cli::kExitUsage;
    }
    spdlog::info(
        "starting: brokers={} group={} redis={} city={} batch={} flush={}ms "
        "dead-letters={} metrics={}",
        options.kafka.brokers, options.group_id, url.Display(), options.city_id,
        options.batch_size, options.flush_interval_ms,
        options.dead_letter_topic.empty() ? "off" : options.dead_letter_topic, metrics);
    if (twin::Status checked = twin::Ingestor::CheckOptions(options); !checked.ok()) {
      std::cerr << kTool << ": " << checked.message() << "\n";
      return twin::cli::kExitUsage;
    }
    auto store = twin::cli::OpenStore(flags.redis, options.city_id);
    if (!store.ok()) return twin::cli::ExitCodeFor(kTool, store.status());
    twin::Ingestor ingestor(options, store->get());
    auto server = twin::HttpServer::Start(
        metrics,
        {{"/metrics",
          [&](const auto&) {
            return twin::HttpResponse{
                200, "text/plain; version=0.0.4", ingestor.Metrics().ToPrometheus(), {}};
          }},
         {"/healthz", [&](const auto&) {
            const twin::IngestMetrics::Health health = ingestor.Metrics().ToHealth();
            return twin::HttpResponse{health.code, "application/json", health.body, {}};
          }}});
    if (!server.ok()) return twin::cli::ExitCodeFor(kTool, server.status());
    spdlog::info("metrics on port {}", (*server)->port());
    return twin::cli::ExitCodeFor(kTool, ingestor.Run(twin::cli::StopFlag()));
  });
}
