# Shared helpers for twin's shell integration tests (sourced, not run).
# Each test starts its own servers on free loopback ports and stops them on
# exit, so tests can run in parallel and leave nothing behind.

set -uo pipefail
TWIN_PASSED=0
TWIN_FAILED=0
TWIN_PIDS=()
TWIN_STOP_KAFKA=()
TWIN_TMP=$(mktemp -d "${TEST_TMPDIR:-/tmp}/twin-test.XXXXXX")

twin_cleanup() {
  for pid in "${TWIN_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${TWIN_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for dir in "${TWIN_STOP_KAFKA[@]}"; do "$(twin_script kafka)" stop --dir "$dir"; done
  # TWIN_KEEP_TMP=1 keeps the logs and data for a look after a failure.
  if [ "${TWIN_KEEP_TMP:-0}" = 1 ]; then echo "kept $TWIN_TMP" >&2; else rm -rf "$TWIN_TMP"; fi
}
trap twin_cleanup EXIT

# Puts the built tools on PATH, under Bazel (runfiles) or from a checkout.
twin_use_tools() {
  local root="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-twin}"
  if [ -n "${TEST_SRCDIR:-}" ]; then
    for tool in "$root"/tools/twin-*/twin-* "$root"/bench/twin-gen "$root"/tools/twin-broker/twin-broker \
      "$root"/testdata/kafka-admin; do
      [ -x "$tool" ] && PATH="$(dirname "$tool"):$PATH"
    done
    TWIN_TESTDATA="$root/testdata"
  else
    local top; top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    for dir in "$top"/bazel-bin/tools/twin-* "$top/bazel-bin/bench" "$top/bazel-bin/testdata"; do PATH="$dir:$PATH"; done
    TWIN_TESTDATA="$top/testdata"
  fi
  export PATH TWIN_TESTDATA
}

# twin_use_npm: the npm packages scripts/setup installed (kafkajs,
# jsondiffpatch, playwright-core) on NODE_PATH.
twin_use_npm() { export NODE_PATH="${TWIN_NPM_DIR:-$HOME/.cache/twin-npm}/node_modules"; }

# Ports come from below the kernel's ephemeral range: a port inside it can be
# the local end of another process's outgoing connection at the moment the
# server binds (seen in CI: a metrics port taken by a Kafka client, so the
# server under test exited at start). The probe only sees listeners.
twin_free_port() {
  local port low=32768
  read -r low _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  [ "$low" -gt 12000 ] || low=32768
  while :; do
    port=$((10000 + RANDOM % (low - 10000)))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# start_redis [extra redis-server args...]: sets REDIS_PORT_NUM, REDIS_TEST_URL
# and REDIS_DIR (its own directory: a restarted server must find its own
# AOF, not another's).
start_redis() {
  REDIS_PORT_NUM=$(twin_free_port)
  REDIS_DIR="$TWIN_TMP/redis-$REDIS_PORT_NUM"
  mkdir -p "$REDIS_DIR"
  redis-server --port "$REDIS_PORT_NUM" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$REDIS_DIR" --logfile "$TWIN_TMP/redis-$REDIS_PORT_NUM.log" "$@" &
  REDIS_PID=$!
  TWIN_PIDS+=("$REDIS_PID")
  # Generous: CI runs tests side by side on two cores.
  for _ in $(seq 300); do
    redis-cli -p "$REDIS_PORT_NUM" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$REDIS_PORT_NUM" ping >/dev/null 2>&1 ||
    { echo "redis-server did not start on port $REDIS_PORT_NUM" >&2; exit 1; }
  REDIS_TEST_URL="redis://127.0.0.1:$REDIS_PORT_NUM/0"
}

# check NAME COMMAND...: runs COMMAND; counts a pass if it exits 0.
check() {
  local name=$1; shift
  if "$@"; then
    TWIN_PASSED=$((TWIN_PASSED + 1))
  else
    TWIN_FAILED=$((TWIN_FAILED + 1))
    echo "FAIL: $name" >&2
  fi
}

# expect_exit CODE COMMAND...: true if COMMAND exits with CODE.
expect_exit() {
  local want=$1; shift
  "$@"
  local got=$?
  [ "$got" = "$want" ] || { echo "  exit $got, expected $want: $*" >&2; return 1; }
}

twin_summary() {
  echo "$TWIN_PASSED passed, $TWIN_FAILED failed"
  [ "$TWIN_FAILED" = 0 ]
}

# The nine input topics, the two output topics and the dead-letter topic:
# what start_broker creates, as the mock broker did.
TWIN_TOPICS=(sensors.environmental sensors.traffic buildings.sensors buildings.occupancy
  weather.stations traffic.graph transport.gps transport.stations emergency.incidents
  state.full state.incremental twin.deadletter)
# The nine input topics as twin-ingest's --topics list.
TWIN_INPUT_TOPICS=$(IFS=,; echo "${TWIN_TOPICS[*]:0:9}")
# Consumer settings for tests of group faults: a dead member is noticed in
# seconds, not the default 45.
TWIN_FAST_GROUP="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500"

# twin_script NAME: the path of scripts/NAME, under Bazel or from a checkout.
twin_script() {
  local root="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-twin}"
  if [ -n "${TEST_SRCDIR:-}" ] && [ -x "$root/scripts/$1" ]; then
    echo "$root/scripts/$1"
  else
    echo "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/$1"
  fi
}

# start_broker [--partitions N] [--nodes N] [--topic-config key=value]...:
# Apache Kafka on loopback (scripts/kafka; KRaft, its data under $TWIN_TMP),
# with TWIN_TOPICS created up front. Sets KAFKA_TEST_BROKERS, KAFKA_TEST_DIR
# and BROKER_PID (node 1's pid; kill_broker_node and restart_broker_node
# handle the others). Stopped on exit.
start_broker() {
  local partitions=4 nodes=1 configs=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --partitions) partitions=$2; shift 2 ;;
      --nodes) nodes=$2; shift 2 ;;
      --topic-config) configs+=("$2"); shift 2 ;;
      *) echo "start_broker: unknown argument $1" >&2; exit 1 ;;
    esac
  done
  KAFKA_TEST_DIR="$TWIN_TMP/kafka-$RANDOM"
  KAFKA_TEST_BROKERS=$("$(twin_script kafka)" start --dir "$KAFKA_TEST_DIR" --nodes "$nodes") ||
    { echo "Apache Kafka did not start" >&2; exit 1; }
  TWIN_STOP_KAFKA+=("$KAFKA_TEST_DIR")
  BROKER_PID=$(broker_node_pid 1)
  local rf=1
  [ "$nodes" -ge 3 ] && rf=3
  local topic
  for topic in "${TWIN_TOPICS[@]}"; do
    kafka-admin "$KAFKA_TEST_BROKERS" create "$topic" "$partitions" "$rf" "${configs[@]}" ||
      { echo "could not create topic $topic" >&2; exit 1; }
  done
}

