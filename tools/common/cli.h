// What every twin tool shares on the command line (cli.md "Common to every
// tool"): parsing with CLI11 and the exit codes of the contract, logging to
// stderr, the stop flag that SIGINT/SIGTERM set, and the exception boundary.
//
// A tool's main() builds its CLI::App, calls Parse(), then Run() with the
// body that calls one library function. Call from the main thread only.
#ifndef TWIN_TOOLS_COMMON_CLI_H_
#define TWIN_TOOLS_COMMON_CLI_H_

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lib/base/status.h"
#include "lib/kafka/kafka_io.h"
#include "lib/store/redis_client.h"
#include "lib/store/state_store.h"
#include "tools/common/version.h"

namespace twin::cli {

// scripts/version at build time (the package carries the same).
inline constexpr std::string_view kVersion = TWIN_VERSION;

// Exit codes of cli.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

struct LogOptions {
  std::string level = "info";
  std::string format = "text";
};

// Creates the app with --version and the logging flags (--log-level, env
// LOG_LEVEL; --log-format).
void AddCommonOptions(CLI::App* app, LogOptions* log);

// -b/--brokers (env KAFKA_BROKERS), --client-id (env KAFKA_CLIENT_ID) and
// -X key=value (repeatable), librdkafka properties passed through.
// -F FILE (env KAFKA_CONFIG_FILE): properties from a kcat-style file, so
// that secrets need not be on the command line; -X wins over the file.
struct KafkaFlags {
  KafkaSettings settings;
  std::vector<std::string> properties;
  std::string config_file;
};
void AddKafkaOptions(CLI::App* app, KafkaFlags* flags);
// The settings with the -X properties parsed in.
Result<KafkaSettings> ResolveKafka(const KafkaFlags& flags);

// --redis URL (env REDIS_URL). Without either, REDIS_HOST, REDIS_PORT and
// REDIS_PASSWORD, each defaulting to redis://127.0.0.1:6379/0.
struct RedisFlags {
  std::string url;
};
void AddRedisOptions(CLI::App* app, RedisFlags* flags);
Result<RedisUrl> ResolveRedisUrl(const RedisFlags& flags);

// --city-id (env CITY_ID, default laquila-dt-001).
void AddCityOption(CLI::App* app, std::string* city_id);

// Connects to Redis and opens the city's store; logs the (masked) URL.
Result<std::unique_ptr<StateStore>> OpenStore(const RedisFlags& flags,
                                              const std::string& city_id);

// The flags of the two services (twin-ingest, twin-publish): logging, Kafka,
// Redis and the city.
struct ServiceFlags {
  LogOptions log;
  KafkaFlags kafka;
  RedisFlags redis;
};
void AddServiceOptions(CLI::App* app, ServiceFlags* flags, std::string* city_id);

// Resolves the Kafka settings and the Redis URL. On a usage error (a bad -X,
// URL or port) prints one line naming the tool and returns false.
bool ResolveServiceFlags(std::string_view tool, const ServiceFlags& flags,
                         KafkaSettings* kafka, RedisUrl* redis);

// Parses argv. Returns nullopt to go on, or the exit code to return now:
// 0 after --help or --version (printed on stdout), 2 after a usage error
// (one line on stderr naming the tool and the problem).
std::optional<int> Parse(CLI::App* app, int argc, char** argv);

// Installs a stderr logger (text or JSON lines) at the chosen level. spdlog's
// default logger writes to stdout, which carries data only.
void SetUpLogging(std::string_view tool, const LogOptions& log);

// Makes SIGINT and SIGTERM set the stop flag instead of killing the process,
// and ignores SIGPIPE (a closed pipe shows up as a write error instead).
void InstallStopHandlers();
const std::atomic<bool>* StopFlag();

// 0 for OK, 130 for Cancelled, 1 otherwise; a failure is logged first (the
// logger's name is the tool's).
int ExitCodeFor(std::string_view tool, const Status& status);

// Runs `body`, turning any escaped exception into a logged error and exit 1.
int Run(std::string_view tool, const std::function<int()>& body);

}  // namespace twin::cli

#endif  // TWIN_TOOLS_COMMON_CLI_H_
