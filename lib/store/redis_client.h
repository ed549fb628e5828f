// A small synchronous Redis client over hiredis: URL parsing, AUTH and
// database selection, timeouts, and pipelined commands.
//
// A lost connection surfaces as Unavailable and is re-established on the
// next call (one attempt per call; callers that must keep going retry with
// backoff). The password never appears in an error message or log line:
// errors name the server by RedisUrl::Display(). Not synchronised: one
// client per thread.
#ifndef TWIN_LIB_REDIS_CLIENT_H_
#define TWIN_LIB_REDIS_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

struct redisContext;

namespace twin {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // ACL user; empty for the default user
  std::string password;  // empty: no AUTH
  int db = 0;

  // Parses redis://[[user]:password@]host[:port][/db]. InvalidArgument says
  // what is wrong, without repeating the password.
  static Result<RedisUrl> Parse(std::string_view url);
  // The URL with any password replaced by "***", for logs and errors.
  std::string Display() const;
};

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
};

struct RedisOptions {
  int connect_timeout_ms = 2000;
  int command_timeout_ms = 30000;  // a whole-city read can take a while
};

class RedisClient {
 public:
  // Connects, authenticates and selects the database. Unavailable if the
  // server cannot be reached or refuses the credentials.
  static Result<std::unique_ptr<RedisClient>> Connect(const RedisUrl& url,
                                                      const RedisOptions& options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends all commands in one round trip and returns one reply per command.
  // Redis error replies come back as replies of type kError; a transport
  // failure is Unavailable (and the connection is re-opened next time).
  Result<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // One command; an error reply becomes an Unavailable status naming it.
  Result<RedisReply> Command(const std::vector<std::string>& args);

  const RedisUrl& url() const { return url_; }

 private:
  RedisClient(RedisUrl url, RedisOptions options)
      : url_(std::move(url)), options_(options) {}
  Status EnsureConnected();
  void Disconnect();

  RedisUrl url_;
  RedisOptions options_;
  redisContext* context_ = nullptr;
};

}  // namespace twin

#endif  // TWIN_LIB_REDIS_CLIENT_H_
