// twin-snapshot's commands, one function each, so that its main() only
// parses flags and maps the Status to an exit code.
#ifndef TWIN_LIB_COMMANDS_SNAPSHOT_COMMANDS_H_
#define TWIN_LIB_COMMANDS_SNAPSHOT_COMMANDS_H_

#include <string>

#include "lib/base/status.h"
#include "lib/commands/state_files.h"
#include "lib/store/state_store.h"

namespace twin {

// twin-snapshot validate: prints each problem as "<path>: <what>" on
// io.out. OK for a valid document; InvalidData("<file>: N problem(s)")
// otherwise.
Status ValidateCommand(const std::string& path, const Io& io);

// twin-snapshot stats FILE: entity counts and size, as text or JSON.
Status StatsCommand(const std::string& path, bool json, const Io& io);

// twin-snapshot stats (no FILE): the same figures for the city in `store`.
Status StoreStatsCommand(StateStore* store, bool json, const Io& io);

// twin-snapshot load: validates the document at `path` and makes it the
// city's whole state, with the Kafka positions it records (none: members
// resume from their group's commits), all or nothing. A document whose
// cityId differs from `city_id` is refused; one without cityId takes
// `city_id`.
Status LoadCommand(const std::string& path, const std::string& city_id, StateStore* store,
                   const Io& io);

// twin-snapshot save: writes the city's state as a canonical document, with
// the Kafka positions it reflects as its kafkaPositions member.
Status SaveCommand(StateStore* store, const std::string& output, const Io& io);

}  // namespace twin

#endif  // TWIN_LIB_COMMANDS_SNAPSHOT_COMMANDS_H_
