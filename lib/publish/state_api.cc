#include "lib/publish/state_api.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>

#include "lib/http/prometheus.h"
#include "lib/json/json_writer.h"
#include "lib/publish/live_view.h"

namespace twin {
namespace {

HttpResponse Json200(const std::string& body, Sequence sequence) {
  return HttpResponse{200,
                      "application/json",
                      body,
                      {{"X-Twin-Sequence", std::to_string(sequence.value())}}};
}

HttpResponse Error(int status, const std::string& message) {
  std::string body = "{\"error\":";
  AppendJsonString(&body, message);
  body += "}";
  return HttpResponse{status, "application/json", body, {}};
}

// How long a request waits for the publisher to render the last document.
constexpr std::chrono::milliseconds kRenderWait{2000};

// State requests served at once, at most: each may hold a server worker for
// up to kRenderWait, and the others (of HttpServer's 16) stay free for
// /healthz and /metrics. Past it: 503 with Retry-After.
constexpr int kMaxStateRequests = 8;

// Serves a part of the last document, or 503 before the first publish.
HttpServer::Handler Part(
    const Publisher* publisher, std::shared_ptr<std::atomic<int>> in_flight,
    std::function<HttpResponse(const PublishedDocument&, const std::vector<std::string>&)>
        part) {
  return [publisher, in_flight, part](const HttpRequest& request) {
    if (in_flight->fetch_add(1) >= kMaxStateRequests) {
      in_flight->fetch_sub(1);
      HttpResponse busy = Error(503, "too many state requests at once; retry");
      busy.headers["Retry-After"] = "1";
      return busy;
    }
    struct Release {
      std::atomic<int>* n;
      ~Release() { n->fetch_sub(1); }
    } release{in_flight.get()};
    std::shared_ptr<const PublishedDocument> last = publisher->Readable(kRenderWait);
    if (!last) return Error(503, "nothing published yet");
    return part(*last, request.match);
  };
}

// How often an idle event stream sends a comment, so that proxies and the
// client see the connection alive.
constexpr auto kKeepAliveEvery = std::chrono::seconds(15);

// A sequence as a client sends it (Last-Event-ID, ?after=), or nullopt.
std::optional<Sequence> ParseSequence(const std::string& text) {
  uint64_t value = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size())
    return std::nullopt;
  return Sequence(value);
}

// GET /api/stream: Server-Sent Events (lib/change_stream.h). The client's
// sequence is its Last-Event-ID (an EventSource reconnecting) or ?after=.
HttpResponse Stream(const Publisher* publisher, const HttpRequest& request) {
  std::string after = request.last_event_id;
  if (after.empty()) {
    auto it = request.params.find("after");
    if (it != request.params.end()) after = it->second;
  }
  ChangeStream& stream = publisher->Stream();
  std::shared_ptr<ChangeStream::Subscription> subscription =
      stream.Subscribe(ParseSequence(after));
  if (!subscription) {
    HttpResponse busy = Error(503, "too many event streams at once; retry");
    busy.headers["Retry-After"] = "5";
    return busy;
  }
  HttpResponse response{200, "text/event-stream", "", {{"Cache-Control", "no-cache"}}};
  struct Progress {
    bool started = false;
    std::chrono::steady_clock::time_point last_sent = std::chrono::steady_clock::now();
  };
  response.stream = [subscription,
                     progress =
                         std::make_shared<Progress>()]() -> std::optional<std::string> {
    std::optional<std::string> next = subscription->Next(std::chrono::milliseconds(1000));
    if (!next) return std::nullopt;
    const auto now = std::chrono::steady_clock::now();
    if (next->empty()) {
      if (now - progress->last_sent < kKeepAliveEvery) return std::string();
      *next = ": keep-alive\n\n";
    }
    progress->last_sent = now;
    if (!progress->started) {
      progress->started = true;
      return "retry: 1000\n\n" + *next;  // reconnect after a second
    }
    return next;
  };
  response.closed = [&stream, subscription] { stream.Unsubscribe(subscription); };
  return response;
}

}  // namespace

std::map<std::string, HttpServer::Handler> StateApiRoutes(const Publisher* publisher) {
  auto in_flight = std::make_shared<std::atomic<int>>(0);
  auto member = [](const char* name) {
    return [name](const PublishedDocument& d, const std::vector<std::string>&) {
      return Json200(ToJsonText(d.Document().at(name)), d.sequence);
    };
  };
  return {
      {"/api/state", Part(publisher, in_flight,
                          [](const PublishedDocument& d, const auto&) {
                            return Json200(d.text(), d.sequence);
                          })},
      {"/api/state/districts", Part(publisher, in_flight, member("districts"))},
      {"/api/state/publicTransport",
       Part(publisher, in_flight, member("publicTransport"))},
      {"/api/state/emergencyServices",
       Part(publisher, in_flight, member("emergencyServices"))},
      {"/api/state/districts/([^/]+)",
       Part(publisher, in_flight,
            [](const PublishedDocument& d, const std::vector<std::string>& m) {
              for (const Json& district : d.Document().at("districts")) {
                if (district.at("districtId") == m.at(1))
                  return Json200(ToJsonText(district), d.sequence);
              }
              return Error(404, "no district '" + m.at(1) + "'");
            })},
      {"/healthz",
       [publisher](const auto&) {
         if (!publisher->Metrics().store_has_city) {
           return Error(503, "the store holds no state for the city: publishing nothing");
         }
         return publisher->Last()
                    ? HttpResponse{200, "application/json", "{\"status\":\"ok\"}", {}}
                    : Error(503, "nothing published yet");
       }},
      {"/metrics",
       [publisher](const auto&) {
         std::string text = publisher->Metrics().ToPrometheus();
         const ChangeStream& stream = publisher->Stream();
         AppendMetric(&text, "twin_publish_stream_clients", "Clients of /api/stream now.",
                      "gauge", static_cast<double>(stream.clients()));
         AppendMetric(&text, "twin_publish_stream_dropped_total",
                      "/api/stream clients dropped for falling too far behind.",
                      "counter", static_cast<double>(stream.dropped_total()));
         return HttpResponse{200, "text/plain; version=0.0.4", std::move(text), {}};
       }},
      {"/api/stream",
       [publisher](const HttpRequest& request) { return Stream(publisher, request); }},
      {"/",
       [](const auto&) {
         return HttpResponse{200,
                             "text/html; charset=utf-8",
                             std::string(kLiveViewHtml),
                             {{"Cache-Control", "no-cache"}}};
       }},
  };
}

}  // namespace twin
