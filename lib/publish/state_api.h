// The read-only HTTP API of twin-publish over the last published document:
// /api/state (with X-Twin-Sequence), /api/state/districts,
// /api/state/districts/{id}, /api/state/publicTransport,
// /api/state/emergencyServices, /healthz and /metrics; /api/stream (Server-Sent
// Events, lib/change_stream.h) and / (the live view, lib/live_view.h).
// Thread-safe.
#ifndef TWIN_LIB_STATE_API_H_
#define TWIN_LIB_STATE_API_H_

#include <map>
#include <string>

#include "lib/http/http_server.h"
#include "lib/publish/publisher.h"

namespace twin {

// The routes for HttpServer::Start, reading from `publisher`.
std::map<std::string, HttpServer::Handler> StateApiRoutes(const Publisher* publisher);

}  // namespace twin

#endif  // TWIN_LIB_STATE_API_H_
