#!/usr/bin/env bash
# twin-snapshot against a real redis-server: load, save, stats, and the
# errors a user meets (bad document, wrong city, wrong password, no server).
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
city="$TWIN_TESTDATA/city/small-city.json"
# The small city, canonical: what rejected messages leave of it, without the
# positions their recording names.
canonical=$T/small-city-canonical.json
without_positions "$TWIN_TESTDATA/golden/rejects.json" > $canonical

start_redis
export REDIS_URL=$REDIS_TEST_URL

check "load a valid city" expect_exit 0 twin-snapshot load "$city"
check "save gives the canonical document" bash -c "twin-snapshot save | cmp - '$canonical'"
check "two saves are identical" bash -c "cmp <(twin-snapshot save) <(twin-snapshot save)"
check "save -o writes a file" bash -c "twin-snapshot save -o $T/saved.json && cmp $T/saved.json '$canonical'"
check "save | validate" bash -c "twin-snapshot save | twin-snapshot validate -"
check "stats from Redis equal stats of the file" bash -c \
  "cmp <(twin-snapshot stats --json) <(twin-snapshot stats --json '$canonical')"

check "an invalid document is refused" expect_exit 1 twin-snapshot load "$TWIN_TESTDATA/city/bad-city.json"
check "and the state is intact" bash -c "twin-snapshot save | cmp - '$canonical'"
echo '{"districts": [' > "$T/truncated.json"
check "a truncated document is refused" expect_exit 1 twin-snapshot load "$T/truncated.json"
check "a document for another city is refused" bash -c \
  "! twin-snapshot load --city-id other '$city' 2> $T/err && grep -q \"for city 'laquila-dt-001', not 'other'\" $T/err"
check "a city definition without cityId loads into --city-id" bash -c \
  "sed 's/\"cityId\": \"laquila-dt-001\",//' '$city' | twin-snapshot load --city-id second - &&
   twin-snapshot save --city-id second | grep -q '\"cityId\":\"second\"'"
check "cities keep apart" bash -c "twin-snapshot save | cmp - '$canonical'"
check "save of an unknown city fails clearly" bash -c \
  "! twin-snapshot save --city-id nowhere 2> $T/err && grep -q \"city 'nowhere' has no state\" $T/err"
check "load from stdin" bash -c "twin-snapshot load - < '$canonical' && twin-snapshot save | cmp - '$canonical'"

# --- two loads at once (issue 18, path 4) ---------------------------------
# Two design-scale cities, loaded by two processes started together, five
# times: each time both succeed (the second waits for the first's lock) and
# the city ends whole as one of them, never a mix or a deletion.
twin-gen city --seed 1 -o $T/city-a.json
twin-gen city --seed 2 -o $T/city-b.json
twin-snapshot load $T/city-a.json && twin-snapshot save -o $T/saved-a.json
twin-snapshot load $T/city-b.json && twin-snapshot save -o $T/saved-b.json
collisions=0
for round in 1 2 3 4 5; do
  twin-snapshot load $T/city-a.json 2> $T/load-a.log & a=$!
  twin-snapshot load $T/city-b.json 2> $T/load-b.log & b=$!
  wait $a; ra=$?
  wait $b; rb=$?
  twin-snapshot save -o $T/after-both.json
  if [ $ra = 0 ] && [ $rb = 0 ] &&
     { cmp -s $T/after-both.json $T/saved-a.json || cmp -s $T/after-both.json $T/saved-b.json; }; then
    collisions=$((collisions + 1))
  fi
done
echo "loads: 5 rounds of two loads at once; $collisions ended whole as one of them"
check "two loads at once both succeed, and the city is whole as one of them (5 rounds)" \
  test $collisions = 5
check "... and no staging key is left behind" test \
  "$(redis-cli -p $REDIS_PORT_NUM --scan --pattern '*staging*' | wc -l)" = 0
twin-snapshot load "$city"

unset REDIS_URL
check "REDIS_HOST and REDIS_PORT are used without REDIS_URL" bash -c \
  "REDIS_HOST=127.0.0.1 REDIS_PORT=$REDIS_PORT_NUM twin-snapshot save | cmp - '$canonical'"
check "--redis wins over the environment" bash -c \
  "REDIS_URL=redis://127.0.0.1:1/0 twin-snapshot --redis $REDIS_TEST_URL save | cmp - '$canonical'"

start_redis --requirepass 's3cret-pw'
check "the right password works" bash -c \
  "twin-snapshot --redis redis://:s3cret-pw@127.0.0.1:$REDIS_PORT_NUM load '$city'"
check "a wrong password fails without showing it" bash -c \
  "! twin-snapshot --redis redis://:not-the-pw@127.0.0.1:$REDIS_PORT_NUM save 2> $T/err &&
   grep -q WRONGPASS $T/err && ! grep -q not-the-pw $T/err"
check "REDIS_PASSWORD works" bash -c \
  "REDIS_PORT=$REDIS_PORT_NUM REDIS_PASSWORD=s3cret-pw twin-snapshot stats > /dev/null"

port=$(twin_free_port)
check "an unreachable Redis is exit 1 with a clear message" bash -c \
  "! twin-snapshot --redis redis://127.0.0.1:$port save 2> $T/err && grep -q 'cannot connect' $T/err"
check "a malformed URL is a clear error" bash -c \
  "! twin-snapshot --redis http://x save 2> $T/err && grep -q 'must start with redis://' $T/err"

twin_summary
