#include "lib/commands/snapshot_commands.h"

#include <spdlog/spdlog.h>

#include <ostream>

#include "lib/base/file_io.h"
#include "lib/city/state_document.h"
#include "lib/city/state_stats.h"
#include "lib/json/json_parse.h"

namespace twin {
namespace {

Status PrintStats(const CityState& state, bool json, const Io& io) {
  const StateStats stats = ComputeStats(state, SerializeCityState(state).size());
  *io.out << (json ? stats.ToJson().dump() + "\n" : stats.ToText());
  io.out->flush();
  return Status::Ok();
}

}  // namespace

Status ValidateCommand(const std::string& path, const Io& io) {
  TWIN_ASSIGN_OR_RETURN(std::string text, ReadFile(path, *io.in));
  std::vector<std::string> problems;
  Result<CityState> state = ParseCityState(text, &problems);
  if (state.ok()) return Status::Ok();
  if (problems.empty()) problems.push_back(state.status().message());  // syntax
  for (const std::string& problem : problems) *io.out << problem << '\n';
  io.out->flush();
  const bool truncated = problems.back().rfind("... and ", 0) == 0;
  const size_t shown = problems.size() - (truncated ? 1 : 0);
  return Status::InvalidData(DisplayName(path) + ": not a valid state document (" +
                             std::to_string(shown) + (truncated ? "+" : "") +
                             (shown == 1 && !truncated ? " problem)" : " problems)"));
}

Status StatsCommand(const std::string& path, bool json, const Io& io) {
  TWIN_ASSIGN_OR_RETURN(CityState state, ReadStateFile(path, *io.in));
  return PrintStats(state, json, io);
}

Status StoreStatsCommand(StateStore* store, bool json, const Io& io) {
  TWIN_ASSIGN_OR_RETURN(StoredState stored, store->Read());
  return PrintStats(stored.state, json, io);
}

Status LoadCommand(const std::string& path, const std::string& city_id, StateStore* store,
                   const Io& io) {
  const std::string context = "load " + DisplayName(path);
  Result<std::string> text = ReadFile(path, *io.in);
  if (!text.ok()) return text.status().WithContext(context);
  Result<Json> document = ParseJsonText(*text);
  if (!document.ok()) return document.status().WithContext(context);
  Result<CityState> state = CityStateFromJson(*document);
  if (!state.ok()) return state.status().WithContext(context);
  Result<Positions> positions = TakePositionsMember(&*state);
  if (!positions.ok()) return positions.status().WithContext(context);
  if (document->contains("cityId") && state->city_id != city_id) {
    return Status::InvalidArgument(context + ": the document is for city '" +
                                   state->city_id + "', not '" + city_id +
                                   "' (use --city-id)");
  }
  state->city_id = city_id;
  TWIN_RETURN_IF_ERROR(store->Replace(*state, *positions).status());
  size_t entities = 0;
  for (EntityKind kind : kAllEntityKinds) entities += state->Count(kind);
  spdlog::info("loaded {} districts and {} entities into city '{}'{}",
               state->districts().size(), entities, city_id,
               positions->empty()
                   ? " (no Kafka positions: twin-ingest resumes from its group's "
                     "commits)"
                   : ", with the Kafka positions of " +
                         std::to_string(positions->size()) + " partitions");
  return Status::Ok();
}

Status SaveCommand(StateStore* store, const std::string& output, const Io& io) {
  TWIN_ASSIGN_OR_RETURN(StoredState stored, store->Read());
  PutPositionsMember(stored.positions, &stored.state);
  return WriteOutput(output, SerializeCityState(stored.state) + "\n", *io.out);
}

}  // namespace twin
