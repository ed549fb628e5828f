#include "lib/ingest/ingest_metrics.h"

#include <nlohmann/json.hpp>

namespace twin {

std::string IngestMetrics::ToPrometheus() const {
  std::string out =
      "# HELP twin_ingest_messages_total Input messages by topic and outcome.\n"
      "# TYPE twin_ingest_messages_total counter\n";
  for (const auto& [key, count] : messages) {
    out += "twin_ingest_messages_total{topic=\"" + key.first + "\",outcome=\"" +
           key.second + "\"} " + PrometheusNumber(static_cast<double>(count)) + "\n";
  }
  auto gauge = [&out](const char* name, const char* help, const char* type, double v) {
    AppendMetric(&out, name, help, type, v);
  };
  gauge("twin_ingest_flushes_total", "Flushes written to the store.", "counter", flushes);
  gauge("twin_ingest_flush_failures_total", "Flushes the store refused.", "counter",
        flush_failures);
  gauge("twin_ingest_commits_total", "Offset commits.", "counter", commits);
  gauge("twin_ingest_pending_entities", "Changed entities not yet flushed.", "gauge",
        pending_entities);
  gauge("twin_ingest_last_flush_seconds", "Duration of the last flush.", "gauge",
        last_flush_ms / 1000);
  gauge("twin_ingest_last_batch_seconds", "Duration of the last batch.", "gauge",
        last_batch_ms / 1000);
  flush_seconds.AppendTo(&out, "twin_ingest_flush_seconds",
                         "Duration of each flush the store accepted.");
  batch_seconds.AppendTo(&out, "twin_ingest_batch_seconds",
                         "Duration of each batch of consumed messages, rules applied.");
  gauge("twin_ingest_consumer_lag", "Messages behind the end of the assigned partitions.",
        "gauge", static_cast<double>(lag));
  gauge("twin_ingest_store_up", "1 if the last flush reached the store.", "gauge",
        store_ok);
  gauge("twin_ingest_fenced_flushes_total",
        "Flushes the store refused because another member holds a partition.", "counter",
        static_cast<double>(fenced_flushes));
  gauge("twin_ingest_reacquires_total",
        "Times the state was read again because it was replaced (a load).", "counter",
        static_cast<double>(reacquires));
  gauge("twin_ingest_store_rewrites_total",
        "Times the whole city was written from memory after the store lost it.",
        "counter", static_cast<double>(store_rewrites));
  gauge("twin_ingest_dead_letters_failed_total",
        "Dead letters that could not be delivered for a reason retrying does not cure.",
        "counter", static_cast<double>(dead_letters.failed));
  gauge("twin_ingest_dead_letters_dropped_total",
        "Dead letters dropped because too many were waiting for the broker.", "counter",
        static_cast<double>(dead_letters.dropped));
  gauge("twin_ingest_pending_dead_letters", "Dead letters sent, not yet acknowledged.",
        "gauge", static_cast<double>(dead_letters.waiting));
  return out;
}

IngestMetrics::Health IngestMetrics::ToHealth() const {
  if (!store_ok) return {503, R"({"status":"store unavailable"})"};
  if (dead_letters.failed + dead_letters.dropped > 0) {
    nlohmann::json body = {{"status", "degraded"},
                           {"deadLettersFailed", dead_letters.failed},
                           {"deadLettersDropped", dead_letters.dropped},
                           {"lastDeadLetterError", dead_letters.last_error}};
    return {200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  }
  return {200, R"({"status":"ok"})"};
}

}  // namespace twin
