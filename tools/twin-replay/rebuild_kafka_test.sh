#!/usr/bin/env bash
# twin-replay rebuild from Kafka (no --input) against the local broker and a
# real redis-server: it equals what twin-ingest leaves in Redis for the same
# messages, --to and --base split the stream exactly, --into-redis replaces
# the state atomically, and SIGINT or a lost broker writes nothing.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
D=$TWIN_TESTDATA
# Small fetches make reading slow (seconds for these 20,000 messages) without
# changing what is read: room to interrupt a rebuild part-way.
slow="-X fetch.message.max.bytes=2000 -X queued.max.messages.kbytes=16"

start_redis
start_broker --partitions 4
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS

# A generated stream with bad messages (5%), stale ones (the generator's, plus
# a re-sent slice dated an hour earlier) and exact duplicates.
twin-gen city -o $T/city.json
twin-gen stream --messages 20000 --step-us 1000 --bad-share 0.05 -o $T/stream.ndjson
sed -n '1000,1500p' $T/stream.ndjson | sed 's/T08:00:/T07:00:/g' > $T/stale.ndjson
sed -n '3000,3200p' $T/stream.ndjson > $T/again.ndjson
cat $T/stream.ndjson $T/stale.ndjson $T/again.ndjson > $T/all.ndjson
twin-replay produce $T/all.ndjson 2>/dev/null

twin-snapshot load $T/city.json
check "twin-ingest reads the stream" bash -c \
  "timeout 180 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id svc --exit-at-end 2> $T/ingest.log"
twin-snapshot save -o $T/ingested.json

check "rebuild from Kafka equals what twin-ingest left in Redis" bash -c \
  "twin-replay rebuild --base $T/city.json -o $T/rebuilt.json --summary-json $T/summary.json 2> $T/rebuild.log &&
   cmp $T/rebuilt.json $T/ingested.json"
check "it counted stale and rejected messages" bash -c \
  "grep -q '\"stale\":[1-9]' $T/summary.json && grep -q '\"rejected\":[1-9]' $T/summary.json"
check "Apache Kafka looks the base's time up (offsets-for-times), not the earliest offset" bash -c \
  "grep -q 'looked offsets up by time' $T/rebuild.log && ! grep -q 'cannot look offsets up' $T/rebuild.log"
check "rebuild from Kafka equals rebuild of the recording (which has no offsets)" bash -c \
  "twin-replay rebuild --base $T/city.json --input $T/all.ndjson 2>/dev/null |
   cmp - <(without_positions $T/rebuilt.json)"
check "rebuild --from beginning without a base works from an empty city" bash -c \
  "twin-replay rebuild --from beginning 2>/dev/null | twin-snapshot validate -"
check "the service's group offsets did not move: its restart reads nothing" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id svc --exit-at-end 2> $T/ingest2.log;
   grep -q 'stopped after 0 messages' $T/ingest2.log"

# --- --to and --base split the stream exactly ------------------------------
# The recording's first 10,000 messages end at a millisecond of their own;
# the stale re-sends are dated earlier than it, so they belong to the prefix.
mid=$(sed -n 10000p $T/stream.ndjson | sed -E 's/.*"timestamp":([0-9]+).*/\1/')
check "the cut is clean (the next message is later)" bash -c \
  "sed -n 10001p $T/stream.ndjson | grep -qv '\"timestamp\":$mid,'"
head -n 10000 $T/stream.ndjson > $T/prefix.ndjson
cat $T/stale.ndjson >> $T/prefix.ndjson
check "rebuild --to a time mid-stream equals a rebuild of the stream's prefix" bash -c \
  "twin-replay rebuild --base $T/city.json --to $mid -o $T/mid.json 2>/dev/null &&
   twin-replay rebuild --base $T/city.json --input $T/prefix.ndjson 2>/dev/null | cmp - $T/mid.json"
check "--to cut the state short of the whole" bash -c "! cmp -s $T/mid.json $T/rebuilt.json"
check "--base snapshot plus the rest of the stream equals the whole" bash -c \
  "twin-replay rebuild --base $T/mid.json -o $T/rest.json 2> $T/rest.log && cmp $T/rest.json $T/rebuilt.json"
