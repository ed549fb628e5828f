#!/usr/bin/env bash
# scripts/demo --duration 20 from a fresh start: it exits 0, the state in
# Redis changed, incremental messages were published, and no process it
# started is left running.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
demo="${TEST_SRCDIR}/${TEST_WORKSPACE}/scripts/demo"
unset KAFKA_BROKERS REDIS_URL
# 20 s as CI asks; an ASan build is several times slower, so longer there.
duration=20
[ -n "${ASAN_OPTIONS:-}" ] && duration=60
timeout 300 "$demo" --duration $duration --no-setup --no-build > $TWIN_TMP/demo.out 2>&1
code=$?
check "demo --duration $duration exits 0" test $code = 0
check "the first line is the live view's address" bash -c \
  "head -1 $TWIN_TMP/demo.out | grep -qE '^demo: live view of the city at http://127.0.0.1:[0-9]+/ '"
check "messages were consumed" grep -qE "summary: [1-9][0-9]* messages consumed" $TWIN_TMP/demo.out
check "incremental messages were published" grep -qE ", [1-9][0-9]* incremental messages published" $TWIN_TMP/demo.out
check "the state in Redis changed" grep -q "state in Redis changed: yes" $TWIN_TMP/demo.out
check "no process it started is left running" grep -q "processes left running: none" $TWIN_TMP/demo.out
[ $TWIN_FAILED = 0 ] || tail -30 $TWIN_TMP/demo.out
twin_summary
