#include "lib/store/redis_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "lib/base/parallel.h"
#include "lib/json/json_parse.h"
#include "lib/json/json_writer.h"

namespace twin {
namespace {

// Runs inside the MULTI/EXEC of a write, after its HSETs. KEYS: meta, seq,
// feed. ARGV: timestamp, feed cap, feed entry, city id, city name. Keeps the
// newest timestamp, numbers the write and appends its feed entry.
constexpr const char* kFeedScript = R"lua(
redis.call('HSETNX', KEYS[1], 'cityId', ARGV[4])
redis.call('HSETNX', KEYS[1], 'name', ARGV[5])
for _, f in ipairs({'extra', 'transport', 'emergency'}) do
  redis.call('HSETNX', KEYS[1], f, '{}')
end
local current = tonumber(redis.call('HGET', KEYS[1], 'timestamp') or '-1')
if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'timestamp', ARGV[1]) end
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '=', ARGV[2], seq .. '-1', 'changes', ARGV[3])
return seq
)lua";

// KEYS: (staging, live) pairs, then seq, feed, the load lock, epochs. ARGV:
// pair count, feed cap, the load's nonce. Switches only while the load holds
// the lock, and releases it. Touches the epochs hash, so that a write that
// WATCHed it while checking its fence fails.
constexpr const char* kSwitchScript = R"lua(
local n = tonumber(ARGV[1])
if redis.call('GET', KEYS[2 * n + 3]) ~= ARGV[3] then
  return redis.error_reply('LOCKLOST this load no longer holds the load lock')
end
for p = 0, n - 1 do
  local staging, live = KEYS[2 * p + 1], KEYS[2 * p + 2]
  if redis.call('EXISTS', staging) == 1 then
    redis.call('RENAME', staging, live)
  else
    redis.call('DEL', live)
  end
end
local seq = redis.call('INCR', KEYS[2 * n + 1])
redis.call('XADD', KEYS[2 * n + 2], 'MAXLEN', '=', ARGV[2], seq .. '-1', 'reload', '1')
redis.call('DEL', KEYS[2 * n + 3])
redis.call('HINCRBY', KEYS[2 * n + 4], 'replaced', 1)
return seq
)lua";

// KEYS: the load lock. ARGV: the nonce, the expiry in ms. Extends the lock
// (PEXPIRE) or releases it (expiry 0) if this nonce holds it.
constexpr const char* kLockScript = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
)lua";

// The parts of a city's state, in the order Read() fetches them: meta,
// districts, the entity kinds, positions.
std::vector<std::string> StateParts() {
  std::vector<std::string> parts = {"meta", "districts"};
  for (EntityKind kind : kAllEntityKinds) parts.emplace_back(Info(kind).name);
  parts.emplace_back("positions");
  return parts;
}

uint64_t ParseU64(const std::string& text) {
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// Splits "<n>:<districtId><id>".
bool SplitField(std::string_view field, std::string* district, std::string* id) {
  const size_t colon = field.find(':');
  if (colon == std::string_view::npos) return false;
  size_t n = 0;
  auto r = std::from_chars(field.data(), field.data() + colon, n);
  if (r.ec != std::errc() || colon + 1 + n > field.size()) return false;
  *district = std::string(field.substr(colon + 1, n));
  *id = std::string(field.substr(colon + 1 + n));
  return true;
}

Result<Json> ParseStored(std::string_view text, std::string_view where) {
  Json value;
  if (!ParseJson(text, &value)) {
    return Status::InvalidData(std::string(where) + ": stored value is not JSON");
  }
  return value;
}

}  // namespace

RedisStore::RedisStore(std::unique_ptr<RedisClient> client, std::string city_id,
                       RedisStoreOptions options)
    : client_(std::move(client)),
      city_id_(std::move(city_id)),
      prefix_("twin:{" + city_id_ + "}:"),
      options_(options) {}

