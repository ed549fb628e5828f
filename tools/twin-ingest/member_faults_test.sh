#!/usr/bin/env bash
# Jepsen-style runs of twin-ingest group members against Apache Kafka and a
# real redis-server (issue 18; state-rules.md §4). Each run ends with the
# state, positions included, equal to an independent rebuild of what Kafka
# holds, and prints what it did.
# 1. Two members; one stopped (SIGSTOP) past its session timeout while the
#    traffic for its partitions goes on, then resumed: it writes nothing
#    stale. Which guard stops it depends on a race: librdkafka usually
#    notices its own lost assignment on waking (the revoke then drops its
#    changes); a flush that comes first is refused by the store's fence
#    (store_contract_test shows that refusal on its own).
# 1b. An epoch taken from under a running member (a new owner it has not
#    heard of): its flush is refused, and it recovers on its own.
# 2. SIGTERM to both members close together, again and again, while
#    messages arrive.
# 3. kill -9 of a member at random moments, 20 times in a row, while
#    messages arrive.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
start_broker --partitions 4
start_redis
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
# One stream, cut in three, dated an hour apart, so that each run's messages
# change what the previous ones wrote (the same entities, newer values).
twin-gen stream --messages 60000 --bad-share 0.01 --partitions 4 --seed 21 -o $T/stream.ndjson
sed -n 1,20000p $T/stream.ndjson > $T/run1.ndjson
sed -n 1,20000p $T/stream.ndjson | sed 's/T08:0/T09:0/g' > $T/run2.ndjson
sed -n 1,20000p $T/stream.ndjson | sed 's/T08:0/T10:0/g' > $T/run3.ndjson

# member NAME GROUP [ARGS]: a twin-ingest in the background, log $T/NAME.log
# (appended), pid in $T/NAME.pid.
member() {
  local name=$1 group=$2
  shift 2
  twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 --batch-size 500 $TWIN_FAST_GROUP \
    --group-id "$group" "$@" 2>> "$T/$name.log" &
  echo $! > "$T/$name.pid"
  TWIN_PIDS+=($!)
}
pid() { cat "$T/$1.pid"; }
# drain GROUP: one member reads what is left to the end and stops.
drain() {
  timeout 180 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id "$1" --exit-at-end \
    2>> "$T/drain-$1.log"
}
# same_as_kafka: the state in Redis, positions included, equals the rebuild of
# everything Kafka holds from the city definition.
same_as_kafka() {
  twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/kafka.ndjson 2> /dev/null
  twin-replay rebuild --base $T/city.json --input $T/kafka.ndjson -o $T/expected.json 2> /dev/null
  twin-snapshot save -o $T/actual.json 2> /dev/null
  cmp -s $T/actual.json $T/expected.json
}
assigned() { grep -c 'assigned [0-9]* partitions' "$T/$1.log"; }

# --- 1. a member stalled past its session timeout ---------------------------
twin-snapshot load $T/city.json 2> /dev/null
member a stall
member b stall
for _ in $(seq 100); do
  [ "$(assigned a)" -ge 1 ] && [ "$(assigned b)" -ge 1 ] &&
    grep -q 'assigned 18 partitions' $T/a.log && break
  sleep 0.2
done
twin-replay produce --rate 4000 $T/run1.ndjson 2> /dev/null &
producer=$!
sleep 2
kill -STOP "$(pid a)"
echo "stall: member a stopped with SIGSTOP while traffic goes on"
sleep 9  # past the 6 s session timeout: b takes all partitions
kill -CONT "$(pid a)"
echo "stall: member a resumed after 9 s"
wait $producer
sleep 3
fenced=$(grep -c 'flush fenced' $T/a.log)
lost=$(grep -c 'assignment lost' $T/a.log)
echo "stall: member a's flushes fenced: $fenced; lost assignments dropped: $lost"
check "the stalled member wrote nothing stale: its flush was fenced or its changes dropped" \
  test $((fenced + lost)) -ge 1
