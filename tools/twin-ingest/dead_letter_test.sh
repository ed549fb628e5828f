#!/usr/bin/env bash
# Dead letters never stall twin-ingest (state-rules.md §4), on Apache Kafka
# with topic auto-creation off, as production brokers often have it:
#   - a 1,000,100-byte reject (under the 1 MiB input limit, over librdkafka's
#     default 1,000,000) is dead-lettered whole;
#   - a 1.2 MB reject (over the dead-letter topic's 1 MB limit) cannot be:
#     it is logged, counted, /healthz says degraded, and ingest goes on;
#   - a dead-letter topic that does not exist: the same.
# Each time every good message is applied and every offset committed: a
# restart reads nothing.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
D=$TWIN_TESTDATA
KAFKA_SERVER_PROPERTIES="auto.create.topics.enable=false" start_broker --partitions 4 \
  --topic-config max.message.bytes=3000000
kafka-admin $KAFKA_TEST_BROKERS alter twin.deadletter max.message.bytes=1048588
start_redis
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-snapshot load "$D/city/small-city.json" 2> /dev/null

# A recording: good updates, with the two large rejects among them.
big() {  # big BYTES: a transport.gps value of that many bytes that is not JSON
  printf '{"topic":"transport.gps","partition":0,"key":"bus-big","value":"not json '
  head -c $(($1 - 9)) /dev/zero | tr '\0' x
  printf '"}\n'
}
{
  head -3 "$D/messages/updates.ndjson"
  big 1000100
  sed -n 4,6p "$D/messages/updates.ndjson"
  big 1200000
  tail -n +7 "$D/messages/updates.ndjson"
} > $T/stream.ndjson
check "the stream, with its 1 MB and 1.2 MB messages, is in Kafka" \
  twin-replay produce -X message.max.bytes=3000000 $T/stream.ndjson
total=$(wc -l < $T/stream.ndjson)

# run_until_handled LOG ARGS...: ingest until every message is counted; sets
# MPORT and INGEST_PID (still running).
run_until_handled() {
  local log=$1; shift
  twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 $TWIN_FAST_GROUP "$@" 2> $log &
  INGEST_PID=$!
  TWIN_PIDS+=($INGEST_PID)
  MPORT=$(ingest_metrics_port $log)
  wait_ingested "$MPORT" $total '^twin_ingest_commits_total [1-9]' > /dev/null
}

# --- the dead-letter topic exists, with Kafka's default 1 MB limit -------------
run_until_handled $T/one.log --group-id one --max-message-bytes 1048576
curl -s http://127.0.0.1:$MPORT/healthz > $T/health.json
curl -s http://127.0.0.1:$MPORT/metrics > $T/metrics.txt
check "ingest handled every message and committed" \
  grep -q '^twin_ingest_commits_total [1-9]' $T/metrics.txt
check "the 1.2 MB dead letter is counted as undeliverable, once" \
  grep -q '^twin_ingest_dead_letters_failed_total 1$' $T/metrics.txt
check "... named in the log, with its source and size" \
  grep -q 'dead letter for transport.gps\[0\]@[0-9]* (oversized, 1200000 bytes) cannot be delivered' $T/one.log
check "/healthz says degraded, and why" bash -c \
  "grep -q '\"status\":\"degraded\"' $T/health.json && grep -q 'deadLettersFailed\":1' $T/health.json"
kill -TERM $INGEST_PID; wait $INGEST_PID
check "SIGTERM: exit 0" test $? = 0
twin-replay capture --topics twin.deadletter > $T/dead.ndjson 2> /dev/null
check "the 1,000,100-byte reject is in the dead-letter topic, whole" bash -c \
  "grep -q '\"key\":\"bus-big\"' $T/dead.ndjson && test \$(grep -c 'bus-big' $T/dead.ndjson) = 1 &&
   test \$(grep 'bus-big' $T/dead.ndjson | wc -c) -gt 1000100"
check "a restart reads nothing: every offset, past both rejects, was committed" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id one --exit-at-end 2> $T/one-again.log &&
   grep -q 'stopped after 0 messages' $T/one-again.log"
check "the state equals the rebuild of the same messages" bash -c \
  "twin-replay rebuild --base $D/city/small-city.json --input $T/stream.ndjson 2> /dev/null |
   without_positions | cmp - <(twin-snapshot save | without_positions)"

# --- a dead-letter topic that does not exist ------------------------------------
# The city definition again, without positions: the new group then reads
# from the beginning (the store's positions would start it at the end).
twin-snapshot load "$D/city/small-city.json" 2> /dev/null
run_until_handled $T/two.log --group-id two --dead-letter-topic no.such.topic
# Both rejects are given up on within librdkafka's topic lookup (5 s here).
for _ in $(seq 150); do
  curl -s http://127.0.0.1:$MPORT/metrics > $T/metrics.txt
  grep -q '^twin_ingest_dead_letters_failed_total 2$' $T/metrics.txt &&
    grep -q '^twin_ingest_pending_dead_letters 0$' $T/metrics.txt && break
  sleep 0.2
done
curl -s http://127.0.0.1:$MPORT/healthz > $T/health2.json
commits_then=$(sed -n 's/^twin_ingest_commits_total //p' $T/metrics.txt)
check "with no dead-letter topic, both rejects are counted as undeliverable, none left waiting" bash -c \
  "grep -q '^twin_ingest_dead_letters_failed_total 2$' $T/metrics.txt &&
   grep -q '^twin_ingest_pending_dead_letters 0$' $T/metrics.txt"
check "... the log says it was given up on for the missing topic" \
  grep -q 'cannot be delivered to no.such.topic: .*Unknown topic' $T/two.log
sleep 1.5
check "... and ingest goes on committing" bash -c \
  "test \$(curl -s http://127.0.0.1:$MPORT/metrics | sed -n 's/^twin_ingest_commits_total //p') -gt $commits_then ||
   ! grep -q 'not committing' <(tail -3 $T/two.log)"
check "... and /healthz says degraded" grep -q '"status":"degraded"' $T/health2.json
kill -TERM $INGEST_PID; wait $INGEST_PID
check "... and a restart reads nothing" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id two --dead-letter-topic no.such.topic \
     --exit-at-end 2> $T/two-again.log && grep -q 'stopped after 0 messages' $T/two-again.log"
cp $T/*.log "${TEST_UNDECLARED_OUTPUTS_DIR:-$T}/" 2> /dev/null
twin_summary
