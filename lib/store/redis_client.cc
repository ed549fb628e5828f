#include "lib/store/redis_client.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <time.h>

#include <charconv>

namespace twin {
namespace {

timeval Millis(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

// hiredis writes with write(2): a server that went away would raise SIGPIPE
// and kill the process. Blocks SIGPIPE on this thread for the scope and
// swallows one raised meanwhile, so callers get an error, not a signal,
// whatever their signal setup.
class ScopedNoSigpipe {
 public:
  ScopedNoSigpipe() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old_);
  }
  ~ScopedNoSigpipe() {
    if (!was_pending_) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

bool ParseInt(std::string_view text, int* out) {
  auto r = std::from_chars(text.data(), text.data() + text.size(), *out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

}  // namespace

Result<RedisUrl> RedisUrl::Parse(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("Redis URL must start with redis://");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisUrl out;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      out.password = std::string(credentials);  // redis://secret@host
    } else {
      out.user = std::string(credentials.substr(0, colon));
      out.password = std::string(credentials.substr(colon + 1));
    }
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && (!ParseInt(db, &out.db) || out.db < 0)) {
      return Status::InvalidArgument("Redis URL: database '" + std::string(db) +
                                     "' is not a number");
    }
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = rest.substr(colon + 1);
    if (!ParseInt(port, &out.port) || out.port <= 0 || out.port > 65535) {
      return Status::InvalidArgument("Redis URL: port '" + std::string(port) +
                                     "' is not a port number");
    }
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) out.host = std::string(rest);
  return out;
}

std::string RedisUrl::Display() const {
  std::string out = "redis://";
  if (!user.empty() || !password.empty()) out += user + ":***@";
  out += host + ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(const RedisUrl& url,
                                                          const RedisOptions& options) {
  std::unique_ptr<RedisClient> client(new RedisClient(url, options));
  TWIN_RETURN_IF_ERROR(client->EnsureConnected());
  return client;
}

RedisClient::~RedisClient() { Disconnect(); }

void RedisClient::Disconnect() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Status RedisClient::EnsureConnected() {
  if (context_ != nullptr) return Status::Ok();
  const std::string where = "redis " + url_.Display();
  context_ = redisConnectWithTimeout(url_.host.c_str(), url_.port,
                                     Millis(options_.connect_timeout_ms));
  if (context_ == nullptr || context_->err != 0) {
    std::string why = context_ != nullptr ? context_->errstr : "out of memory";
    Disconnect();
    return Status::Unavailable(where + ": cannot connect: " + why);
  }
  redisSetTimeout(context_, Millis(options_.command_timeout_ms));
  std::vector<std::vector<std::string>> setup;
  if (!url_.password.empty()) {
    setup.push_back(url_.user.empty()
                        ? std::vector<std::string>{"AUTH", url_.password}
                        : std::vector<std::string>{"AUTH", url_.user, url_.password});
  }
  if (url_.db != 0) setup.push_back({"SELECT", std::to_string(url_.db)});
  if (setup.empty()) return Status::Ok();
  Result<std::vector<RedisReply>> replies = Pipeline(setup);
  if (!replies.ok()) return replies.status();
  for (const RedisReply& reply : *replies) {
    if (reply.is_error()) {
      Disconnect();
      // The reply text is the server's ("WRONGPASS invalid username-password
      // pair"); it never echoes the password.
      return Status::Unavailable(where + ": " + reply.str);
    }
  }
  return Status::Ok();
}

Result<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  TWIN_RETURN_IF_ERROR(EnsureConnected());
  ScopedNoSigpipe no_sigpipe;
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  for (const auto& command : commands) {
    argv.clear();
    argvlen.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      argvlen.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               argvlen.data()) != REDIS_OK) {
      Status status =
          Status::Unavailable("redis " + url_.Display() + ": " + context_->errstr);
      Disconnect();
      return status;
    }
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      Status status = Status::Unavailable(
          "redis " + url_.Display() + ": " +
          (context_->errstr[0] ? context_->errstr : "connection lost"));
      Disconnect();
      return status;
    }
    replies.push_back(Convert(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return replies;
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  TWIN_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, Pipeline({args}));
  if (replies[0].is_error()) {
    return Status::Unavailable("redis " + url_.Display() + ": " + args[0] + ": " +
                               replies[0].str);
  }
  return std::move(replies[0]);
}

}  // namespace twin
