#include "lib/state_api.h"

#include <chrono>

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

// Serves a part of the last document, or 503 before the first publish.
HttpServer::Handler Part(const Publisher* publisher,
                         std::function<HttpResponse(const PublishedDocument&,
                                                    const std::vector<std::string>&)> part) {
  return [publisher, part](const std::vector<std::string>& match) {
    std::shared_ptr<const PublishedDocument> last = publisher->Readable(kRenderWait);
    if (!last) return Error(503, "nothing published yet");
    return part(*last, match);
  };
}

}  // namespace

std::map<std::string, HttpServer::Handler> StateApiRoutes(const Publisher* publisher) {
  auto member = [](const char* name) {
    return [name](const PublishedDocument& d, const std::vector<std::string>&) {
      return Json200(ToJsonText(d.Document().at(name)), d.sequence);
    };
  };
  return {
      {"/api/state", Part(publisher, [](const PublishedDocument& d, const auto&) {
         return Json200(d.text(), d.sequence);
       })},
      {"/api/state/districts", Part(publisher, member("districts"))},
      {"/api/state/publicTransport", Part(publisher, member("publicTransport"))},
      {"/api/state/emergencyServices", Part(publisher, member("emergencyServices"))},
      {"/api/state/districts/([^/]+)",
       Part(publisher, [](const PublishedDocument& d, const std::vector<std::string>& m) {
         for (const Json& district : d.Document().at("districts")) {
           if (district.at("districtId") == m.at(1)) return Json200(ToJsonText(district), d.sequence);
         }
         return Error(404, "no district '" + m.at(1) + "'");
       })},
      {"/healthz", [publisher](const auto&) {
         return publisher->Last() ? HttpResponse{200, "application/json", "{\"status\":\"ok\"}", {}}
                                  : Error(503, "nothing published yet");
       }},
      {"/metrics", [publisher](const auto&) {
         return HttpResponse{200, "text/plain; version=0.0.4", publisher->Metrics().ToPrometheus(), {}};
       }},
  };
}

}  // namespace twin
