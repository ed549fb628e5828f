#include "lib/publish/publisher.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "lib/base/timestamp.h"
#include "lib/city/state_document.h"
#include "lib/http/http_server.h"
#include "lib/http/prometheus.h"
#include "lib/json/json_diff.h"
#include "lib/publish/change_event.h"
#include "lib/publish/document_sink.h"
#include "lib/publish/envelope.h"
#include "lib/publish/mirror.h"
#include "lib/publish/sequencer.h"
#include "lib/publish/state_delta.h"

namespace twin {

std::string PublishMetrics::ToPrometheus() const {
  std::string out;
  auto metric = [&out](const char* name, const char* help, const char* type, double v) {
    AppendMetric(&out, name, help, type, v);
  };
  metric("twin_publish_full_total", "state.full messages acknowledged.", "counter", full);
  metric("twin_publish_store_has_city",
         "0 while the store holds no state for the city: nothing is published.", "gauge",
         store_has_city);
  metric("twin_publish_incremental_total", "state.incremental messages acknowledged.",
         "counter", incremental);
  metric("twin_publish_failures_total", "Publishes the broker refused or lost.",
         "counter", failures);
  metric("twin_publish_reloads_total", "Whole-state reads after the change feed said so.",
         "counter", reloads);
  metric("twin_publish_unreadable_entities_total",
         "Changed entities skipped because their stored value is not JSON.", "counter",
         unreadable);
  metric("twin_publish_prepared_deltas_total",
         "Entity deltas made between ticks, as the changes came.", "counter", prepared);
  metric("twin_publish_sequence", "Sequence of the last published document.", "gauge",
         static_cast<double>(sequence));
  metric("twin_publish_last_full_bytes", "Size of the last state.full.", "gauge",
         static_cast<double>(last_full_bytes));
  metric("twin_publish_last_delta_bytes", "Size of the last state.incremental.", "gauge",
         static_cast<double>(last_delta_bytes));
  metric("twin_publish_last_seconds", "Time of the last publish, to the broker's ack.",
         "gauge", last_publish_ms / 1000);
  tick_seconds.AppendTo(&out, "twin_publish_tick_seconds",
                        "Each acknowledged publish, from the start of its tick (the feed "
                        "read) to the broker's ack.");
  ack_seconds.AppendTo(&out, "twin_publish_ack_seconds",
                       "Each acknowledged publish, from the send to the broker's ack.");
  return out;
}

class PublishRun {
 public:
  // Publishes what `store` holds as `options` say, into `published` and
  // `stream`, until `stop`. All of them outlive the run.
  PublishRun(const PublishOptions& options, StateStore* store, const PublishEnv& env,
             PublishedState* published, ChangeStream* stream,
             const std::atomic<bool>* stop)
      : options_(options),
        store_(store),
        env_(env),
        clock_(env.clock),
        published_(published),
        stream_(stream),
        stop_(stop),
        mirror_(store) {}

  Status Run();

 private:
  bool Stopping() const { return stop_ != nullptr && stop_->load(); }
  Status Connect();
  // Reads the whole state into the mirror. False when the store has no city
  // (said once an episode) or cannot be read.
  bool Reload();
  // Brings the mirror up to date: through the change feed, or whole when
  // the feed says so. `between_ticks`: a failure is logged at debug level
  // only, since the next tick tries again and says so.
  bool FollowFeed(bool between_ticks = false);
  // Follows the feed and diffs the entities it changed (Mirror::PrepareChanges).
  void FollowBetweenTicks();
  // Stamps the mirror with the time now.
  void StampNow();
  // Sends one document (DocumentSink) and times its acknowledgement.
  using SendResult = Sequencer::Outcome;
  SendResult Send(const std::string& topic, std::string_view value,
                  const Headers& headers);
  // After a failed publish of document `sequence`: logs and counts it (the
  // sequencer has the outcome already).
  void Failed(SendResult result, Sequence sequence);
  bool PublishFull(Clock::time_point start);
  // `start`: the tick's start; `feed_done`: when its FollowFeed returned.
  bool PublishIncremental(Clock::time_point start, Clock::time_point feed_done);
  void Published(std::shared_ptr<PublishedDocument> document, bool full, size_t bytes,
                 double ms);
  // Whether the last document can be rendered from the mirror: the mirror
  // was not read whole again since (the change log leads back to it).
  bool CanRender() const { return last_ && !last_->has_text() && !mirror_.reloaded(); }
  // Renders the last document's text if an HTTP request asked for it.
  void RenderIfWanted();
  // Renders the last document's text from the mirror put back to it by the
  // change log, and hands it to waiting requests. Requires CanRender().
  void RenderLast();