for _ in $(seq 150); do [ "$(assigned a)" -ge 2 ] && break; sleep 0.2; done
check "... and it took part again after a new assignment" test "$(assigned a)" -ge 2
kill -TERM "$(pid a)" "$(pid b)"
wait "$(pid a)" "$(pid b)"
drain stall
check "after the stall the state equals the rebuild of what Kafka holds" same_as_kafka

# --- 1b. the fence itself: another holder takes an epoch under a member ----
# As if a new owner had taken a partition while this member has not heard
# of it: its next flush is refused, it drops what is pending and pauses;
# with no new assignment coming, after twice its session timeout it takes
# its partitions back, re-reads and resumes from the store's positions.
sed -n 1,12000p $T/stream.ndjson | sed 's/T08:0/T08:3/g' > $T/run1b.ndjson
member f stall
for _ in $(seq 100); do [ "$(assigned f)" -ge 1 ] && break; sleep 0.2; done
twin-replay produce --rate 1500 $T/run1b.ndjson 2> /dev/null &
producer=$!
sleep 2
redis-cli -p $REDIS_PORT_NUM hincrby 'twin:{laquila-dt-001}:epochs' sensors.traffic:1 1 > /dev/null
for _ in $(seq 100); do grep -q 'flush fenced' $T/f.log && break; sleep 0.2; done
check "a flush under a taken epoch is refused: the member says so and pauses" bash -c \
  "grep -q 'flush fenced: partition sensors.traffic:1 .* is held by a newer member' $T/f.log"
for _ in $(seq 150); do grep -q 'fenced for twice the session timeout' $T/f.log && break; sleep 0.2; done
check "... and with no new assignment, takes its partitions back after twice the session timeout" \
  grep -q 'fenced for twice the session timeout without a new assignment: read the state again' $T/f.log
wait $producer
sleep 2
kill -TERM "$(pid f)"
wait "$(pid f)"
drain stall
check "after the fence the state equals the rebuild of what Kafka holds" same_as_kafka

# --- 2. SIGTERM to both members close together, in a loop --------------------
twin-replay produce --rate 3000 $T/run2.ndjson 2> /dev/null &
producer=$!
rounds=0
while kill -0 $producer 2> /dev/null && [ $rounds -lt 8 ]; do
  member c stall
  member d stall
  sleep "1.$((RANDOM % 10))"
  kill -TERM "$(pid c)"
  sleep "0.0$((RANDOM % 10))"
  kill -TERM "$(pid d)"
  wait "$(pid c)" "$(pid d)"
  rounds=$((rounds + 1))
done
wait $producer
echo "sigterm: $rounds rounds of SIGTERM to both members"
check "the members stopped cleanly every time" bash -c \
  "! grep -q 'could not flush and commit before stopping' $T/c.log $T/d.log"
drain stall
check "after the SIGTERM rounds the state equals the rebuild of what Kafka holds" same_as_kafka

# --- 3. kill -9 at random moments, 20 times in a row --------------------------
# A static member (group.instance.id) rejoins at once after a kill, instead
# of waiting out its session timeout.
twin-replay produce --rate 2000 $T/run3.ndjson 2> /dev/null &
producer=$!
for round in $(seq 20); do
  member e stall -X group.instance.id=e
  sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
  [ $((round % 2)) = 0 ] && sleep 1
  kill -9 "$(pid e)"
  wait "$(pid e)" 2> /dev/null
done
echo "kill9: 20 kill -9s of a member while messages arrive"
wait $producer
drain stall
check "after 20 kill -9s the state equals the rebuild of what Kafka holds" same_as_kafka
check "... every message of the four runs is in Kafka once" test \
  "$(wc -l < $T/kafka.ndjson)" = 72000

cp $T/*.log "${TEST_UNDECLARED_OUTPUTS_DIR:-$T}/" 2> /dev/null
twin_summary
