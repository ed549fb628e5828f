#include "tools/common/cli.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "lib/city/city_state.h"
#include "lib/store/redis_store.h"

namespace twin::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) { g_stop.store(true); }

}  // namespace

void AddCommonOptions(CLI::App* app, LogOptions* log) {
  // Common options may come before or after the subcommand.
  app->fallthrough();
  app->set_version_flag("--version", std::string(kVersion));
  app->add_option("--log-level", log->level, "debug|info|warn|error")
      ->envname("LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app->add_option("--log-format", log->format, "text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

void AddKafkaOptions(CLI::App* app, KafkaFlags* flags) {
  app->add_option("-b,--brokers", flags->settings.brokers, "Kafka bootstrap servers")
      ->envname("KAFKA_BROKERS")
      ->capture_default_str();
  app->add_option("--client-id", flags->settings.client_id, "Kafka client id")
      ->envname("KAFKA_CLIENT_ID")
      ->capture_default_str();
  app->add_option("-X", flags->properties,
                  "librdkafka property key=value (repeatable): security, compression...")
      ->allow_extra_args(false);  // one value per -X, like kcat
  app->add_option(
         "-F", flags->config_file,
         "librdkafka properties from FILE, key=value a line (kcat's -F); -X wins")
      ->envname("KAFKA_CONFIG_FILE");
}

Result<KafkaSettings> ResolveKafka(const KafkaFlags& flags) {
  KafkaSettings settings = flags.settings;
  if (!flags.config_file.empty()) {
    TWIN_ASSIGN_OR_RETURN(settings.properties, ReadKafkaConfigFile(flags.config_file));
  }
  for (const std::string& property : flags.properties) {
    TWIN_ASSIGN_OR_RETURN(auto pair, ParseKafkaProperty(property));
    settings.properties.push_back(std::move(pair));
  }
  return settings;
}

void AddRedisOptions(CLI::App* app, RedisFlags* flags) {
  app->add_option("--redis", flags->url,
                  "redis://[:password@]host[:port][/db] (default: REDIS_HOST, "
                  "REDIS_PORT, REDIS_PASSWORD or redis://127.0.0.1:6379/0)")
      ->envname("REDIS_URL");
}

Result<RedisUrl> ResolveRedisUrl(const RedisFlags& flags) {
  if (!flags.url.empty()) return RedisUrl::Parse(flags.url);
  RedisUrl url;
  if (const char* host = std::getenv("REDIS_HOST"); host != nullptr && *host)
    url.host = host;
  if (const char* port = std::getenv("REDIS_PORT"); port != nullptr && *port) {
    Result<RedisUrl> parsed = RedisUrl::Parse("redis://" + url.host + ":" + port);
    if (!parsed.ok()) return Status::InvalidArgument("REDIS_PORT: not a port number");
    url.port = parsed->port;
  }
  if (const char* password = std::getenv("REDIS_PASSWORD")) url.password = password;
  return url;
}

void AddCityOption(CLI::App* app, std::string* city_id) {
  *city_id = std::string(kDefaultCityId);
  app->add_option("--city-id", *city_id,
                  "the city's namespace in Redis: letters, digits, '.', '_', '-'")
      ->envname("CITY_ID")
      ->capture_default_str()
      ->check([](const std::string& value) {
        Status status = RedisStore::CheckCityId(value);
        return status.ok() ? std::string() : std::string(status.message());
      });
}

Result<std::unique_ptr<StateStore>> OpenStore(const RedisFlags& flags,
                                              const std::string& city_id) {
  TWIN_RETURN_IF_ERROR(RedisStore::CheckCityId(city_id));
  TWIN_ASSIGN_OR_RETURN(RedisUrl url, ResolveRedisUrl(flags));
  spdlog::debug("connecting to {} for city '{}'", url.Display(), city_id);
  TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RedisClient> client, RedisClient::Connect(url));
  return std::unique_ptr<StateStore>(new RedisStore(std::move(client), city_id));
}

void AddServiceOptions(CLI::App* app, ServiceFlags* flags, std::string* city_id) {
  AddCommonOptions(app, &flags->log);
  AddKafkaOptions(app, &flags->kafka);
  AddRedisOptions(app, &flags->redis);
  AddCityOption(app, city_id);
}

bool ResolveServiceFlags(std::string_view tool, const ServiceFlags& flags,
                         KafkaSettings* kafka, RedisUrl* redis) {
  Result<KafkaSettings> settings = ResolveKafka(flags.kafka);
  Result<RedisUrl> url = ResolveRedisUrl(flags.redis);
  for (const Status& s : {settings.status(), url.status()}) {
    if (!s.ok()) {
      std::cerr << tool << ": " << s.message() << '\n';
      return false;
    }
  }
  *kafka = *settings;
  *redis = *url;
  return true;
}

std::optional<int> Parse(CLI::App* app, int argc, char** argv) {
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e, std::cout, std::cerr);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e, std::cout, std::cerr);
  } catch (const CLI::CallForVersion& e) {
    return app->exit(e, std::cout, std::cerr);
  } catch (const CLI::ParseError& e) {
    std::cerr << app->get_name() << ": " << e.what() << " (see --help)\n";
    return kExitUsage;
  }
  return std::nullopt;
}

void SetUpLogging(std::string_view tool, const LogOptions& log) {
  auto logger = spdlog::stderr_logger_mt(std::string(tool));
  if (log.format == "json") {
    // One JSON object a line. The message is not escaped by spdlog, so
    // messages keep to printable text without quotes where this is used.
    logger->set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","tool":"%n","msg":"%v"})",
        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %n %^%l%$: %v",
                        spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(log.level));
  spdlog::set_default_logger(logger);
}

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

const std::atomic<bool>* StopFlag() { return &g_stop; }

int ExitCodeFor(std::string_view /*tool*/, const Status& status) {
  if (status.ok()) return kExitOk;
  if (status.code() == StatusCode::kCancelled) {
    spdlog::warn("{}", status.message());
    return kExitInterrupted;
  }
  spdlog::error("{}", status.message());
  return kExitFailure;
}

int Run(std::string_view /*tool*/, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    spdlog::error("unexpected error: {}", e.what());
    return kExitFailure;
  }
}

}  // namespace twin::cli