Status RedisStore::CheckCityId(std::string_view city_id) {
  const bool ok = !city_id.empty() && city_id.size() <= 128 &&
                  std::all_of(city_id.begin(), city_id.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                  });
  if (ok) return Status::Ok();
  return Status::InvalidArgument("city id '" + std::string(city_id.substr(0, 128)) +
                                 "': use 1 to 128 letters, digits, '.', '_' and '-'");
}

std::string RedisStore::Key(std::string_view part) const {
  return prefix_ + std::string(part);
}

std::string RedisStore::Field(const EntityRef& ref) {
  if (!IsDistrictScoped(ref.kind)) return ref.id;
  return std::to_string(ref.district_id.size()) + ":" + ref.district_id + ref.id;
}

namespace {

// The feed entry of `batch`: what changed, as
// {"d":[districts],"e":[[kind,district,id]]}.
std::string FeedEntry(const ChangeBatch& batch) {
  std::string entry;
  {
    JsonWriter w(&entry);  // flushes into `entry` when it goes
    w.Raw("{\"d\":[");
    for (size_t i = 0; i < batch.new_districts.size(); ++i) {
      if (i > 0) w.Raw(',');
      w.String(batch.new_districts[i].first);
    }
    w.Raw("],\"e\":[");
    for (size_t i = 0; i < batch.entities.size(); ++i) {
      const EntityRef& ref = batch.entities[i].first;
      if (i > 0) w.Raw(',');
      w.Raw('[');
      w.String(Info(ref.kind).name);
      w.Raw(',');
      w.String(ref.district_id);
      w.Raw(',');
      w.String(ref.id);
      w.Raw(']');
    }
    w.Raw("]}");
  }
  return entry;
}

}  // namespace

Status RedisStore::Context(const Status& status, std::string_view what) const {
  return status.WithContext(std::string(what) + " city '" + city_id_ + "'");
}

Status RedisStore::Write(const ChangeBatch& batch) {
  if (batch.empty()) return Status::Ok();
  // The fence, checked before the transaction with the epochs hash
  // WATCHed: anything that could invalidate it in between (another member
  // taking epochs, a load's switch) touches that hash and aborts the EXEC,
  // and a Redis restart drops the connection and the WATCH with it. Other
  // members' flushes do not touch it, so writers never abort each other.
  // (A single script would need no WATCH, but its HSETs cost twice the
  // native ones: BENCHMARKS.md.)
  const bool fenced = batch.city_must_exist || !batch.epochs.empty();
  if (fenced) {
    std::vector<std::vector<std::string>> check = {{"WATCH", Key("epochs")},
                                                   {"EXISTS", Key("meta")},
                                                   {"HGET", Key("meta"), "incarnation"}};
    std::vector<std::string> held = {"HMGET", Key("epochs")};
    for (const auto& [partition, epoch] : batch.epochs)
      held.push_back(PartitionField(partition));
    if (!batch.epochs.empty()) check.push_back(held);
    Result<std::vector<RedisReply>> replies = client_->Pipeline(check);
    if (!replies.ok()) return Context(replies.status(), "write to");
    Status refusal = FenceRefusal(batch, *replies);
    if (!refusal.ok()) {
      (void)client_->Command({"UNWATCH"});
      return refusal;
    }
  }
  // One transaction: MULTI, the HSETs (native commands, in chunks), the
  // positions, the feed script, EXEC. Redis runs it without interleaving
  // other clients, so a reader sees all of the batch or none of it.
  std::vector<std::vector<std::string>> commands = {{"MULTI"}};
  for (const auto& [id, meta] : batch.new_districts) {
    commands.push_back({"HSETNX", Key("districts"), id, meta});
  }
  std::array<size_t, kEntityKindCount> open;  // each kind's current HSET
  open.fill(0);
  for (const auto& [ref, json] : batch.entities) {
    size_t& index = open[static_cast<int>(ref.kind)];
    if (index == 0 || commands[index].size() >= 2 + 2 * options_.write_chunk) {
      index = commands.size();
      commands.push_back({"HSET", Key(Info(ref.kind).name)});
    }
    commands[index].push_back(Field(ref));
    commands[index].push_back(json);
  }
  if (!batch.positions.empty()) {
    std::vector<std::string> positions = {"HSET", Key("positions")};
    for (const auto& [partition, offset] : batch.positions) {
      positions.push_back(PartitionField(partition));
      positions.push_back(std::to_string(offset.value()));
    }
    commands.push_back(std::move(positions));
  }
  if (batch.changes_entities()) {
    commands.push_back({"EVAL", kFeedScript, "3", Key("meta"), Key("seq"), Key("feed"),
                        std::to_string(CountMicros(batch.timestamp)),
                        std::to_string(options_.feed_max_entries), FeedEntry(batch),
                        city_id_, std::string(kDefaultCityName)});
  }
  commands.push_back({"EXEC"});
  Result<std::vector<RedisReply>> replies = client_->Pipeline(commands);
  if (!replies.ok()) return Context(replies.status(), "write to");
  const RedisReply& exec = replies->back();
  if (exec.type == RedisReply::Type::kNil) {
    return Context(Status::Unavailable("the fence changed during the write (a load, or a "
                                       "member's assignment); nothing written"),
                   "write to");
  }
  if (exec.type != RedisReply::Type::kArray) {
    // EXECABORT: a command was refused while queuing (OOM, say); nothing ran.
    for (const RedisReply& reply : *replies) {
      if (reply.is_error()) return Context(Status::Unavailable(reply.str), "write to");
    }
    return Context(Status::Unavailable("transaction aborted"), "write to");
  }
  for (const RedisReply& reply : exec.elements) {
    if (reply.is_error()) return Context(Status::Unavailable(reply.str), "write to");
  }
  return Status::Ok();
}

