#!/usr/bin/env bash
# twin-ingest under faults, on a generated stream with bad messages: kill -9
# at random moments, Redis killed and restarted, SIGTERM, and two members
# sharing one group. Each time the final state must equal the rebuild of
# what Kafka holds.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP

start_broker --partitions 4
export KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
twin-gen stream --messages 40000 --bad-share 0.02 --partitions 4 --seed 7 -o $T/stream.ndjson
# The first 30,000 now; the last 10,000 while Redis is down (below).
head -30000 $T/stream.ndjson > $T/first.ndjson
tail -n +30001 $T/stream.ndjson > $T/rest.ndjson
twin-replay produce $T/first.ndjson
# expected_state FILE: the rebuild of what Kafka holds now.
expected_state() {
  twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/kafka.ndjson 2>/dev/null
  twin-replay rebuild --base $T/city.json --input $T/kafka.ndjson -o "$1" 2>/dev/null
}
expected_state $T/expected.json
check "the first part of the stream is in Kafka" test "$(wc -l < $T/kafka.ndjson)" = 30000

# Runs twin-ingest in the background with output to $1.log; sets INGEST_PID.
run_ingest() {
  local log=$1; shift
  twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 100 --batch-size 500 $TWIN_FAST_GROUP "$@" 2> "$log" &
  INGEST_PID=$!
}
fresh_city() {  # a Redis with the city loaded; sets REDIS_URL
  start_redis --appendonly yes --appendfsync always
  export REDIS_URL=$REDIS_TEST_URL
  twin-snapshot load $T/city.json
}

# --- kill -9 at random moments, then restart to the end ----------------------
fresh_city
group=crash-$RANDOM
for round in 1 2 3; do
  run_ingest $T/crash-$round.log --group-id $group
  sleep $((4 + RANDOM % 4)).$((RANDOM % 10))
  kill -9 $INGEST_PID
  wait $INGEST_PID 2>/dev/null
done
check "after three kill -9s a restart finishes the stream" bash -c \
  "timeout 180 twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 100 $TWIN_FAST_GROUP --group-id $group --exit-at-end 2> $T/crash-end.log"
check "and the state equals the rebuild (no update lost)" bash -c "twin-snapshot save | cmp - $T/expected.json"

# --- Redis killed and restarted mid-run --------------------------------------
# Ingest reads to the end of what Kafka holds; Redis is killed; the rest of
# the stream arrives while it is down, so flushes fail and ingest must keep
# those changes until Redis is back.
fresh_city
redis_port=$REDIS_PORT_NUM
run_ingest $T/redis.log --group-id redis-$RANDOM
mport=$(for _ in $(seq 100); do sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' $T/redis.log; sleep 0.1; done | head -1)
handled() { curl -s http://127.0.0.1:$mport/metrics | awk '/^twin_ingest_messages_total/ {n += $2} END {print n + 0}'; }
pending() { curl -s http://127.0.0.1:$mport/metrics | sed -n 's/^twin_ingest_pending_entities //p'; }
for _ in $(seq 600); do [ "$(handled)" -ge 30000 ] && [ "$(pending)" = 0 ] && break; sleep 0.1; done
check "ingest read and flushed the first part" test "$(handled)" -ge 30000
kill -9 $REDIS_PID
wait $REDIS_PID 2>/dev/null
twin-replay produce $T/rest.ndjson
for _ in $(seq 600); do [ "$(handled)" -ge 40000 ] && break; sleep 0.1; done
sleep 2
check "it kept its changes while Redis was away" bash -c \
  "grep -q 'flush of .* failed' $T/redis.log && test \$(curl -s http://127.0.0.1:$mport/metrics | sed -n 's/^twin_ingest_pending_entities //p') -gt 0"
redis-server --port $redis_port --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
  --dir "$REDIS_DIR" --logfile "$TWIN_TMP/redis-again.log" &
TWIN_PIDS+=($!)
for _ in $(seq 600); do [ "$(pending)" = 0 ] && break; sleep 0.1; done
kill -TERM $INGEST_PID
wait $INGEST_PID
check "ingest rides out a Redis restart and stops with exit 0" test $? = 0
expected_state $T/expected.json
check "the whole stream is in Kafka now" test "$(wc -l < $T/kafka.ndjson)" = 40000
check "and the state equals the rebuild" bash -c "twin-snapshot save | cmp - $T/expected.json"

# --- SIGTERM: exit 0 after a final flush and commit --------------------------
fresh_city
group=term-$RANDOM
run_ingest $T/term.log --group-id $group
sleep 6
kill -TERM $INGEST_PID
wait $INGEST_PID
check "SIGTERM stops ingest with exit 0" test $? = 0
consumed=$(sed -nE 's/.*stopped after ([0-9]+) messages.*/\1/p' $T/term.log)
check "a restart continues from the final commit" bash -c \
  "timeout 180 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id $group --exit-at-end 2> $T/term2.log &&
   rest=\$(sed -nE 's/.*stopped after ([0-9]+) messages.*/\1/p' $T/term2.log) &&
   test \$(( $consumed + rest )) = 40000"
check "and the state equals the rebuild" bash -c "twin-snapshot save | cmp - $T/expected.json"

# --- Two members in one group -------------------------------------------------
fresh_city
group=pair-$RANDOM
run_ingest $T/pair-a.log --group-id $group --exit-at-end
a=$INGEST_PID
run_ingest $T/pair-b.log --group-id $group --exit-at-end
b=$INGEST_PID
wait $a; ra=$?
wait $b; rb=$?
check "two members both finish with exit 0" test "$ra$rb" = 00
check "they shared the partitions" bash -c \
  "grep -q 'assigned 1[0-9] partitions\|assigned [0-9] partitions\|assigned 2[0-9] partitions' $T/pair-a.log $T/pair-b.log"
check "and the state equals the rebuild" bash -c "twin-snapshot save | cmp - $T/expected.json"

twin_summary