  const PublishOptions& options_;
  StateStore* store_;
  const PublishEnv& env_;
  Clock* clock_;
  PublishedState* published_;
  ChangeStream* stream_;
  const std::atomic<bool>* stop_;
  std::unique_ptr<DocumentSink> sink_;
  Mirror mirror_;  // the store's state; its change log leads back to last_
  std::shared_ptr<PublishedDocument> last_;
  Sequencer sequencer_;  // sequence numbers, and when a state.full is owed
};

Status PublishRun::Connect() {
  TWIN_ASSIGN_OR_RETURN(sink_, DocumentSink::Create(env_.make_producer, options_.kafka,
                                                    options_.city_id, clock_));
  spdlog::info("producing with compression.type={}", sink_->codec());
  sink_->LearnTopics({options_.full_topic, options_.incremental_topic});
  return Status::Ok();
}

bool PublishRun::Reload() {
  Result<StoredState> stored = store_->Read();
  if (stored.status().code() == StatusCode::kNotFound) {
    // state-rules.md §3: never publish a city the store has lost (an empty
    // state.full would wipe every consumer's state). Said once an episode.
    published_->UpdateMetrics([&](PublishMetrics& m) {
      if (m.store_has_city) {
        spdlog::warn(
            "the store holds no state for city '{}' (Redis restarted empty, or no city "
            "loaded yet): publishing nothing until it is back",
            options_.city_id);
      }
      m.store_has_city = false;
    });
    return false;
  }
  if (!stored.ok()) {
    spdlog::warn("cannot read the state: {}", stored.status().message());
    return false;
  }
  published_->UpdateMetrics([](PublishMetrics& m) {
    if (!m.store_has_city) spdlog::info("the city is back in the store");
    m.store_has_city = true;
  });
  // The next delta diffs whole documents, so the last one needs its text:
  // rendered now, while the mirror still leads back to it, or else (a
  // second reload before a publish) a state.full.
  if (last_ && !last_->has_text()) {
    if (CanRender()) {
      RenderLast();
    } else {
      sequencer_.OweFull();
    }
  }
  mirror_.Replace(std::move(stored).value());
  published_->UpdateMetrics([](PublishMetrics& m) { ++m.reloads; });
  return true;
}

bool PublishRun::FollowFeed(bool between_ticks) {
  const Mirror::FollowResult followed = mirror_.Follow();
  if (followed.unreadable > 0) {
    published_->UpdateMetrics(
        [&](PublishMetrics& m) { m.unreadable += followed.unreadable; });
  }
  switch (followed.outcome) {
    case Mirror::Followed::kCurrent:
      return true;
    case Mirror::Followed::kReloadNeeded: {
      // While the store holds no city every look finds the feed gone: that
      // is said once, by Reload's warning.
      const bool has_city = published_->Metrics().store_has_city;
      spdlog::log(has_city ? spdlog::level::info : spdlog::level::debug,
                  "{}: reading the whole state", followed.why);
      return Reload();
    }
    case Mirror::Followed::kFailed:
      spdlog::log(between_ticks ? spdlog::level::debug : spdlog::level::warn,
                  "cannot follow the change feed: {}", followed.why);
      return false;
  }
  return false;
}

void PublishRun::FollowBetweenTicks() {
  const auto start = clock_->Now();
  const FeedCursor cursor = mirror_.cursor();
  if (!FollowFeed(/*between_ticks=*/true) || mirror_.cursor() == cursor) return;
  const auto read = clock_->Now();
  const size_t diffed = mirror_.PrepareChanges();
  published_->UpdateMetrics([&](PublishMetrics& m) { m.prepared += diffed; });
  using Ms = std::chrono::duration<double, std::milli>;
  spdlog::debug("between ticks: feed {:.1f} ms, {} entity deltas {:.1f} ms",
                Ms(read - start).count(), diffed, Ms(clock_->Now() - read).count());
}

void PublishRun::StampNow() {
  mirror_.Stamp(std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now()));
}

