#!/usr/bin/env bash
# The live view (GET /) in a real browser, and /api/stream on the wire.
#   1. /api/stream by itself (curl): the hello, incremental events with the
#      changed entities and their sequence ids, a "full" event after a
#      state.full, a reconnect with Last-Event-ID told whether it missed
#      anything, and a client that stops reading dropped (counted) while
#      another keeps up.
#   2. live_view_browser.mjs: Debian's chromium with playwright-core against
#      twin-publish at design scale with twin-ingest and live traffic; it
#      asserts through the page's state and saves a screenshot
#      (live-view.png among the test's outputs).
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
here="${TEST_SRCDIR:+$TEST_SRCDIR/$TEST_WORKSPACE/tools/twin-publish}"
here=${here:-$(cd "$(dirname "$0")" && pwd)}
twin_use_npm
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$T}

start_redis
start_broker --partitions 2
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
twin-gen stream --messages 60000 --bad-share 0 --partitions 2 --seed 21 -o $T/stream.ndjson
twin-gen stream --messages 40000 --bad-share 0 --partitions 2 --seed 22 -o $T/live.ndjson
twin-snapshot load $T/city.json 2> /dev/null

hport=$(twin_free_port)
start_publisher() {
  twin-publish --http 127.0.0.1:$hport --incremental-interval-ms 1000 --full-interval-ms 600000 \
    "$@" 2>> $T/publish.log &
  publisher=$!
  TWIN_PIDS+=($publisher)
  for _ in $(seq 300); do curl -sf -o /dev/null http://127.0.0.1:$hport/healthz && break; sleep 0.1; done
}
# The stalled client below: the kernel takes up to about 4 MB for it
# (tcp_wmem) before its queue grows, and the server's writer holds one
# drained batch (up to the bound and an event) while it blocks; so it is
# dropped only past about 8 MB of events. 60,000 messages make 12-16 MB
# (30,000, at 6-8 MB, failed once in CI), while a client that reads keeps
# up with a 1 MB bound.
start_publisher --stream-queue-bytes 1000000
twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 --group-id live $TWIN_FAST_GROUP 2> $T/ingest.log &
TWIN_PIDS+=($!)
metric() { curl -s http://127.0.0.1:$hport/metrics | sed -n "s/^$1 //p"; }

# --- 1. /api/stream on the wire -------------------------------------------------
seq0=$(metric twin_publish_sequence)
curl -sN --max-time 24 http://127.0.0.1:$hport/api/stream > $T/sse.txt &
reader=$!
# A client that connects and never reads: its socket buffers fill, then its
# queue passes --stream-queue-bytes and it is dropped.
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(40)' $hport &
stalled=$!
TWIN_PIDS+=($reader $stalled)
sleep 1
twin-replay produce --rate 5000 $T/stream.ndjson 2> /dev/null
wait $reader
check "/api/stream starts with a hello naming the last sequence" bash -c \
  "grep -m1 '^data:' $T/sse.txt | grep -q '{\"sequence\":$seq0,\"missed\":false}'"
check "/api/stream sends incremental events, each with its sequence as the SSE id" bash -c \
  "grep -A1 '^id: ' $T/sse.txt | grep -c '^event: incremental' | grep -qv '^0$' &&
   awk '/^id: / {id=\$2} /^data: .*\"sequence\":/ && /incremental|previousSequence/ {
          match(\$0, /\"sequence\":[0-9]+/); s=substr(\$0, RSTART+11, RLENGTH-11); if (s != id) bad=1 }
        END {exit bad}' $T/sse.txt"
check "an incremental event carries changed entities' new values by kind" bash -c \
  "grep '^data: {\"sequence\":[0-9]*,\"previousSequence\"' $T/sse.txt | head -1 |
   sed 's/^data: //' | node -e 'const e = JSON.parse(require(\"fs\").readFileSync(0));
     const kinds = Object.keys(e.changed); process.exit(kinds.length > 0 &&
     e.changed[kinds[0]][0].value && e.previousSequence === e.sequence - 1 ? 0 : 1)'"
last=$(metric twin_publish_sequence)
check "a reconnect with the last Last-Event-ID is told it missed nothing" bash -c \
  "curl -sN --max-time 2 -H 'Last-Event-ID: $last' http://127.0.0.1:$hport/api/stream |
   grep -q '\"missed\":false'"
check "a reconnect with an older Last-Event-ID is told it missed something" bash -c \
  "curl -sN --max-time 2 -H 'Last-Event-ID: $((last - 1))' http://127.0.0.1:$hport/api/stream |
   grep -q '\"missed\":true'"
check "a client that stopped reading was dropped and counted, not buffered" bash -c \
  "test \"\$(curl -s http://127.0.0.1:$hport/metrics | sed -n 's/^twin_publish_stream_dropped_total //p')\" -ge 1"
kill $stalled 2> /dev/null
# A state.full: the one twin-publish sends as it stops is announced too.
curl -sN --max-time 20 http://127.0.0.1:$hport/api/stream > $T/sse-full.txt &
reader=$!
sleep 1
kill -TERM $publisher; wait $publisher
wait $reader
check "a state.full is announced as a 'full' event telling the client to re-read" bash -c \
  "grep -A1 '^event: full' $T/sse-full.txt | grep -q '\"reread\":true'"
check "the stream ends when twin-publish stops" bash -c "tail -c 200 $T/sse-full.txt | grep -q 'event: full'"

# --- 2. the live view in chromium ------------------------------------------------
start_publisher
cat > $T/produce.sh <<EOS
twin-replay produce "\$1" 2> /dev/null
EOS
cat > $T/restart.sh <<EOS
if [ "\$1" = stop ]; then kill -TERM \$(cat $T/publisher.pid); sleep 2; else
  twin-publish --http 127.0.0.1:$hport --incremental-interval-ms 1000 > /dev/null 2>> $T/publish.log &
  echo \$! > $T/publisher.pid
  for _ in \$(seq 300); do curl -sf -o /dev/null http://127.0.0.1:$hport/healthz && break; sleep 0.1; done
fi
EOS
echo $publisher > $T/publisher.pid
twin-replay produce --rate 2000 $T/live.ndjson 2> /dev/null &
TWIN_PIDS+=($!)
node "$here/live_view_browser.mjs" "http://127.0.0.1:$hport/" $T > $T/browser.log 2>&1
browser_status=$?
grep -E '^(live-view|FAIL)' $T/browser.log
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' $T/browser.log | tail -1)
if [ -n "$line" ]; then
  TWIN_PASSED=$((TWIN_PASSED + ${line%% passed*}))
  TWIN_FAILED=$((TWIN_FAILED + $(sed -E 's/.* ([0-9]+) failed/\1/' <<< "$line")))
else
  tail -20 $T/browser.log
fi
check "the browser test ran to its end" test $browser_status = 0 -o -n "$line"
cp $T/live-view.png $T/browser.log "$out/" 2> /dev/null
check "a screenshot of the live view was saved" test -s "$out/live-view.png"
kill $(cat $T/publisher.pid) 2> /dev/null
twin_summary
