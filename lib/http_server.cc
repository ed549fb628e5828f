#include "lib/http_server.h"

#include <httplib.h>

#include "lib/json_writer.h"

#include <charconv>
#include <ctime>
#include <cstdio>

namespace twin {
namespace {

// The limits of HttpServer::Start (see there).
constexpr size_t kWorkers = 16;
constexpr size_t kMaxRequestBody = 64 * 1024;
constexpr time_t kReadTimeoutSeconds = 5;
constexpr time_t kWriteTimeoutSeconds = 30;

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                      std::map<std::string, Handler> routes) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      std::from_chars(address.data() + colon + 1, address.data() + address.size(), port).ec !=
          std::errc() ||
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
    server->server_->Get(path, [handler](const httplib::Request& req, httplib::Response& res) {
      std::vector<std::string> match;
      for (const auto& m : req.matches) match.push_back(m.str());
      HttpResponse response = handler(match);
      res.status = response.status;
      for (const auto& [name, value] : response.headers) res.set_header(name, value);
      res.set_content(response.body, response.content_type.c_str());
    });
  }
  server->server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) {
      std::string body = "{\"error\":\"not found\",\"path\":";
      AppendJsonString(&body, req.path);  // escaped: the path is the client's
      res.set_content(body + "}", "application/json");
    } else if (res.status == 413) {
      res.set_content(R"({"error":"request too large"})", "application/json");
    }
  });
  server->port_ = port == 0 ? server->server_->bind_to_any_port(host.c_str())
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
