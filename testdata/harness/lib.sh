# Shared helpers for twin's shell integration tests (sourced, not run).
# Each test starts its own servers on free loopback ports and stops them on
# exit, so tests can run in parallel and leave nothing behind.

set -uo pipefail
TWIN_PASSED=0
TWIN_FAILED=0
TWIN_PIDS=()
TWIN_TMP=$(mktemp -d "${TEST_TMPDIR:-/tmp}/twin-test.XXXXXX")

twin_cleanup() {
  for pid in "${TWIN_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${TWIN_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$TWIN_TMP"
}
trap twin_cleanup EXIT

# Puts the built tools on PATH, under Bazel (runfiles) or from a checkout.
twin_use_tools() {
  local root="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-twin}"
  if [ -n "${TEST_SRCDIR:-}" ]; then
    for tool in "$root"/tools/twin-*/twin-* "$root"/bench/twin-gen "$root"/tools/twin-broker/twin-broker; do
      [ -x "$tool" ] && PATH="$(dirname "$tool"):$PATH"
    done
    TWIN_TESTDATA="$root/testdata"
  else
    local top; top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    for dir in "$top"/bazel-bin/tools/twin-* "$top/bazel-bin/bench"; do PATH="$dir:$PATH"; done
    TWIN_TESTDATA="$top/testdata"
  fi
  export PATH TWIN_TESTDATA
}

twin_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# start_redis [extra redis-server args...]: sets REDIS_PORT_NUM, REDIS_TEST_URL.
start_redis() {
  REDIS_PORT_NUM=$(twin_free_port)
  redis-server --port "$REDIS_PORT_NUM" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$TWIN_TMP" --logfile "$TWIN_TMP/redis-$REDIS_PORT_NUM.log" "$@" &
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

# start_broker [twin-broker args...]: sets KAFKA_TEST_BROKERS.
start_broker() {
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