Status RedisStore::FenceRefusal(const ChangeBatch& batch,
                                const std::vector<RedisReply>& replies) const {
  for (const RedisReply& reply : replies) {
    if (reply.is_error()) return Context(Status::Unavailable(reply.str), "write to");
  }
  if (batch.city_must_exist) {
    if (replies[1].integer == 0) {
      return Status::NotFound("the state of city '" + city_id_ +
                              "' is gone from Redis (restarted without persistence?): "
                              "nothing written");
    }
    const std::string stored =
        replies[2].type == RedisReply::Type::kString ? replies[2].str : "";
    if (stored != batch.incarnation) {
      return Status::FailedPrecondition(
          "the state of city '" + city_id_ +
          "' was replaced since this writer read it (a load, or "
          "another member's rewrite): nothing written");
    }
  }
  if (batch.epochs.empty()) return Status::Ok();
  const auto& held = replies[3].elements;
  size_t i = 0;
  for (const auto& [partition, epoch] : batch.epochs) {
    const RedisReply& value = held[i++];
    if (value.type != RedisReply::Type::kString) {
      return Status::FailedPrecondition("no epoch of " + PartitionField(partition) +
                                        " is held in city '" + city_id_ +
                                        "' (the store lost them?): nothing written");
    }
    if (value.str != std::to_string(epoch.value())) {
      return Status::Aborted("partition " + PartitionField(partition) + " of city '" +
                             city_id_ + "' is held by a newer member (epoch " +
                             value.str + "): nothing written");
    }
  }
  return Status::Ok();
}

Result<Epochs> RedisStore::TakeEpochs(const std::vector<PartitionId>& partitions) {
  if (partitions.empty()) return Epochs();
  std::vector<std::vector<std::string>> commands = {{"MULTI"}};
  for (const PartitionId& partition : partitions) {
    commands.push_back({"HINCRBY", Key("epochs"), PartitionField(partition), "1"});
  }
  commands.push_back({"EXEC"});
  Result<std::vector<RedisReply>> replies = client_->Pipeline(commands);
  if (!replies.ok()) return Context(replies.status(), "take epochs of");
  const RedisReply& exec = replies->back();
  if (exec.type != RedisReply::Type::kArray ||
      exec.elements.size() != partitions.size()) {
    return Context(Status::Unavailable("transaction failed: " + exec.str),
                   "take epochs of");
  }
  Epochs epochs;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (exec.elements[i].type != RedisReply::Type::kInteger) {
      return Context(Status::Unavailable(exec.elements[i].str), "take epochs of");
    }
    epochs[partitions[i]] = Epoch(static_cast<uint64_t>(exec.elements[i].integer));
  }
  return epochs;
}

