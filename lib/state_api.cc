#include "lib/state_api.h"

#include <atomic>
#include <chrono>
#include <memory>

#include "lib/json_writer.h"

namespace twin {
namespace {

HttpResponse Json200(const std::string& body, uint64_t sequence) {
  return HttpResponse{200, "application/json", body,
                      {{"X-Twin-Sequence", std::to_string(sequence)}}};
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
HttpServer::Handler Part(const Publisher* publisher, std::shared_ptr<std::atomic<int>> in_flight,
                         std::function<HttpResponse(const PublishedDocument&,
                                                    const std::vector<std::string>&)> part) {
  return [publisher, in_flight, part](const std::vector<std::string>& match) {
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
    return part(*last, match);
  };
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
      {"/api/state", Part(publisher, in_flight, [](const PublishedDocument& d, const auto&) {
         return Json200(d.text(), d.sequence);
       })},
      {"/api/state/districts", Part(publisher, in_flight, member("districts"))},
      {"/api/state/publicTransport", Part(publisher, in_flight, member("publicTransport"))},
      {"/api/state/emergencyServices", Part(publisher, in_flight, member("emergencyServices"))},
      {"/api/state/districts/([^/]+)",
       Part(publisher, in_flight, [](const PublishedDocument& d, const std::vector<std::string>& m) {
         for (const Json& district : d.Document().at("districts")) {
           if (district.at("districtId") == m.at(1)) return Json200(ToJsonText(district), d.sequence);
         }
         return Error(404, "no district '" + m.at(1) + "'");
       })},
      {"/healthz", [publisher](const auto&) {
         if (!publisher->Metrics().store_has_city) {
           return Error(503, "the store holds no state for the city: publishing nothing");
         }
         return publisher->Last() ? HttpResponse{200, "application/json", "{\"status\":\"ok\"}", {}}
                                  : Error(503, "nothing published yet");
       }},
      {"/metrics", [publisher](const auto&) {
         return HttpResponse{200, "text/plain; version=0.0.4", publisher->Metrics().ToPrometheus(), {}};
       }},
  };
}

}  // namespace twin
