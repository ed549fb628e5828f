#!/usr/bin/env bash
# End-to-end benchmark of twin-ingest: N generated messages (default
# 1,000,000) pre-filled into Apache Kafka (one KRaft node from
# scripts/kafka, 32 partitions per topic), one twin-ingest process from
# partition assignment to the last commit in Redis. Prints throughput,
# CPU, peak RSS, the broker's CPU meanwhile, and batch and flush latency
# percentiles (from the debug log); then checks the state in Redis equals
# a rebuild of the stream.
#   bazel build //tools/... //bench:twin-gen //testdata:kafka-admin && bench/ingest_bench.sh [N]
cd "$(dirname "$0")/.."
source testdata/harness/lib.sh  # start_redis, start_broker, twin_cleanup
set -e
twin_use_tools
trap 'set +e; twin_cleanup' EXIT
N=${1:-1000000}
B=$PWD/bazel-bin
W=$TWIN_TMP
start_redis
start_broker --partitions 32
export KAFKA_BROKERS=$KAFKA_TEST_BROKERS REDIS_URL=$REDIS_TEST_URL
$B/bench/twin-gen city -o $W/city.json
$B/bench/twin-gen stream --messages $N --partitions 32 --bad-share ${BAD_SHARE:-0.01} -o $W/stream.ndjson
$B/tools/twin-snapshot/twin-snapshot load $W/city.json 2>/dev/null
$B/tools/twin-replay/twin-replay produce -X linger.ms=50 -X batch.num.messages=1000 \
  $W/stream.ndjson 2>/dev/null
echo "pre-filled $N messages ($(du -m $W/stream.ndjson | cut -f1) MB of NDJSON) into 32 partitions x 9 topics"
broker_cpu() { awk '{print $14 + $15}' /proc/$BROKER_PID/stat; }  # clock ticks
redis_cpu() { awk '{print $14 + $15}' /proc/$REDIS_PID/stat; }
ticks=$(broker_cpu) rticks=$(redis_cpu)
/usr/bin/time -f "wall %e s, user %U s, sys %S s, CPU %P, peak RSS %M KB" \
  $B/tools/twin-ingest/twin-ingest --metrics 127.0.0.1:0 --log-level debug --group-id bench \
  -X session.timeout.ms=6000 ${INGEST_ARGS:-} --exit-at-end 2> $W/ingest.log || true
tail -1 $W/ingest.log
hz=$(getconf CLK_TCK)
echo "meanwhile the broker used $(python3 -c "print(($(broker_cpu) - $ticks) / $hz)") s of CPU, redis-server $(python3 -c "print(($(redis_cpu) - $rticks) / $hz)") s"
start=$(grep -m1 "assigned" $W/ingest.log | cut -c1-23)
end=$(grep -m1 "stopped after" $W/ingest.log | cut -c1-23)
secs=$(python3 -c "from datetime import datetime as d; f='%Y-%m-%dT%H:%M:%S.%f'; print((d.strptime('$end',f)-d.strptime('$start',f)).total_seconds())")
echo "from partition assignment to the last commit: $secs s = $(python3 -c "print(round($N/$secs))") msg/s"
percentiles() {  # label, sed expression extracting milliseconds
  sed -nE "$2" $W/ingest.log | sort -n | awk -v label="$1" '{a[NR]=$1} END {
    if (NR == 0) { print label ": none"; exit }
    printf "%s (%d): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", label, NR,
      a[int(NR*0.5)+1], a[int(NR*0.9)+1], a[int(NR*0.99)+1], a[NR] }'
}
percentiles "batches of 1000 messages" 's/.*Processed batch of 1000 messages in ([0-9.]+) ms.*/\1/p'
percentiles "flushes" 's/.*flushed [0-9]+ entities in ([0-9.]+) ms.*/\1/p'
$B/tools/twin-replay/twin-replay rebuild --base $W/city.json --input $W/stream.ndjson -o $W/expected.json 2>/dev/null
# The recording names no offsets, so its rebuild has no positions to compare.
$B/tools/twin-snapshot/twin-snapshot save | without_positions | cmp -s - $W/expected.json &&
  echo "final state equals the rebuild" || echo "FINAL STATE DIFFERS"
