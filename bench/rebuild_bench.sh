#!/usr/bin/env bash
# Benchmark of twin-replay rebuild from Kafka: N generated messages (default
# 1,000,000) pre-filled into Apache Kafka (one KRaft node from scripts/kafka,
# 32 partitions per topic), rebuilt onto the design city and written to a
# file. Prints the rate, CPU and peak RSS, the broker's CPU meanwhile, and
# checks the result equals a rebuild of the same recording.
#   bazel build //tools/... //bench:twin-gen //testdata:kafka-admin && bench/rebuild_bench.sh [N]
cd "$(dirname "$0")/.."
source testdata/harness/lib.sh  # start_broker, twin_cleanup
set -e
twin_use_tools
trap 'set +e; twin_cleanup' EXIT  # its kills may find a broker gone
N=${1:-1000000}
B=$PWD/bazel-bin
W=$TWIN_TMP
$B/bench/twin-gen city -o $W/city.json
$B/bench/twin-gen stream --messages $N --partitions 32 --bad-share 0.01 -o $W/stream.ndjson

broker=
fill_broker() {  # a fresh broker, pre-filled with the stream; $@: producer -X options
  if [ -n "$broker" ]; then "$(twin_script kafka)" stop --dir "$KAFKA_TEST_DIR"; fi
  start_broker --partitions 32
  broker=$BROKER_PID
  export KAFKA_BROKERS=$KAFKA_TEST_BROKERS
  $B/tools/twin-replay/twin-replay "$@" produce $W/stream.ndjson 2>/dev/null
}
broker_cpu() { awk '{print $14 + $15}' /proc/$broker/stat; }  # clock ticks
rebuild_runs() {  # $@: run labels
  for run in "$@"; do
    ticks=$(broker_cpu)
    start=$(date +%s.%N)
    /usr/bin/time -f "  wall %e s, user %U s, sys %S s, CPU %P, peak RSS %M KB" \
      $B/tools/twin-replay/twin-replay rebuild --base $W/city.json --from beginning \
      -o $W/rebuilt.json 2> $W/rebuild.log
    end=$(date +%s.%N)
    echo "run $run: $(python3 -c "print(round($N/($end-$start)))") msg/s (whole process, including reading the base and writing the result)"
    tail -1 $W/rebuild.log
    echo "  the broker used $(python3 -c "print(($(broker_cpu) - $ticks) / $(getconf CLK_TCK))") s of CPU meanwhile"
  done
}

# Produced in batches of up to 1,000 messages per partition (linger 50 ms),
# as a producer under load sends them.
fill_broker -X linger.ms=50 -X batch.num.messages=1000
echo "pre-filled $N messages ($(du -m $W/stream.ndjson | cut -f1) MB of NDJSON) into 32 partitions x 9 topics, batched"
rebuild_runs 1 2 3
$B/tools/twin-replay/twin-replay rebuild --base $W/city.json --input $W/stream.ndjson -o $W/expected.json 2>/dev/null
without_positions $W/rebuilt.json | cmp -s - $W/expected.json &&
  echo "the result equals the rebuild of the recording" || echo "RESULT DIFFERS"

# With librdkafka's 5 ms default linger the same messages land as many
# small batches per partition: more record batches for the broker to serve
# and for the consumer to decode. (The mock broker, which found each fetch's
# batch by walking its list, needed seconds of CPU for these.)
fill_broker
echo "the same messages produced with librdkafka's default batching:"
rebuild_runs default

start=$(date +%s.%N)
$B/tools/twin-replay/twin-replay rebuild --base $W/city.json --input $W/stream.ndjson -o $W/expected.json 2>/dev/null
end=$(date +%s.%N)
echo "for comparison, from the NDJSON file: $(python3 -c "print(round($N/($end-$start)))") msg/s"
