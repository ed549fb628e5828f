#!/usr/bin/env bash
# twin-publish end to end: twin-ingest consumes a generated stream while
# twin-publish publishes; a jsondiffpatch consumer following both topics
# ends with exactly /api/state and the state in Redis.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
here="${TEST_SRCDIR:+$TEST_SRCDIR/$TEST_WORKSPACE/tools/twin-publish}"
here=${here:-$(cd "$(dirname "$0")" && pwd)}
npm_dir=${TWIN_NPM_DIR:-$HOME/.cache/twin-npm}
fast="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
# GET a path: body to $2, headers to $T/headers; prints the status code.
get() { curl -s -o "$2" -D $T/headers -w '%{http_code}' "http://127.0.0.1:$hport$1"; }
export -f get
export T

start_redis
start_broker --partitions 4
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
twin-gen stream --messages 30000 --bad-share 0.01 --seed 11 -o $T/stream.ndjson
twin-snapshot load $T/city.json

check "--once publishes one state.full and exits 0" bash -c \
  "twin-publish --once --full-topic once.full 2> $T/once.log && grep -q 'Published full state, sequence 1' $T/once.log"

hport=$(twin_free_port)
export hport
twin-publish --http 127.0.0.1:$hport --incremental-interval-ms 400 --full-interval-ms 600000 2> $T/publish.log &
publisher=$!
TWIN_PIDS+=($publisher)
twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 $fast --group-id p 2> $T/ingest.log &
ingester=$!
TWIN_PIDS+=($ingester)
for _ in $(seq 100); do grep -q "Published full" $T/publish.log && grep -q assigned $T/ingest.log && break; sleep 0.1; done
twin-replay produce --rate 3000 $T/stream.ndjson
sleep 3  # ingest catches up
kill -TERM $ingester; wait $ingester
# Compare only once the publisher has caught up: its sequence must stay the
# same over several incremental intervals (slow builds, such as ASan, take
# longer per tick).
previous=-1
for _ in $(seq 60); do
  sleep 1.5
  current=$(curl -s http://127.0.0.1:$hport/metrics | sed -n 's/^twin_publish_sequence //p')
  [ "$current" = "$previous" ] && break
  previous=$current
done
check "/api/state answers with X-Twin-Sequence" bash -c \
  "test \$(get /api/state $T/api.json) = 200 && grep -qi '^X-Twin-Sequence: [0-9]' $T/headers"
twin-snapshot save > $T/saved.json
twin-replay capture --topics state.full,state.incremental > $T/published.ndjson 2>/dev/null
check "a consumer following both topics with jsondiffpatch ends with the published state" \
  env NODE_PATH="$npm_dir/node_modules" node "$here/option2_consumer.mjs" $T/published.ndjson $T/api.json $T/saved.json
check "the log says Published incremental with sizes" grep -q "Published incremental state, sequence .*, delta [0-9]* bytes" $T/publish.log
check "a district by id" bash -c "test \$(get /api/state/districts/district-02 $T/d.json) = 200 && grep -q '\"districtId\":\"district-02\"' $T/d.json"
check "an unknown district is a JSON 404" bash -c "test \$(get /api/state/districts/nope $T/d.json) = 404 && grep -q error $T/d.json"
check "an unknown path is a JSON 404" bash -c "test \$(get /nope $T/n.json) = 404 && grep -q error $T/n.json"
check "transport and emergency routes" bash -c \
  "test \$(get /api/state/publicTransport $T/p.json) = 200 && grep -q buses $T/p.json &&
   test \$(get /api/state/emergencyServices $T/e.json) = 200 && grep -q incidents $T/e.json"
check "/metrics counts publishes" bash -c "test \$(get /metrics $T/m.txt) = 200 && grep -q '^twin_publish_incremental_total' $T/m.txt"
kill -TERM $publisher; wait $publisher
check "SIGTERM stops twin-publish with exit 0" test $? = 0
check "after a final state.full" bash -c "tail -3 $T/publish.log | grep -q 'Published full state'"

twin_summary