# broker_node_pid I: the pid of node I of the broker start_broker started.
broker_node_pid() { "$(twin_script kafka)" pid --dir "$KAFKA_TEST_DIR" --node "$1"; }

# restart_broker_node I: starts node I again (after a kill -9) and waits for it.
restart_broker_node() {
  "$(twin_script kafka)" restart --dir "$KAFKA_TEST_DIR" --node "$1" ||
    { echo "could not restart Kafka node $1" >&2; exit 1; }
  BROKER_PID=$(broker_node_pid 1)
}

# start_mock_broker [twin-broker args...]: librdkafka's mock cluster, for the
# tests that need what only it can do (injected protocol errors). Sets
# KAFKA_TEST_BROKERS and BROKER_PID.
start_mock_broker() {
  local file="$TWIN_TMP/bootstrap-$RANDOM"
  twin-broker --bootstrap-file "$file" "$@" > /dev/null 2> "$TWIN_TMP/broker.log" &
  BROKER_PID=$!
  TWIN_PIDS+=("$BROKER_PID")
  for _ in $(seq 300); do
    [ -s "$file" ] && break
    sleep 0.1
  done
  [ -s "$file" ] || { echo "twin-broker did not start: $(cat "$TWIN_TMP/broker.log")" >&2; exit 1; }
  KAFKA_TEST_BROKERS=$(cat "$file")
}

# ingest_metrics_port LOG: the port a twin-ingest started with --metrics
# 127.0.0.1:0 logged to LOG (waits up to 10 s; empty if it never did).
ingest_metrics_port() {
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' "$1" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  echo "$port"
}

# wait_ingested PORT N [EXTRA_REGEX]: until the twin-ingest serving /metrics
# on PORT has handled N messages and has no entity left to flush (and its
# /metrics also match EXTRA_REGEX), for at most 120 s. Leaves the last
# /metrics in $TWIN_TMP/metrics.txt; prints the handled count.
wait_ingested() {
  local port=$1 want=$2 extra=${3:-.} handled=0
  for _ in $(seq 600); do
    curl -s "http://127.0.0.1:$port/metrics" > "$TWIN_TMP/metrics.txt"
    handled=$(awk '/^twin_ingest_messages_total/ {n += $2} END {print n + 0}' "$TWIN_TMP/metrics.txt")
    [ "$handled" -ge "$want" ] && grep -q '^twin_ingest_pending_entities 0$' "$TWIN_TMP/metrics.txt" &&
      grep -qE "$extra" "$TWIN_TMP/metrics.txt" && break
    sleep 0.2
  done
  echo "$handled"
}

# same_state A B: the two state documents deep-equal, members in any order,
# without their `timestamp` (a published document carries its publish time,
# a saved one its newest lastUpdated) and `kafkaPositions` (a saved one
# records them, a published one does not). differ_state A B: the opposite.
same_state() {
  node -e 'const fs = require("fs");
    const c = (v) => JSON.stringify(v, (k, x) => x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.keys(x).sort().map((k2) => [k2, x[k2]])) : x);
    const read = (f) => { const d = JSON.parse(fs.readFileSync(f)); delete d.timestamp;
      delete d.kafkaPositions; return c(d); };
    process.exit(read(process.argv[1]) === read(process.argv[2]) ? 0 : 1)' "$1" "$2"
}
differ_state() { ! same_state "$1" "$2"; }

source "$(dirname "${BASH_SOURCE[0]}")/positions.sh"