PublishRun::SendResult PublishRun::Send(const std::string& topic, std::string_view value,
                                        const Headers& headers) {
  const SendReport report = sink_->Send(topic, value, headers);
  if (report.outcome == SendResult::kAcknowledged) {
    const double seconds = std::chrono::duration<double>(report.ack_wait).count();
    published_->UpdateMetrics([&](PublishMetrics& m) { m.ack_seconds.Observe(seconds); });
  }
  return report.outcome;
}

void PublishRun::Failed(SendResult result, Sequence sequence) {
  if (result == SendResult::kInDoubt) {
    // Reusing the sequence could leave two different documents k in Kafka;
    // skipping it shows consumers a gap, which a state.full closes at once.
    spdlog::warn(
        "sequence {} may have reached the broker: it is not reused, and the next "
        "document is a state.full",
        sequence.value());
  }
  published_->UpdateMetrics([](PublishMetrics& m) { ++m.failures; });
}

void PublishRun::Published(std::shared_ptr<PublishedDocument> document, bool full,
                           size_t bytes, double ms) {
  last_ = document;
  published_->Published(document, [&](PublishMetrics& m) {
    (full ? m.full : m.incremental) += 1;
    (full ? m.last_full_bytes : m.last_delta_bytes) = bytes;
    m.sequence = document->sequence.value();
    m.last_publish_ms = ms;
    m.tick_seconds.Observe(ms / 1000);
  });
}

