#include "lib/http/http_server.h"

#include <httplib.h>
#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <ctime>

#include "lib/json/json_writer.h"

namespace twin {
namespace {

// The limits of HttpServer::Start (see there).
// State requests take at most 8 (state_api.cc), event streams at most 8
// (ChangeStreamOptions): the rest stay free for /healthz and /metrics.
constexpr size_t kWorkers = 24;
constexpr size_t kMaxRequestBody = 64 * 1024;
constexpr time_t kReadTimeoutSeconds = 5;
constexpr time_t kWriteTimeoutSeconds = 30;

// Debian's cpp-httplib compresses JSON and text itself, with the encoding
// the client prefers: brotli for a browser, at its default quality, which
// took 13 s of a core for the 7.5 MB /api/state. JSON is compressed here
// instead: gzip at level 1 (about 40 ms for 7.5 MB, to 1 MB) when the client
// accepts gzip and the body is worth it, and sent with a type httplib does
// not touch.
constexpr size_t kCompressAbove = 16 * 1024;

bool AcceptsGzip(const httplib::Request& req) {
  return req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
}

std::optional<std::string> Gzip(const std::string& body) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return std::nullopt;
  std::string out(deflateBound(&z, body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (result != Z_STREAM_END) return std::nullopt;
  return out;
}

void SetBody(const httplib::Request& req, HttpResponse& response,
             httplib::Response& res) {
  if (response.content_type != "application/json") {
    res.set_content(response.body, response.content_type.c_str());
    return;
  }
  // "; charset=utf-8": JSON is UTF-8 anyway, and httplib leaves this type alone.
  const char* type = "application/json; charset=utf-8";
  if (response.body.size() > kCompressAbove && response.body.size() < (1u << 31) &&
      AcceptsGzip(req)) {
    if (std::optional<std::string> gz = Gzip(response.body)) {
      res.set_header("Content-Encoding", "gzip");
      res.set_header("Vary", "Accept-Encoding");
      res.set_content(std::move(*gz), type);
      return;
    }
  }
  res.set_content(response.body, type);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& address, std::map<std::string, Handler> routes) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      std::from_chars(address.data() + colon + 1, address.data() + address.size(), port)
              .ec != std::errc() ||
      port < 0 || port > 65535) {
    return Status::InvalidArgument("'" + address + "' is not host:port");
  }
  const std::string host = address.substr(0, colon);
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->server_ = std::make_unique<httplib::Server>();
  // Clients are not trusted (a metrics scraper, a dashboard, anyone on the
  // port): GET only, so no body worth reading; a client that sends slowly is
  // cut off; more workers than the routes that wait on the publisher may
  // take (StateApiRoutes caps those), so /healthz and /metrics always find one.
  server->server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server->server_->set_payload_max_length(kMaxRequestBody);
  server->server_->set_read_timeout(kReadTimeoutSeconds, 0);
  server->server_->set_write_timeout(kWriteTimeoutSeconds, 0);
  server->server_->set_keep_alive_timeout(kReadTimeoutSeconds);
  server->server_->set_keep_alive_max_count(100);
  for (auto& [path, handler] : routes) {
    server->server_->Get(
        path, [handler](const httplib::Request& req, httplib::Response& res) {
          HttpRequest request;
          for (const auto& m : req.matches) request.match.push_back(m.str());
          for (const auto& [name, value] : req.params)
            request.params.emplace(name, value);
          request.last_event_id = req.get_header_value("Last-Event-ID");
          HttpResponse response = handler(request);
          res.status = response.status;
          for (const auto& [name, value] : response.headers) res.set_header(name, value);
          if (!response.stream) {
            SetBody(req, response, res);
            return;
          }
          res.set_chunked_content_provider(
              response.content_type,
              [stream = response.stream](size_t, httplib::DataSink& sink) {
                const std::optional<std::string> chunk = stream();
                if (!chunk) {
                  sink.done();
                  return true;
                }
                if (chunk->empty()) return sink.is_writable();
                return sink.write(chunk->data(), chunk->size());
              },
              [closed = response.closed](bool) {
                if (closed) closed();
              });
        });
  }
  server->server_->set_error_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (res.status == 404) {
          std::string body = "{\"error\":\"not found\",\"path\":";
          AppendJsonString(&body, req.path);  // escaped: the path is the client's
          res.set_content(body + "}", "application/json");
        } else if (res.status == 413) {
          res.set_content(R"({"error":"request too large"})", "application/json");
        }
      });
  server->port_ = port == 0
                      ? server->server_->bind_to_any_port(host.c_str())
                      : (server->server_->bind_to_port(host.c_str(), port) ? port : -1);
  if (server->port_ <= 0) {
    return Status::Unavailable("cannot listen on " + address);
  }
  httplib::Server* raw = server->server_.get();
  server->thread_ = std::thread([raw] { raw->listen_after_bind(); });
  return server;
}

HttpServer::~HttpServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace twin
