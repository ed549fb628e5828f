#!/usr/bin/env bash
# twin-publish: time of an incremental tick (from the start of the tick to
# the broker's acknowledgement, as twin-publish logs it) after N changed
# entities, at 1x and 10x the design city; and a full publish.
#   bazel build //tools/... //bench:twin-gen && bench/publish_bench.sh [twin-publish options]
# With --follow-interval-ms 0 the publisher reads the feed only at ticks:
# the tick's worst case, every change arriving just before it.
cd "$(dirname "$0")/.."
source testdata/harness/lib.sh  # start_redis, start_broker, twin_cleanup
twin_use_tools
trap twin_cleanup EXIT
B=$PWD/bazel-bin
W=$TWIN_TMP
start_redis
export REDIS_URL=$REDIS_TEST_URL
for scale in 1 10; do
  # A fresh broker and one ingest group per scale: each run reads only its
  # own new messages.
  start_broker --partitions 16 --topic-config max.message.bytes=200000000
  broker=$BROKER_PID
  export KAFKA_BROKERS=$KAFKA_TEST_BROKERS
  redis-cli -p $REDIS_PORT_NUM flushall > /dev/null
  $B/bench/twin-gen city --scale $scale -o $W/city.json
  $B/tools/twin-snapshot/twin-snapshot load $W/city.json || exit 1
  $B/tools/twin-publish/twin-publish --http 127.0.0.1:0 --incremental-interval-ms 3000 \
    --full-interval-ms 600000 -X message.max.bytes=200000000 --log-level debug "$@" \
    2> $W/publish-$scale.log &
  publisher=$!
  TWIN_PIDS+=($publisher)
  for _ in $(seq 1200); do grep -q "Published full" $W/publish-$scale.log && break; sleep 0.1; done
  echo "== ${scale}x city ($(du -m $W/city.json | cut -f1) MB): $(grep -o 'Published full state.*' $W/publish-$scale.log | head -1)"
  for n in 500 5000 50000; do
    $B/bench/twin-gen stream --scale $scale --messages $n --bad-share 0 --partitions 16 --seed $n -o $W/s.ndjson
    $B/tools/twin-replay/twin-replay produce $W/s.ndjson 2>/dev/null
    before=$(grep -c "Published incremental" $W/publish-$scale.log)
    lines=$(wc -l < $W/publish-$scale.log)
    # One flush at the end: the next tick sees all n messages' changes.
    $B/tools/twin-ingest/twin-ingest --metrics 127.0.0.1:0 --group-id g-$scale \
      --flush-interval-ms 600000 -X session.timeout.ms=6000 --exit-at-end 2>/dev/null
    for _ in $(seq 600); do
      [ "$(grep -c 'Published incremental' $W/publish-$scale.log)" -gt "$before" ] && break
      sleep 0.1
    done
    echo "  $n messages: $(grep -o 'Published incremental.*' $W/publish-$scale.log | tail -1)"
    echo "    $(grep -o 'incremental tick:.*' $W/publish-$scale.log | tail -1)"
    # Work done before the tick, as the changes came: reading the feed and
    # diffing the changed entities.
    tail -n +$((lines + 1)) $W/publish-$scale.log | grep -o 'between ticks:.*' |
      awk '{feed += $4; n += $6; deltas += $9} END {
        printf "    between ticks, before it: feed %.1f ms, %d entity deltas %.1f ms\n", feed, n, deltas}'
  done
  kill -TERM $publisher; wait $publisher
  "$(twin_script kafka)" stop --dir "$KAFKA_TEST_DIR"
done
