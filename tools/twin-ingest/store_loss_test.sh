#!/usr/bin/env bash
# Redis restarted empty (no persistence), on Apache Kafka (issue 18, path 1;
# state-rules.md §4).
# 1. Under a running twin-ingest and twin-publish: ingest finds the city gone
#    at its next flush and, holding the whole city in memory, writes it whole
#    with its positions; twin-publish publishes nothing while the city is
#    missing, and no state.full ever lacks part of the city; the end state
#    equals a rebuild of what Kafka holds.
# 2. While twin-ingest is down: its restart refuses, naming the recovery;
#    after the documented recovery the state equals the rebuild again.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
start_broker --partitions 4
start_redis
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
twin-snapshot load $T/city.json 2> /dev/null
twin-gen stream --messages 30000 --partitions 4 --seed 9 -o $T/stream.ndjson
sed -n 1,10000p $T/stream.ndjson > $T/part1.ndjson
sed -n 10001,20000p $T/stream.ndjson > $T/part2.ndjson
sed -n 20001,30000p $T/stream.ndjson > $T/part3.ndjson
twin-replay produce $T/part1.ndjson 2> /dev/null

# restart_redis_empty: what a Redis without persistence does when it restarts.
restart_redis_empty() {
  redis-cli -p $REDIS_PORT_NUM shutdown nosave > /dev/null 2>&1
  wait $REDIS_PID 2> /dev/null
  redis-server --port $REDIS_PORT_NUM --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$REDIS_DIR" --logfile "$TWIN_TMP/redis-again.log" &
  REDIS_PID=$!
  TWIN_PIDS+=($REDIS_PID)
  for _ in $(seq 100); do redis-cli -p $REDIS_PORT_NUM ping > /dev/null 2>&1 && break; sleep 0.1; done
}
# entity_counts FILE: "districts nodes edges" of a state document: what the
# stream never adds to (a sensor or bus update may create one; an update to an
# unknown edge is rejected), so every whole state has the city's counts.
entity_counts() {
  node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const n = (k) => d.districts.reduce((s, x) => s + ((x.cityGraph || {})[k] || []).length, 0);
    console.log(d.districts.length, n("nodes"), n("edges"))' "$1"
}
export -f entity_counts
city_counts=$(entity_counts $T/city.json)
check "the city has districts, nodes and edges to count" \
  bash -c "read -r d n e <<< '$city_counts' && test \$d -gt 0 -a \$n -gt 0 -a \$e -gt 0"

hport=$(twin_free_port)
twin-publish --http 127.0.0.1:$hport --incremental-interval-ms 300 --full-interval-ms 2000 \
  2> $T/publish.log &
publisher=$!
TWIN_PIDS+=($publisher)
twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 --group-id loss $TWIN_FAST_GROUP 2> $T/ingest.log &
ingester=$!
TWIN_PIDS+=($ingester)
mport=$(ingest_metrics_port $T/ingest.log)
wait_ingested "$mport" 10000 '^twin_ingest_commits_total [1-9]' > /dev/null
echo "loss: the first 10,000 messages are in; Redis restarts empty under ingest and publish"
restart_redis_empty
sleep 1
check "twin-publish publishes nothing while the city is missing, and says why" bash -c \
  "grep -q 'holds no state for city' $T/publish.log"
twin-replay produce $T/part2.ndjson 2> /dev/null
wait_ingested "$mport" 20000 '^twin_ingest_store_rewrites_total [1-9]' > /dev/null
check "twin-ingest kept running and wrote the whole city from memory" bash -c \
  "kill -0 $ingester && grep -q 'wrote the whole city from memory' $T/ingest.log &&
   grep -q '^twin_ingest_store_rewrites_total 1$' $T/metrics.txt"
twin-snapshot save -o $T/rewritten.json 2> /dev/null
check "the store holds the whole city again, with positions" bash -c \
  "test \"\$(entity_counts $T/rewritten.json)\" = '$city_counts' &&
   grep -q '\"kafkaPositions\"' $T/rewritten.json"
for _ in $(seq 100); do
  grep -q 'the city is back in the store' $T/publish.log &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$hport/healthz)" = 200 ] && break
  sleep 0.2
