#!/usr/bin/env bash
# The size and publish time of a state.full per compression codec, on Apache
# Kafka: `twin-publish --once` into a fresh topic per codec and run, the time
# as twin-publish logs it (render, compress, send, until the broker's ack),
# the size as the broker stores it (the partition's log segment on disk, one
# record batch: the compressed value plus about 100 bytes of framing).
#   bazel build //tools/... //bench:twin-gen //testdata:kafka-admin && bench/codec_bench.sh [RUNS]
cd "$(dirname "$0")/.."
source testdata/harness/lib.sh  # start_redis, start_broker, twin_cleanup
twin_use_tools
trap twin_cleanup EXIT
runs=${1:-3}
W=$TWIN_TMP
start_redis
export REDIS_URL=$REDIS_TEST_URL
# Topics large enough for the 10x city under any codec: this measures
# codecs, not the limit (publish_test and the 1 MB tests measure that).
start_broker --partitions 1
export KAFKA_BROKERS=$KAFKA_TEST_BROKERS
for scale in 1 10; do
  redis-cli -p $REDIS_PORT_NUM flushall > /dev/null
  twin-gen city --scale $scale -o $W/city.json
  twin-snapshot load $W/city.json 2> /dev/null || exit 1
  echo "== ${scale}x city, $(stat -c %s $W/city.json) bytes as a document"
  # gzip at librdkafka's default level (-1: zlib's 6), then at 1 and 3.
  for codec in gzip gzip:1 gzip:3 zstd lz4 snappy none; do
    # Uncompressed, the 10x city is past the broker's 64 MB segments.
    [ $scale = 10 ] && [ $codec = none ] && continue
    for run in $(seq "$runs"); do
      topic=full-$scale-${codec/:/-}-$run
      kafka-admin $KAFKA_BROKERS create $topic 1 1 max.message.bytes=200000000 || exit 1
      level=${codec#*:}; [ "$level" = "$codec" ] && level=-1
      twin-publish --once --full-topic $topic -X compression.codec=${codec%:*} \
        -X compression.level=$level -X message.max.bytes=200000000 2> $W/once.log ||
        { cat $W/once.log; exit 1; }
      ms=$(sed -nE 's/.*Published full state, sequence [0-9]+, [0-9]+ bytes, ([0-9]+) ms.*/\1/p' $W/once.log)
      bytes=$(stat -c %s "$KAFKA_TEST_DIR"/node-1/data/$topic-0/00000000000000000000.log)
      printf '  %-6s run %d: %9d bytes stored, %5d ms\n' $codec $run $bytes $ms
    done
  done
done
