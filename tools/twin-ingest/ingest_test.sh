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
ingest() { twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 $TWIN_FAST_GROUP "$@"; }

start_redis
start_broker --partitions 4
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS

# --- The small city, every rule and rejection ------------------------------
twin-snapshot load "$D/city/small-city.json"
twin-replay produce "$D/messages/updates.ndjson"
twin-replay produce "$D/messages/rejects.ndjson"
check "ingest --exit-at-end stops by itself with exit 0" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 $TWIN_FAST_GROUP --group-id g1 \
     --max-message-bytes 4096 --exit-at-end 2> $T/ingest1.log"
# What Kafka holds (it stamps a message produced without a timestamp).
twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/all.ndjson 2>/dev/null
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
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id g1 --exit-at-end 2> $T/ingest2.log;
   grep -q 'stopped after 0 messages' $T/ingest2.log"
check "the log has the effective configuration with the password masked" \
  grep -q "starting: brokers=$KAFKA_BROKERS group=g1 redis=redis://127.0.0.1" $T/ingest1.log

# --- /metrics and /healthz while running; no broker yet at start -----------
# Port 0: the kernel picks a free one and the log names it, so no race with
# other tests for a port.
twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id g2 -b 127.0.0.1:1 2> $T/nobroker.log &
pid=$!
TWIN_PIDS+=($pid)
mport=$(ingest_metrics_port $T/nobroker.log)
sleep 3
check "with no broker it keeps running and says why" bash -c \
  "kill -0 $pid && grep -qi 'connect\|refused\|down' $T/nobroker.log"
kill -0 $pid 2>/dev/null || sed 's/^/  nobroker.log: /' $T/nobroker.log >&2
check "/healthz answers while Redis is fine" bash -c \
  "exec 3<>/dev/tcp/127.0.0.1/$mport && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && grep -q '\"status\":\"ok\"' <&3"
check "unknown paths are a JSON 404" bash -c \
  "exec 3<>/dev/tcp/127.0.0.1/$mport && printf 'GET /nope HTTP/1.0\r\n\r\n' >&3 && cat <&3 | grep -q '404' "
kill -TERM $pid
wait $pid
check "SIGTERM with no broker still exits 0" test $? = 0
# A new group resumes from the store's positions (the end of what g1 read),
# so it counts only what is produced now.
twin-replay produce "$D/messages/updates.ndjson"
twin-replay produce "$D/messages/rejects.ndjson"
twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id g3 2> $T/metrics.log &
pid=$!
TWIN_PIDS+=($pid)
mport=$(ingest_metrics_port $T/metrics.log)
# Poll (bounded) until the group has formed and the messages are counted.
for _ in $(seq 150); do
  curl -s http://127.0.0.1:$mport/metrics > $T/metrics.txt
  grep -q 'outcome="rejected"' $T/metrics.txt && grep -q '^twin_ingest_commits_total [1-9]' $T/metrics.txt && break
  sleep 0.2
done
check "/metrics counts messages by topic and outcome" bash -c \
  "grep -q 'twin_ingest_messages_total{topic=\"transport.gps\",outcome=\"applied\"}' $T/metrics.txt &&
   grep -q 'twin_ingest_messages_total{topic=\"traffic.graph\",outcome=\"rejected\"}' $T/metrics.txt &&
   grep -q '^twin_ingest_flushes_total' $T/metrics.txt && grep -q '^twin_ingest_consumer_lag' $T/metrics.txt"
# Latency histograms for percentiles: each flush and batch counted, the
# +Inf bucket equal to the count.
flushes=$(sed -n 's/^twin_ingest_flushes_total //p' $T/metrics.txt)
check "/metrics has a flush-latency histogram counting every flush" bash -c \
  "grep -q '^twin_ingest_flush_seconds_count $flushes\$' $T/metrics.txt &&
   grep -q '^twin_ingest_flush_seconds_bucket{le=\"+Inf\"} $flushes\$' $T/metrics.txt &&
   grep -q '^twin_ingest_flush_seconds_bucket{le=\"0.001\"} ' $T/metrics.txt &&
   grep -q '^# TYPE twin_ingest_flush_seconds histogram' $T/metrics.txt"
check "/metrics has a batch-latency histogram with at least one batch" bash -c \
  "grep -q '^twin_ingest_batch_seconds_count [1-9]' $T/metrics.txt &&
   grep -q '^twin_ingest_batch_seconds_sum ' $T/metrics.txt"
kill -TERM $pid
wait $pid

twin_summary