done
check "twin-publish publishes again once the city is back" bash -c \
  "grep -q 'the city is back in the store' $T/publish.log &&
   test \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$hport/healthz) = 200"
kill -TERM $ingester; wait $ingester
check "twin-ingest stops cleanly (exit 0)" test $? = 0
# What twin-publish holds must be the state, not its copy from before the
# loss: the new feed's cursors restart at 1 and catch up with its old one.
for _ in $(seq 50); do
  curl -s http://127.0.0.1:$hport/api/state > $T/published.json
  twin-snapshot save -o $T/saved-now.json 2> /dev/null
  same_state $T/published.json $T/saved-now.json && break
  sleep 0.2
done
check "twin-publish's state is the rewritten city, not its copy from before the loss" \
  same_state $T/published.json $T/saved-now.json
twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/kafka.ndjson 2> /dev/null
twin-replay rebuild --base $T/city.json --input $T/kafka.ndjson -o $T/expected.json 2> /dev/null
check "the state, with its positions, equals the rebuild of what Kafka holds" bash -c \
  "twin-snapshot save | cmp - $T/expected.json"
sleep 2.5  # one more state.full
twin-replay capture --topics state.full > $T/fulls.ndjson 2> /dev/null
# Line by line: on a slow machine the loss lasts long enough for the fulls
# (7.5 MB each) to pass node's 512 MB limit on one string.
node -e 'const fs = require("fs");
  const lines = require("readline").createInterface({ input: fs.createReadStream(process.argv[1]) });
  lines.on("line", (line) => {
    if (!line) return;
    const v = JSON.parse(line).value;  // a JSON payload is recorded as itself
    fs.appendFileSync(process.argv[2], (typeof v === "string" ? v : JSON.stringify(v)) + "\n");
  });' $T/fulls.ndjson $T/full-values.ndjson
: > $T/full-counts.txt
while IFS= read -r doc; do
  printf '%s\n' "$doc" > $T/one-full.json
  entity_counts $T/one-full.json >> $T/full-counts.txt
done < $T/full-values.ndjson
echo "loss: $(wc -l < $T/full-counts.txt) state.full messages published across the loss"
check "no state.full lost part of the city (every one has all districts, nodes and edges)" \
  bash -c "test \$(wc -l < $T/full-counts.txt) -ge 3 &&
           test \$(sort -u $T/full-counts.txt | wc -l) = 1 &&
           test \"\$(sort -u $T/full-counts.txt)\" = '$city_counts'"

echo "loss: Redis restarts empty again, this time while twin-ingest is down"
restart_redis_empty
twin-replay produce $T/part3.ndjson 2> /dev/null
check "a restart of twin-ingest refuses, naming the recovery" bash -c \
  "! timeout 60 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id loss --exit-at-end 2> $T/refused.log &&
   grep -q 'has committed offsets' $T/refused.log && grep -q 'twin-replay rebuild' $T/refused.log"
# (The refused start took its epochs, which is all it wrote.)
check "Redis holds no partial city" test \
  "$(redis-cli -p $REDIS_PORT_NUM --scan --pattern '*' | grep -vc ':epochs$')" = 0
sleep 1
check "... and twin-publish's /healthz is 503" test \
  "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$hport/healthz)" = 503

# The documented recovery: the city definition, then everything Kafka holds.
twin-snapshot load $T/city.json 2> /dev/null
twin-replay rebuild --base $T/city.json --into-redis 2> /dev/null
check "after the recovery twin-ingest starts and reads to the end" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id loss --exit-at-end 2> $T/after.log"
twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/kafka.ndjson 2> /dev/null
twin-replay rebuild --base $T/city.json --input $T/kafka.ndjson -o $T/expected.json 2> /dev/null
check "the state equals the rebuild of what Kafka holds" bash -c "twin-snapshot save | cmp - $T/expected.json"
kill -TERM $publisher; wait $publisher
cp $T/*.log "${TEST_UNDECLARED_OUTPUTS_DIR:-$T}/" 2> /dev/null
twin_summary
