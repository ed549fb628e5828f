#!/usr/bin/env bash
# twin-replay produce and capture against Apache Kafka on loopback,
# and rebuild from a capture.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
D=$TWIN_TESTDATA

start_broker --partitions 4
export KAFKA_BROKERS=$KAFKA_TEST_BROKERS
check "the broker wrote its bootstrap list" test -n "$KAFKA_BROKERS"

check "produce a recording" twin-replay produce "$D/messages/updates.ndjson"
check "capture it back" bash -c "twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/captured.ndjson"
check "every message came back" test "$(wc -l < $T/captured.ndjson)" = 15
check "a rebuild of the capture equals the rebuild of the recording" bash -c \
  "twin-replay rebuild --base '$D/city/small-city.json' --input $T/captured.ndjson 2>/dev/null |
   without_positions | cmp - <(without_positions '$D/golden/updates.json')"
check "... and records the capture's positions" bash -c \
  "twin-replay rebuild --base '$D/city/small-city.json' --input $T/captured.ndjson 2>/dev/null |
   grep -q '\"kafkaPositions\":{'"
check "capture and produce round-trip" bash -c \
  "sed -E 's/,\"offset\":[0-9]+//' $T/captured.ndjson | sort > $T/a &&
   twin-replay produce $T/captured.ndjson -b $KAFKA_BROKERS &&
   twin-replay capture --topics $TWIN_INPUT_TOPICS | sed -E 's/,\"offset\":[0-9]+//' | sort > $T/b &&
   sort $T/a $T/a | cmp - $T/b"
check "capture --from/--to keeps the window" bash -c \
  "test \$(twin-replay capture --topics transport.gps --from 2025-12-08T10:06:00.500Z --to end 2>/dev/null | wc -l) = 2"
check "-X passes librdkafka properties through" bash -c \
  "twin-replay produce -X compression.type=zstd '$D/messages/stale.ndjson'"
check "an unknown -X property fails clearly" expect_exit 1 \
  twin-replay produce -X no.such.property=1 "$D/messages/stale.ndjson"
check "a malformed -X is a usage error" expect_exit 2 twin-replay capture -X oops --topics a
check "an unreachable broker is exit 1, not a hang" bash -c \
  "! timeout 60 twin-replay produce -b 127.0.0.1:1 -X message.timeout.ms=1500 '$D/messages/stale.ndjson' 2> $T/err && grep -q 'failed\|not acknowledged' $T/err"
# Once for the whole suite: the broker the tests use is Apache Kafka, not
# librdkafka's mock, which has no DescribeConfigs (so the swap cannot
# quietly go back).
check "the test broker is Apache Kafka in KRaft mode (DescribeConfigs answers)" bash -c \
  "kafka-admin $KAFKA_BROKERS describe-broker > $T/broker.txt &&
   grep -q '^process.roles=broker,controller$' $T/broker.txt"
start_mock_broker --partitions 1
check "... which the mock cannot answer, so the check tells them apart" bash -c \
  "! timeout 60 kafka-admin $KAFKA_TEST_BROKERS describe-broker 2> /dev/null"
kill -TERM "$BROKER_PID"
wait "$BROKER_PID"
check "the mock broker (twin-broker) stops on SIGTERM with exit 0" test $? = 0

twin_summary
