// RedisStore: the StateStore in Redis.
//
// Key layout for city C (all keys share the hash tag {C}, so a city lives in
// one Redis Cluster slot: MULTI/EXEC and scripts work on a cluster, at the
// price of one city never spanning shards):
//
//   twin:{C}:meta         hash   cityId, name, timestamp (microseconds),
//                                extra / transport / emergency (JSON of the
//                                document's other members), incarnation
//                                (the nonce of the load that made it)
//   twin:{C}:districts    hash   districtId -> {"fields":..,"graph":..}
//   twin:{C}:<kind>       hash   one per entity kind (sensors, buildings,
//                                weatherStations, nodes, edges, buses,
//                                stations, incidents, units): field -> the
//                                entity's JSON. The field is the id for
//                                city-level kinds and "<n>:<districtId><id>"
//                                (n = length of districtId) for district kinds.
//   twin:{C}:positions    hash   "topic:partition" -> next offset not yet in
//                                the state (written with the entities)
//   twin:{C}:epochs       hash   "topic:partition" -> the newest epoch taken
//                                (kept across loads)
//   twin:{C}:load-lock    string the nonce of the load in progress
//   twin:{C}:seq          string the change feed's last cursor
//   twin:{C}:feed         stream one entry per write ("<cursor>-1"), capped
//                                at `feed_max_entries`
//   twin:{C}:staging:*    temporary keys of a load in progress
//
// A write checks its fence (city, incarnation, epochs) with the epochs hash
// WATCHed, then is one MULTI/EXEC (entities, positions, and a script for
// the timestamp and feed entry: atomic, O(batch)).
// A load writes staging keys, then one script renames them over the live
// keys, so a failed load leaves the old state. Not synchronised.
#ifndef TWIN_LIB_REDIS_STORE_H_
#define TWIN_LIB_REDIS_STORE_H_

#include <memory>
#include <string>

#include "lib/store/redis_client.h"
#include "lib/store/state_store.h"

namespace twin {

struct RedisStoreOptions {
  size_t feed_max_entries = 10000;  // about 2.7 hours of 1 s flushes
  size_t write_chunk = 1000;        // fields per HSET while loading
  int load_lock_wait_ms = 30000;    // how long a load waits for another's
  // A load holds its lock this long past its last pipeline, so that one
  // killed mid-load delays the next by at most this.
  int load_lock_ms = 10000;
};

class RedisStore : public StateStore {
 public:
  // `city_id` must pass CheckCityId: it becomes part of key names, a hash
  // tag and SCAN patterns.
  RedisStore(std::unique_ptr<RedisClient> client, std::string city_id,
             RedisStoreOptions options = {});

  // cli.md: a city id is 1 to 128 letters, digits, '.', '_' and '-'. Anything
  // else ('*', '?', '[', '{', '}', ':', space) would be a glob in SCAN MATCH,
  // break the {hash tag} or reach another city's keys: InvalidArgument.
  static Status CheckCityId(std::string_view city_id);

  using StateStore::Replace;
  Result<std::string> Replace(const CityState& state,
                              const Positions& positions) override;
  Result<Epochs> TakeEpochs(const std::vector<PartitionId>& partitions) override;
  Result<StoredState> Read() override;
  Status Write(const ChangeBatch& batch) override;
  Result<FeedRead> ReadFeed(FeedCursor cursor, size_t max_entries) override;
  Result<EntityValues> ReadEntities(const std::vector<EntityRef>& refs) override;
  Result<std::optional<District>> ReadDistrictMeta(const std::string& id) override;

  // The key of one part of the layout above ("meta", "feed", a kind's name).
  std::string Key(std::string_view part) const;

  // The hash field of an entity (see the layout above).
  static std::string Field(const EntityRef& ref);

  // Parses the "changes" value of a feed entry, {"d":[ids],"e":[[kind,
  // district, id],...]}, appending to *districts and *changed. Returns false,
  // appending nothing, for anything else (ReadFeed then forces a reload).
  // Pure; any bytes.
  static bool ParseFeedChanges(std::string_view text, std::vector<std::string>* districts,
                               std::vector<EntityRef>* changed);

 private:
  Status Context(const Status& status, std::string_view what) const;
  // What the fence check's replies (WATCH, EXISTS meta, HGET incarnation,
  // HMGET epochs) say of `batch`: OK, NotFound, FailedPrecondition or Aborted.
  Status FenceRefusal(const ChangeBatch& batch,
                      const std::vector<RedisReply>& replies) const;
  Status ReplaceLocked(const CityState& state, const Positions& positions,
                       const std::string& nonce);

  std::unique_ptr<RedisClient> client_;
  std::string city_id_;
  std::string prefix_;
  RedisStoreOptions options_;
};

}  // namespace twin

#endif  // TWIN_LIB_REDIS_STORE_H_
