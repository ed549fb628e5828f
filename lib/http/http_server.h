// A small HTTP server on its own thread for /metrics, /healthz and (for
// twin-publish) read-only JSON routes, over cpp-httplib.
//
// Handlers run on the server's threads: they must be thread-safe. Unknown
// paths answer 404 with a JSON error body. The destructor stops the server.
//
// Clients are not trusted: a request body past 64 KiB is refused (413), a
// client that sends nothing for 5 s is disconnected (and one that reads
// nothing for 30 s), and 16 workers serve the requests.
#ifndef TWIN_LIB_HTTP_SERVER_H_
#define TWIN_LIB_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/status.h"

namespace httplib {
class Server;
}

namespace twin {

struct HttpRequest {
  std::vector<std::string> match;  // the route's regex captures, whole path first
  std::map<std::string, std::string> params;  // the query's parameters
  std::string last_event_id;                  // the Last-Event-ID header (SSE), or ""
};

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(int status, std::string content_type, std::string body,
               std::map<std::string, std::string> headers = {})
      : status(status),
        content_type(std::move(content_type)),
        body(std::move(body)),
        headers(std::move(headers)) {}

  int status = 200;
  std::string content_type = "text/plain; version=0.0.4";
  std::string body;
  std::map<std::string, std::string> headers;
  // A streamed response (Server-Sent Events), sent chunked instead of
  // `body`: called again and again on the request's worker, each call
  // returns the next bytes (an empty string: nothing yet, the server checks
  // the client is still there) or nullopt to end the response. A client
  // that stops reading ends it after the write timeout. `closed` runs once
  // the response ended, whatever ended it.
  std::function<std::optional<std::string>()> stream;
  std::function<void()> closed;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest& request)>;

  // Listens on `address` ("host:port"; port 0 picks a free one) and serves
  // GET for each route (an ECMAScript regex matched against the whole path).
  // InvalidArgument for a bad address, Unavailable if the port cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                   std::map<std::string, Handler> routes);
  ~HttpServer();

  int port() const { return port_; }

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace twin

#endif  // TWIN_LIB_HTTP_SERVER_H_