bool PublishRun::PublishFull(Clock::time_point start) {
  StampNow();
  auto document = std::make_shared<PublishedDocument>(sequencer_.sequence(),
                                                      mirror_.state().timestamp);
  document->SetText(SerializeCityState(mirror_.state()));
  const SendResult sent =
      Send(options_.full_topic, document->text(), FullStateHeaders(document->sequence));
  sequencer_.Sent(Sequencer::Kind::kFull, sent);
  if (sent != SendResult::kAcknowledged) {
    Failed(sent, document->sequence);
    return false;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(clock_->Now() - start).count();
  spdlog::info("Published full state, sequence {}, {} bytes, {:.0f} ms",
               document->sequence.value(), document->text().size(), ms);
  Published(document, true, document->text().size(), ms);
  stream_->Publish(document->sequence, "full",
                   RereadEventData(document->sequence, document->timestamp));
  mirror_.InStep();
  return true;
}

bool PublishRun::PublishIncremental(Clock::time_point start,
                                    Clock::time_point feed_done) {
  if (sequencer_.Next(Sequencer::Kind::kIncremental) == Sequencer::Kind::kFull) {
    return PublishFull(start);
  }
  if (!mirror_.changed()) return true;  // nothing changed, nothing sent
  StampNow();
  auto document = std::make_shared<PublishedDocument>(sequencer_.sequence(),
                                                      mirror_.state().timestamp);
  std::optional<std::string> delta;  // its text
  if (mirror_.reloaded()) {
    document->SetText(SerializeCityState(mirror_.state()));
    const std::optional<Json> whole =
        Diff(last_->Document(), Json::parse(document->text()));
    // Only the timestamp moved: no entity changed.
    if (whole && !(whole->size() == 1 && whole->contains("timestamp"))) {
      delta = DeltaToText(*whole);
    }
  } else {
    delta = mirror_.ComposeDelta(last_->timestamp, document->timestamp);
  }
  const auto composed = clock_->Now();
  if (!delta) {  // changed and changed back: S(k-1) is the current state
    mirror_.InStep();
    return true;
  }
  const std::string value =
      IncrementalStateValue(options_.city_id, *delta, document->timestamp);
  const SendResult sent = Send(
      options_.incremental_topic, value,
      IncrementalStateHeaders(document->sequence, last_->sequence, last_->timestamp));
  sequencer_.Sent(Sequencer::Kind::kIncremental, sent);
  if (sent != SendResult::kAcknowledged) {
    Failed(sent, document->sequence);
    return false;  // the log still holds S(k-1)'s values: the next delta starts there
  }
  const auto acked = clock_->Now();
  const double ms = std::chrono::duration<double, std::milli>(acked - start).count();
  using Ms = std::chrono::duration<double, std::milli>;
  spdlog::debug(
      "incremental tick: feed {:.1f} ms, delta {:.1f} ms, send to ack {:.1f} ms",
      Ms(feed_done - start).count(), Ms(composed - feed_done).count(),
      Ms(acked - composed).count());
  const size_t changed = mirror_.changes().size();
  // Built only for listeners: with none, a client that connects meanwhile
  // is told to re-read instead.
  std::string event =
      mirror_.reloaded() || !stream_->has_clients()
          ? RereadEventData(document->sequence, document->timestamp)
          : IncrementalEventData(mirror_.state(), mirror_.changes(), document->sequence,
                                 last_->sequence, document->timestamp);
  mirror_.InStep();
  const size_t full_bytes = published_->Metrics().last_full_bytes;
  spdlog::info(
      "Published incremental state, sequence {}, {} changed entities, delta {} bytes "
      "({:.1f}% of the last full state), {:.1f} ms",
      document->sequence.value(), changed, value.size(),
      full_bytes == 0 ? 0.0 : 100.0 * value.size() / full_bytes, ms);
  Published(document, false, value.size(), ms);
  stream_->Publish(document->sequence, "incremental", event);
  return true;
}

void PublishRun::RenderLast() {
  last_->SetText(mirror_.PublishedText(last_->micros));
  published_->TextReady(last_);
}

void PublishRun::RenderIfWanted() {
  if (published_->RenderWanted() && CanRender()) RenderLast();
}

Status PublishRun::Run() {
  TWIN_RETURN_IF_ERROR(Connect());
  for (int attempt = 0; !Reload(); ++attempt) {
    if (Stopping()) return Status::Ok();
    if (options_.once) {
      return published_->Metrics().store_has_city
                 ? Status::Unavailable("cannot read the state of city '" +
                                       options_.city_id + "'")
                 : Status::NotFound("the store holds no state for city '" +
                                    options_.city_id + "': nothing to publish");
    }
    clock_->SleepFor(
        std::chrono::milliseconds(std::min(5000, 200 << std::min(attempt, 5))));
  }
  // The first document is a state.full, at start. --once tries once (a
  // bounded wait for the acknowledgement) and reports; the service retries.
  if (options_.once) {
    sink_->set_ack_timeout(std::chrono::seconds(30));
    if (PublishFull(clock_->Now())) return Status::Ok();
    return Status::Unavailable("the state.full was not acknowledged by " +
                               options_.kafka.brokers);
  }
  while (!PublishFull(clock_->Now())) {
    if (Stopping()) return Status::Unavailable("could not publish the first state.full");
    clock_->SleepFor(std::chrono::seconds(1));
  }
  auto next_full = clock_->Now() + std::chrono::milliseconds(options_.full_interval_ms);
  auto next_incremental =
      clock_->Now() + std::chrono::milliseconds(options_.incremental_interval_ms);
  // Between ticks the mirror follows the feed, and the changed entities are
  // diffed, so that a tick reads and diffs only what changed since the last
  // look, and assembles the delta.
  const std::chrono::milliseconds follow_every{options_.follow_interval_ms};
  auto next_follow = clock_->Now() + follow_every;
  while (!Stopping()) {
    clock_->SleepFor(std::chrono::milliseconds(20));
    sink_->Poll();
    const auto now = clock_->Now();
    if (now >= next_full) {
      next_full = now + std::chrono::milliseconds(options_.full_interval_ms);
      next_incremental =
          now + std::chrono::milliseconds(options_.incremental_interval_ms);
      if (FollowFeed()) PublishFull(now);
    } else if (now >= next_incremental) {
      next_incremental =
          now + std::chrono::milliseconds(options_.incremental_interval_ms);
      if (FollowFeed()) PublishIncremental(now, clock_->Now());
    } else if (follow_every.count() > 0 && now >= next_follow) {
      next_follow = now + follow_every;
      FollowBetweenTicks();
    }
    RenderIfWanted();
  }
  // A final state.full on a clean stop, waiting less: a stop must not hang
  // on a broker that is gone.
  sink_->set_ack_timeout(std::chrono::seconds(10));
  if (FollowFeed() && PublishFull(clock_->Now())) return Status::Ok();
  return Status::Unavailable("the final state.full could not be published");
}

Status Publisher::Run(const std::atomic<bool>* stop) {
  PublishRun run(options_, store_, env_, &published_, &stream_, stop);
  Status status = run.Run();
  stream_.Close();  // every /api/stream response ends
  return status;
}

}  // namespace twin
