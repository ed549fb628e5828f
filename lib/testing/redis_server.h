// A real redis-server on a free loopback port, for integration tests.
//
// Started with no persistence unless `append_only` is set (then in its own
// directory, so that Kill() + Restart() keeps what was fsynced). The
// destructor stops the server. Not synchronised.
#ifndef TWIN_LIB_TESTING_REDIS_SERVER_H_
#define TWIN_LIB_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <string>

#include "lib/base/status.h"

namespace twin::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

class RedisServer {
 public:
  struct Options {
    std::string password;      // requirepass, if set
    bool append_only = false;  // AOF with fsync always
  };

  RedisServer() : RedisServer(Options()) {}
  explicit RedisServer(Options options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts the server and waits until it answers PING.
  Status Start();
  // SIGKILL, as a crash would.
  void Kill();
  // Starts again on the same port and directory.
  Status Restart() { return Start(); }

  int port() const { return port_; }
  // redis://[:password@]127.0.0.1:<port>/0
  std::string url() const;

 private:
  Options options_;
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace twin::testing

#endif  // TWIN_LIB_TESTING_REDIS_SERVER_H_
