#include "lib/http/http_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace twin {
namespace {

std::unique_ptr<HttpServer> Serve(
    std::map<std::string, HttpServer::Handler> routes = {}) {
  routes["/healthz"] = [](const auto&) {
    return HttpResponse{200, "application/json", "{}", {}};
  };
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1:0", std::move(routes));
  REQUIRE(server.ok());
  return std::move(server).value();
}

// A raw connection to the server, for clients that misbehave.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

TEST_CASE("a 404 body is JSON that names the path, escaped") {
  auto server = Serve();
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Get("/no%22pe%5C%0A");  // the path decodes to no"pe\ and a newline
  REQUIRE(res);
  CHECK(res->status == 404);
  const nlohmann::json body = nlohmann::json::parse(res->body);
  CHECK(body.at("path") == "/no\"pe\\\n");
}

TEST_CASE("an oversized request is refused with 413, and the server goes on") {
  auto server = Serve();
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Post("/healthz", std::string(1 << 20, 'x'), "text/plain");
  REQUIRE(res);
  CHECK(res->status == 413);
  auto ok = httplib::Client("127.0.0.1", server->port()).Get("/healthz");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("a client that stops sending is disconnected, and /healthz answers meanwhile") {
  auto server = Serve();
  const int slow = Connect(server->port());
  const std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";  // no blank line
  REQUIRE(send(slow, partial.data(), partial.size(), 0) ==
          static_cast<ssize_t>(partial.size()));
  auto ok = httplib::Client("127.0.0.1", server->port()).Get("/healthz");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  // The server closes the stalled connection (read timeout 5 s): recv sees
  // the end, bounded here by a 60 s receive timeout of our own.
  timeval wait{60, 0};
  setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  char buf[256];
  ssize_t n;
  while ((n = recv(slow, buf, sizeof buf, 0)) > 0) {
  }
  CHECK(n == 0);
  close(slow);
}

TEST_CASE("handlers that block do not take every worker from /healthz") {
  // Eight requests that each hold a worker, as renders of /api/state can.
  std::atomic<bool> release{false};
  std::atomic<int> blocked{0};
  auto server = Serve({{"/render", [&](const auto&) {
                          ++blocked;
                          while (!release)
                            std::this_thread::sleep_for(std::chrono::milliseconds(10));
                          return HttpResponse{200, "text/plain", "done", {}};
                        }}});
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back(
        [&] { httplib::Client("127.0.0.1", server->port()).Get("/render"); });
  }
  for (int i = 0; i < 500 && blocked < 8; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(blocked == 8);
  // Bounded: with too few workers this would wait until `release`.
  httplib::Client health("127.0.0.1", server->port());
  health.set_read_timeout(15, 0);
  auto ok = health.Get("/healthz");
  release = true;
  for (auto& t : clients) t.join();
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

// Brotli at httplib's default quality took 13 s of a core for the 7.5 MB
// /api/state a browser asks for; gzip is what it must get.
TEST_CASE("a large JSON body goes gzip to a browser that also offers brotli") {
  const std::string big = "[" + std::string(2'000'000, '1') + "]";
  auto server = Serve({{"/big", [&](const auto&) {
                          return HttpResponse{200, "application/json", big, {}};
                        }}});
  httplib::Client client("127.0.0.1", server->port());
  client.set_decompress(false);  // see what went on the wire
  auto res = client.Get("/big", {{"Accept-Encoding", "gzip, deflate, br"}});
  REQUIRE(res);
  CHECK(res->get_header_value("Content-Encoding") == "gzip");
  CHECK(res->body.size() < big.size() / 10);
  httplib::Client decoding("127.0.0.1", server->port());
  auto decoded = decoding.Get("/big", {{"Accept-Encoding", "gzip"}});
  REQUIRE(decoded);
  CHECK(decoded->body == big);
}

TEST_CASE("a JSON body goes as it is to a client that offers only brotli, or nothing") {
  const std::string big = "[" + std::string(100'000, '2') + "]";
  auto server = Serve({{"/big", [&](const auto&) {
                          return HttpResponse{200, "application/json", big, {}};
                        }}});
  for (const char* accepted : {"br", "identity"}) {
    httplib::Client client("127.0.0.1", server->port());
    client.set_decompress(false);
    auto res = client.Get("/big", {{"Accept-Encoding", accepted}});
    REQUIRE(res);
    CHECK(res->get_header_value("Content-Encoding") == "");
    CHECK(res->body == big);
    CHECK(res->get_header_value("Content-Type") == "application/json; charset=utf-8");
  }
}

TEST_CASE(
    "a streamed response sends each chunk as it comes and ends when the stream does") {
  std::atomic<int> calls{0};
  std::atomic<bool> closed{false};
  auto server = Serve({{"/events", [&](const auto&) {
                          HttpResponse r{200, "text/event-stream", "", {}};
                          r.stream = [&]() -> std::optional<std::string> {
                            const int n = calls++;
                            if (n == 1) return std::string();  // nothing yet
                            if (n >= 4) return std::nullopt;
                            return "data: " + std::to_string(n) + "\n\n";
                          };
                          r.closed = [&] { closed = true; };
                          return r;
                        }}});
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Get("/events");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "data: 0\n\ndata: 2\n\ndata: 3\n\n");
  for (int i = 0; i < 100 && !closed; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(closed);
}

TEST_CASE("a handler sees the query parameters and the Last-Event-ID header") {
  HttpRequest seen;
  auto server = Serve({{"/q", [&](const HttpRequest& request) {
                          seen = request;
                          return HttpResponse{200, "text/plain", "ok", {}};
                        }}});
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Get("/q?after=41&x=y", {{"Last-Event-ID", "42"}});
  REQUIRE(res);
  CHECK(seen.params.at("after") == "41");
  CHECK(seen.last_event_id == "42");
  CHECK(seen.match.at(0) == "/q");
}

}  // namespace
}  // namespace twin
