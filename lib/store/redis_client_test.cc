#include "lib/store/redis_client.h"

#include <catch2/catch.hpp>

#include "lib/testing/redis_server.h"

namespace twin {
namespace {

TEST_CASE("Redis URLs parse with and without credentials, port and db") {
  Result<RedisUrl> full = RedisUrl::Parse("redis://alice:s3cret@cache.local:6380/2");
  REQUIRE(full.ok());
  CHECK(full->host == "cache.local");
  CHECK(full->port == 6380);
  CHECK(full->user == "alice");
  CHECK(full->password == "s3cret");
  CHECK(full->db == 2);
  CHECK(full->Display() == "redis://alice:***@cache.local:6380/2");

  Result<RedisUrl> password_only = RedisUrl::Parse("redis://:pw@10.0.0.1");
  REQUIRE(password_only.ok());
  CHECK(password_only->user.empty());
  CHECK(password_only->password == "pw");
  CHECK(password_only->port == 6379);
  CHECK(password_only->Display() == "redis://:***@10.0.0.1:6379/0");

  Result<RedisUrl> bare = RedisUrl::Parse("redis://");
  REQUIRE(bare.ok());
  CHECK(bare->Display() == "redis://127.0.0.1:6379/0");
}

TEST_CASE("malformed Redis URLs are refused without echoing the password") {
  CHECK_FALSE(RedisUrl::Parse("http://localhost").ok());
  Result<RedisUrl> port = RedisUrl::Parse("redis://:hunter2@host:99999");
  REQUIRE_FALSE(port.ok());
  CHECK(port.status().message().find("hunter2") == std::string::npos);
  CHECK_FALSE(RedisUrl::Parse("redis://host/abc").ok());
}

TEST_CASE("an unreachable server is Unavailable, naming it") {
  RedisUrl url =
      *RedisUrl::Parse("redis://127.0.0.1:" + std::to_string(testing::FreePort()));
  auto client = RedisClient::Connect(url, RedisOptions{300, 300});
  REQUIRE_FALSE(client.ok());
  CHECK(client.status().code() == StatusCode::kUnavailable);
  CHECK(client.status().message().find("cannot connect") != std::string::npos);
}

TEST_CASE("AUTH: the right password works, a wrong one fails without leaking it") {
  testing::RedisServer server({"right-pw", false});
  REQUIRE(server.Start().ok());
  RedisUrl url = *RedisUrl::Parse(server.url());
  auto good = RedisClient::Connect(url);
  REQUIRE(good.ok());
  CHECK((*good)->Command({"PING"})->str == "PONG");

  url.password = "wrong-pw";
  auto bad = RedisClient::Connect(url);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("wrong-pw") == std::string::npos);
  CHECK(bad.status().message().find("WRONGPASS") != std::string::npos);

  url.password.clear();
  auto none = RedisClient::Connect(url);
  REQUIRE(none.ok());  // connects; the first command is refused
  CHECK_FALSE((*none)->Command({"GET", "x"}).ok());
}

TEST_CASE("a client reconnects after the server comes back") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto client = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  REQUIRE(client.ok());
  server.Kill();
  CHECK((*client)->Command({"PING"}).status().code() == StatusCode::kUnavailable);
  REQUIRE(server.Restart().ok());
  CHECK((*client)->Command({"PING"}).ok());
}

TEST_CASE("pipelines return one reply per command, errors included") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto client = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  REQUIRE(client.ok());
  auto replies = (*client)->Pipeline({{"SET", "k", std::string("a\0b", 3)},
                                      {"GET", "k"},
                                      {"INCR", "k"},
                                      {"GET", "nope"}});
  REQUIRE(replies.ok());
  REQUIRE(replies->size() == 4);
  CHECK((*replies)[1].str == std::string("a\0b", 3));  // binary safe
  CHECK((*replies)[2].is_error());
  CHECK((*replies)[3].type == RedisReply::Type::kNil);
}

}  // namespace
}  // namespace twin