check "with --base it starts at the base's timestamp, looked up by time" bash -c \
  "grep -q \"starting at the base's timestamp\" $T/rest.log &&
   grep -q 'looked offsets up by time' $T/rest.log"
# The offsets-for-times lookup skips what is before the time, so fewer
# messages are read than the topics hold; the result is still exact.
check "rebuild --from TIME reads fewer messages than the topics hold" bash -c \
  "twin-replay rebuild --base $T/mid.json --from $mid -o $T/from.json 2> $T/from.log &&
   cmp $T/from.json $T/rebuilt.json &&
   read_from=\$(sed -nE 's/.*reading ([0-9]+) messages.*/\\1/p' $T/from.log) &&
   test \$read_from -lt \$(wc -l < $T/all.ndjson)"
# The lines of a capture whose Kafka timestamp is at or after $1.
cat > $T/window.mjs <<'EOF'
import { readFileSync } from "node:fs";
const from = Number(process.argv[2]);
for (const line of readFileSync(process.argv[3], "utf8").split("\n")) {
  if (line && JSON.parse(line).timestamp >= from) console.log(line);
}
EOF
twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/captured-all.ndjson 2>/dev/null
check "capture --from TIME, looked up by time, equals the capture's messages from that time" bash -c \
  "twin-replay capture --topics $TWIN_INPUT_TOPICS --from $mid 2> $T/capfrom.log | sort > $T/capfrom.ndjson &&
   grep -q 'looked offsets up by time' $T/capfrom.log &&
   node $T/window.mjs $mid $T/captured-all.ndjson | sort | cmp - $T/capfrom.ndjson &&
   test -s $T/capfrom.ndjson"
check "a base for another city is refused" expect_exit 1 \
  twin-replay rebuild --base $T/city.json --city-id elsewhere -o $T/never.json
check "... and nothing is written" test ! -e $T/never.json

# --- --base of a saved snapshot resumes from its positions (issue 18, path 5)
# The snapshot holds a bus dated 2099 (a device clock far ahead), so its
# newest lastUpdated is 2099: a rebuild that guessed its start from it
# skipped every later message. The rest of the stream is dated an hour
# later than the first part, so that it changes the state.
printf '%s\n' '{"topic":"transport.gps","partition":0,"key":"bus-2099","value":"{\"busId\":\"bus-2099\",\"currentLocation\":{\"latitude\":42.3,\"longitude\":13.3},\"lastUpdated\":\"2099-01-01T00:00:00.000Z\",\"speed\":1}"}' \
  > $T/future.ndjson
twin-replay produce $T/future.ndjson 2>/dev/null
timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id svc --exit-at-end 2> /dev/null
twin-snapshot save -o $T/snap.json
sed -n '5001,9000p' $T/stream.ndjson | sed 's/T08:0/T09:0/g' > $T/later.ndjson
twin-replay produce $T/later.ndjson 2>/dev/null
timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id svc --exit-at-end 2> /dev/null
twin-snapshot save -o $T/live.json
check "the snapshot records positions and its newest lastUpdated is 2099" bash -c \
  "grep -q '\"kafkaPositions\":{' $T/snap.json && grep -q '\"timestamp\":\"2099-' $T/snap.json"
check "the later messages changed the live state" bash -c "! cmp -s <(without_positions $T/snap.json) <(without_positions $T/live.json)"
check "rebuild --base SNAPSHOT resumes from its positions and equals the live state" bash -c \
  "twin-replay rebuild --base $T/snap.json -o $T/resumed.json 2> $T/resumed.log &&
   grep -q \"resuming the base's\" $T/resumed.log && cmp $T/resumed.json $T/live.json"
check "... reading only the messages after the positions" bash -c \
  "test \"\$(sed -nE 's/.*reading ([0-9]+) messages.*/\\1/p' $T/resumed.log)\" = 4000"
twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/captured-later.ndjson 2>/dev/null
check "... and so does a rebuild of the capture from it (offsets skip what it holds)" bash -c \
  "twin-replay rebuild --base $T/snap.json --input $T/captured-later.ndjson -o $T/resumed-file.json 2>/dev/null &&
   cmp $T/resumed-file.json $T/live.json"
check "twin-snapshot load of the snapshot restores its positions" bash -c \
  "twin-snapshot load $T/snap.json 2> $T/load.log && grep -q 'with the Kafka positions of' $T/load.log &&
   twin-snapshot save | cmp - $T/snap.json"
check "... and twin-ingest resumes from them: it reads exactly the later messages again" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id svc --exit-at-end 2> $T/resume-ingest.log &&
   grep -q 'stopped after 4000 messages' $T/resume-ingest.log && twin-snapshot save | cmp - $T/live.json"
printf '{"cityId":"laquila-dt-001","districts":[],"kafkaPositions":{"traffic.graph":{"0":-4}}}\n' > $T/badpos.json
check "a snapshot with a malformed position is refused, naming it" bash -c \
  "! twin-replay rebuild --base $T/badpos.json -o $T/never2.json 2> $T/badpos.log &&
   grep -q 'kafkaPositions.traffic.graph.0' $T/badpos.log && test ! -e $T/never2.json"

# --- --into-redis ------------------------------------------------------------
twin-snapshot load "$D/city/small-city.json"
check "rebuild --into-redis replaces the city's state" bash -c \
  "twin-replay rebuild --base $T/city.json --into-redis 2>/dev/null &&
   twin-replay rebuild --base $T/city.json -o $T/rebuilt-now.json 2>/dev/null &&
   twin-snapshot save | cmp - $T/rebuilt-now.json"
check "--into-redis and -o together are a usage error" expect_exit 2 \
  twin-replay rebuild --into-redis -o $T/x.json
check "--into-redis with Redis unreachable fails before reading Kafka" bash -c \
  "! twin-replay rebuild --into-redis --redis redis://127.0.0.1:1 2> $T/noredis.log &&
   grep -qi 'redis' $T/noredis.log"

check "an unreachable broker is exit 1 within its timeout, not a hang" expect_exit 1 \
  timeout 60 twin-replay rebuild -b 127.0.0.1:1 -o $T/unreachable.json
check "... naming the broker, and nothing written" bash -c \
  "twin-replay rebuild -b 127.0.0.1:1 -o $T/unreachable.json 2>&1 | grep -q 'from 127.0.0.1:1' &&
   test ! -e $T/unreachable.json"

# --- SIGINT and a lost broker write nothing -----------------------------------
# rebuild_then LOG ACTION ARGS...: starts a slow rebuild with ARGS, runs ACTION
# 1.5 s into it, and returns the rebuild's exit code (a hang is killed after
# 60 s and fails the check that follows).
rebuild_then() {
  local log=$1 action=$2
  shift 2
  twin-replay rebuild --base $T/city.json $slow "$@" 2> "$log" &
  local pid=$!
  sleep 1.5
  eval "$action"
  timeout 60 tail --pid=$pid -f /dev/null
  kill -9 $pid 2>/dev/null
  wait $pid
}
twin-snapshot load "$D/city/small-city.json"
twin-snapshot save -o $T/before.json
rebuild_then $T/sigint-redis.log 'kill -INT $pid' --into-redis
check "SIGINT mid-rebuild exits 130" test $? = 130
check "... and leaves Redis unchanged" bash -c "twin-snapshot save | cmp - $T/before.json"

rebuild_then $T/sigint-file.log 'kill -INT $pid' -o $T/interrupted.json
check "SIGINT mid-rebuild to a file exits 130" test $? = 130
check "... and leaves no output file" bash -c "test ! -e $T/interrupted.json && ! ls $T | grep -q interrupted"

rebuild_then $T/lost.log 'kill -9 $BROKER_PID' -o $T/lost.json
check "a broker lost mid-rebuild is exit 1" test $? = 1
check "... with an error that names Kafka" grep -qi "kafka\|broker" $T/lost.log
check "... and no output file" test ! -e $T/lost.json

twin_summary