Result<std::string> RedisStore::Replace(const CityState& state,
                                        const Positions& positions) {
  // One load at a time (SET NX with this load's nonce, extended as it
  // writes): two loads at once once deleted each other's staging keys, and
  // the switch then deleted live data (issue 18, path 4).
  std::mt19937_64 random(std::random_device{}());
  const std::string nonce = std::to_string(random());
  const std::string lock = Key("load-lock");
  for (int waited = 0;; waited += 200) {
    Result<RedisReply> taken = client_->Command(
        {"SET", lock, nonce, "NX", "PX", std::to_string(options_.load_lock_ms)});
    if (!taken.ok()) return Context(taken.status(), "load");
    if (taken->type == RedisReply::Type::kStatus) break;  // OK: ours
    if (waited >= options_.load_lock_wait_ms) {
      return Context(Status::Unavailable("another load of this city is in progress (" +
                                         lock + " is held); try again when it is done"),
                     "load");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto release = [&] {
    (void)client_->Command({"EVAL", kLockScript, "1", lock, nonce, "0"});
  };
  Status status = ReplaceLocked(state, positions, nonce);
  if (!status.ok()) {
    release();  // a switch releases it itself
    return status;
  }
  return nonce;  // the new incarnation
}

Status RedisStore::ReplaceLocked(const CityState& state, const Positions& positions,
                                 const std::string& nonce) {
  // Leftovers of a load that died before its switch: with the lock held,
  // no other load's.
  std::string cursor = "0";
  do {
    Result<RedisReply> scan =
        client_->Command({"SCAN", cursor, "MATCH", Key("staging:*"), "COUNT", "1000"});
    if (!scan.ok()) return Context(scan.status(), "load");
    cursor = scan->elements[0].str;
    std::vector<std::string> del = {"DEL"};
    for (const RedisReply& key : scan->elements[1].elements) del.push_back(key.str);
    if (del.size() > 1) {
      Result<RedisReply> r = client_->Command(del);
      if (!r.ok()) return Context(r.status(), "load");
    }
  } while (cursor != "0");

  const std::string staging = "staging:" + nonce + ":";
  std::vector<std::vector<std::string>> commands;
  // Buffers HSETs of up to write_chunk fields and sends them in pipelines.
  auto flush = [&]() -> Status {
    if (commands.empty()) return Status::Ok();
    // Each pipeline also extends the lock; losing it (expired) stops the load.
    commands.push_back({"EVAL", kLockScript, "1", Key("load-lock"), nonce,
                        std::to_string(options_.load_lock_ms)});
    Result<std::vector<RedisReply>> replies = client_->Pipeline(commands);
    commands.clear();
    if (!replies.ok()) return replies.status();
    for (const RedisReply& r : *replies) {
      if (r.is_error()) return Status::Unavailable("redis: " + r.str);
    }
    if (replies->back().integer != 1) {
      return Status::Unavailable("the load lock expired during the load (a stall over " +
                                 std::to_string(options_.load_lock_ms / 1000) +
                                 " s?); nothing switched");
    }
    return Status::Ok();
  };
  auto hset = [&](const std::string& part, std::string field,
                  std::string value) -> Status {
    const std::string key = Key(staging + part);
    if (commands.empty() || commands.back()[1] != key ||
        commands.back().size() >= 2 + 2 * options_.write_chunk) {
      if (commands.size() >= 16) TWIN_RETURN_IF_ERROR(flush());
      commands.push_back({"HSET", key});
    }
    commands.back().push_back(std::move(field));
    commands.back().push_back(std::move(value));
    return Status::Ok();
  };

  Status status;
  auto run = [&]() -> Status {
    TWIN_RETURN_IF_ERROR(hset("meta", "cityId", state.city_id));
    TWIN_RETURN_IF_ERROR(hset("meta", "name", state.name));
    TWIN_RETURN_IF_ERROR(
        hset("meta", "timestamp", std::to_string(CountMicros(state.timestamp))));
    TWIN_RETURN_IF_ERROR(hset("meta", "extra", ToJsonText(state.extra_fields)));
    TWIN_RETURN_IF_ERROR(hset("meta", "transport", ToJsonText(state.transport_fields)));
    TWIN_RETURN_IF_ERROR(hset("meta", "emergency", ToJsonText(state.emergency_fields)));
    TWIN_RETURN_IF_ERROR(hset("meta", "incarnation", nonce));
    for (const auto& [partition, offset] : positions) {
      TWIN_RETURN_IF_ERROR(
          hset("positions", PartitionField(partition), std::to_string(offset.value())));
    }
    for (const auto& [id, district] : state.districts()) {
      TWIN_RETURN_IF_ERROR(hset("districts", id, DistrictMetaJson(district)));
    }
    for (EntityKind kind : kAllEntityKinds) {
      const std::string part(Info(kind).name);
      if (IsDistrictScoped(kind)) {
        for (const auto& [district_id, district] : state.districts()) {
          for (const auto& [id, entity] : district.Of(kind)) {
            TWIN_RETURN_IF_ERROR(
                hset(part, Field({kind, district_id, id}), ToJsonText(entity)));
          }
        }
      } else {
        for (const auto& [id, entity] : state.CityEntities(kind)) {
          TWIN_RETURN_IF_ERROR(hset(part, id, ToJsonText(entity)));
        }
      }
    }
    TWIN_RETURN_IF_ERROR(flush());
    const std::vector<std::string> parts = StateParts();
    std::vector<std::string> cmd = {"EVAL", kSwitchScript,
                                    std::to_string(parts.size() * 2 + 4)};
    for (const std::string& part : parts) {
      cmd.push_back(Key(staging + part));
      cmd.push_back(Key(part));
    }
    cmd.push_back(Key("seq"));
    cmd.push_back(Key("feed"));
    cmd.push_back(Key("load-lock"));
    cmd.push_back(Key("epochs"));
    cmd.push_back(std::to_string(parts.size()));
    cmd.push_back(std::to_string(options_.feed_max_entries));
    cmd.push_back(nonce);
    Result<RedisReply> reply = client_->Command(cmd);
    return reply.ok() ? Status::Ok() : reply.status();
  };
  status = run();
  if (!status.ok()) return Context(status, "load");
  return Status::Ok();
}

Result<StoredState> RedisStore::Read() {
  const std::vector<std::string> parts = StateParts();
  std::vector<std::vector<std::string>> commands = {{"MULTI"}};
  for (const std::string& part : parts) commands.push_back({"HGETALL", Key(part)});
  commands.push_back({"GET", Key("seq")});
  commands.push_back({"EXEC"});
  Result<std::vector<RedisReply>> replies = client_->Pipeline(commands);
  if (!replies.ok()) return Context(replies.status(), "read");
  const RedisReply& exec = replies->back();
  if (exec.type != RedisReply::Type::kArray || exec.elements.size() != parts.size() + 1) {
    return Context(Status::Unavailable("transaction failed: " + exec.str), "read");
  }
  const auto& results = exec.elements;
  if (results[0].elements.empty()) {
    return Status::NotFound("city '" + city_id_ +
                            "' has no state in Redis (load one with twin-snapshot load)");
  }
  StoredState stored;
  CityState& state = stored.state;
  const auto& meta = results[0].elements;
  for (size_t i = 0; i + 1 < meta.size(); i += 2) {
    const std::string& field = meta[i].str;
    const std::string& value = meta[i + 1].str;
    if (field == "cityId") {
      state.city_id = value;
    } else if (field == "name") {
      state.name = value;
    } else if (field == "timestamp") {
      state.timestamp = MicrosSinceEpoch(static_cast<int64_t>(ParseU64(value)));
    } else if (field == "incarnation") {
      stored.incarnation = value;
    } else if (field == "extra" || field == "transport" || field == "emergency") {
      TWIN_ASSIGN_OR_RETURN(Json members, ParseStored(value, Key("meta") + " " + field));
      (field == "extra"       ? state.extra_fields
       : field == "transport" ? state.transport_fields
                              : state.emergency_fields) = std::move(members);
    }
  }
  std::map<std::string, District, std::less<>> districts;
  const auto& district_items = results[1].elements;
  for (size_t i = 0; i + 1 < district_items.size(); i += 2) {
    District district;
    district.id = district_items[i].str;
    TWIN_RETURN_IF_ERROR(ApplyDistrictMetaJson(district_items[i + 1].str, &district));
    districts.emplace(district.id, std::move(district));
  }
  for (EntityKind kind : kAllEntityKinds) {
    const auto& items = results[2 + static_cast<int>(kind)].elements;
    const std::string where = Key(Info(kind).name);
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      TWIN_ASSIGN_OR_RETURN(Json entity, ParseStored(items[i + 1].str, where));
      if (!IsDistrictScoped(kind)) {
        state.CityEntities(kind).emplace(items[i].str, std::move(entity));
        continue;
      }
      std::string district_id, id;
      if (!SplitField(items[i].str, &district_id, &id)) {
        return Status::InvalidData(where + ": malformed field '" + items[i].str + "'");
      }
      auto d = districts.find(district_id);
      if (d == districts.end()) {  // written before its district: make it
        District district;
        district.id = district_id;
        d = districts.emplace(district_id, std::move(district)).first;
      }
      d->second.Of(kind).emplace(std::move(id), std::move(entity));
    }
  }
  for (auto& [id, district] : districts) state.PutDistrict(std::move(district));
  const auto& positions = results[parts.size() - 1].elements;
  for (size_t i = 0; i + 1 < positions.size(); i += 2) {
    std::optional<PartitionId> partition = ParsePartitionField(positions[i].str);
    int64_t offset = -1;
    const std::string& text = positions[i + 1].str;
    std::from_chars(text.data(), text.data() + text.size(), offset);
    if (!partition || offset < 0) {
      return Status::InvalidData(Key("positions") + ": malformed position '" +
                                 positions[i].str + "' = '" + text + "'");
    }
    stored.positions.emplace(std::move(*partition), offset);
  }
  if (results.back().type == RedisReply::Type::kString) {
    stored.cursor = FeedCursor(ParseU64(results.back().str));
  }
  return stored;
}

Result<FeedRead> RedisStore::ReadFeed(FeedCursor cursor, size_t max_entries) {
  // One MULTI, so that the entries and the incarnation belong together.
  Result<std::vector<RedisReply>> exec = client_->Pipeline(
      {{"MULTI"},
       {"GET", Key("seq")},
       {"XRANGE", Key("feed"), std::to_string(cursor.Next().value()) + "-0", "+", "COUNT",
        std::to_string(max_entries)},
       {"HGET", Key("meta"), "incarnation"},
       {"EXEC"}});
  if (!exec.ok()) return Context(exec.status(), "read the change feed of");
  if (exec->back().type != RedisReply::Type::kArray ||
      exec->back().elements.size() != 3) {
    return Context(Status::Unavailable("transaction failed: " + exec->back().str),
                   "read the change feed of");
  }
  const std::vector<RedisReply>* replies = &exec->back().elements;
  FeedRead read;
  if ((*replies)[2].type == RedisReply::Type::kString)
    read.incarnation = (*replies)[2].str;
  const FeedCursor last(ParseU64((*replies)[0].str));
  read.cursor = cursor;
  if (last == cursor) return read;
  const auto& entries = (*replies)[1].elements;
  // The feed was trimmed past the reader, or the store was reset.
  if (last < cursor || entries.empty() || entries[0].elements.empty() ||
      FeedCursor(ParseU64(entries[0].elements[0].str)) != cursor.Next()) {
    read.reload = true;
    read.cursor = last;
    return read;
  }
  for (const RedisReply& entry : entries) {
    const bool shaped =
        entry.elements.size() >= 2 && entry.elements[1].elements.size() >= 2;
    const auto* fields = shaped ? &entry.elements[1].elements : nullptr;
    // A reload entry, or one this reader cannot follow (written by hand, by
    // another version): read the whole state again rather than stop.
    if (!shaped || (*fields)[0].str == "reload" ||
        !ParseFeedChanges((*fields)[1].str, &read.new_districts, &read.changed)) {
      read.reload = true;
      read.cursor = last;
      return read;
    }
    read.cursor = FeedCursor(ParseU64(entry.elements[0].str));
  }
  return read;
}

bool RedisStore::ParseFeedChanges(std::string_view text,
                                  std::vector<std::string>* districts,
                                  std::vector<EntityRef>* changed) {
  Json changes;
  if (!ParseJson(text, &changes) || !changes.is_object()) return false;
  const auto d = changes.find("d");
  const auto e = changes.find("e");
  if (d == changes.end() || e == changes.end() || !d->is_array() || !e->is_array())
    return false;
  std::vector<std::string> new_districts;
  std::vector<EntityRef> refs;
  for (const Json& id : *d) {
    if (!id.is_string()) return false;
    new_districts.push_back(id.get<std::string>());
  }
  for (const Json& ref : *e) {
    if (!ref.is_array() || ref.size() != 3 || !ref[0].is_string() ||
        !ref[1].is_string() || !ref[2].is_string()) {
      return false;
    }
    std::optional<EntityKind> kind = EntityKindFromName(ref[0].get<std::string>());
    if (!kind) return false;
    refs.push_back({*kind, ref[1].get<std::string>(), ref[2].get<std::string>()});
  }
  districts->insert(districts->end(), new_districts.begin(), new_districts.end());
  changed->insert(changed->end(), refs.begin(), refs.end());
  return true;
}

Result<EntityValues> RedisStore::ReadEntities(const std::vector<EntityRef>& refs) {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::pair<size_t, size_t>> where(refs.size());  // command, index
  std::array<int, kEntityKindCount> command_of;
  command_of.fill(-1);
  for (size_t i = 0; i < refs.size(); ++i) {
    int& c = command_of[static_cast<int>(refs[i].kind)];
    if (c < 0) {
      c = static_cast<int>(commands.size());
      commands.push_back({"HMGET", Key(Info(refs[i].kind).name)});
    }
    where[i] = {static_cast<size_t>(c), commands[c].size() - 2};
    commands[c].push_back(Field(refs[i]));
  }
  EntityValues out;
  out.values.resize(refs.size());
  if (commands.empty()) return out;
  Result<std::vector<RedisReply>> replies = client_->Pipeline(commands);
  if (!replies.ok()) return Context(replies.status(), "read entities of");
  // Parsed on all cores: building nlohmann trees is most of a tick's read
  // (2,000 entities: 9-12 ms on one core, 4-5 ms on two).
  std::vector<char> bad(refs.size(),
                        0);  // not vector<bool>: written from several threads
  ParallelFor(refs.size(), 256, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const RedisReply& value = (*replies)[where[i].first].elements[where[i].second];
      if (value.type != RedisReply::Type::kString) continue;
      Json entity;
      if (ParseJson(value.str, &entity)) {
        out.values[i] = std::move(entity);
      } else {
        bad[i] = 1;
      }
    }
  });
  for (size_t i = 0; i < refs.size(); ++i) {
    if (bad[i] != 0) out.unreadable.push_back(i);
  }
  return out;
}

Result<std::optional<District>> RedisStore::ReadDistrictMeta(const std::string& id) {
  Result<RedisReply> reply = client_->Command({"HGET", Key("districts"), id});
  if (!reply.ok()) return Context(reply.status(), "read districts of");
  if (reply->type != RedisReply::Type::kString) return std::optional<District>();
  District district;
  district.id = id;
  TWIN_RETURN_IF_ERROR(ApplyDistrictMetaJson(reply->str, &district));
  return std::optional<District>(std::move(district));
}

}  // namespace twin
