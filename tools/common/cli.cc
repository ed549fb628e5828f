#include "tools/common/cli.h"

#include <csignal>
#include <iostream>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace twin::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) { g_stop.store(true); }

}  // namespace

void AddCommonOptions(CLI::App* app, LogOptions* log) {
  app->set_version_flag("--version", std::string(kVersion));
  app->add_option("--log-level", log->level, "debug|info|warn|error")
      ->envname("LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app->add_option("--log-format", log->format, "text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
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
