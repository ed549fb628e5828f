#!/usr/bin/env bash
# The package as an operator meets it: scripts/package builds the .deb, then
# a throwaway Debian 12 root (debootstrap, minbase plus systemd and man-db)
# installs it with `dpkg -i` and `apt-get -f install`. Inside that root:
# --help, --version and man work, `systemd-analyze verify` passes on the
# installed units, and both services run as their units run them (the
# unit's ExecStart, its EnvironmentFile, an unprivileged user) against a
# Redis and an Apache Kafka on loopback until a stream is in Redis and
# published. Then `dpkg -r` leaves only the conffile, and `dpkg -P` that too.
#   scripts/install_test.sh        (root; network to deb.debian.org)
# The .debs debootstrap and apt fetch are kept in ~/.cache/twin-debootstrap
# (TWIN_DEBOOTSTRAP_CACHE), so later runs download nothing.
cd "$(dirname "$0")/.."
top=$PWD
source testdata/harness/lib.sh
twin_use_tools
T=$TWIN_TMP
R=$T/root
cache=${TWIN_DEBOOTSTRAP_CACHE:-$HOME/.cache/twin-debootstrap}
mkdir -p "$cache/archives/partial"
mounted=()
unmount_all() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2> /dev/null; done
  mounted=()
}
trap 'unmount_all; twin_cleanup' EXIT

started=$(date +%s)
deb=$(scripts/package -o "$T/dist" 2> "$T/package.log" | tail -1)
check "scripts/package builds a package, lintian reporting no errors" test -f "$deb"
[ -f "$deb" ] || { cat "$T/package.log" >&2; twin_summary; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
echo "package: $(basename "$deb"), $(du -k "$deb" | cut -f1) KB, Depends: $(dpkg-deb -f "$deb" Depends)"
check "the package's Depends came from dpkg-shlibdeps (librdkafka, hiredis, simdjson)" bash -c \
  "dpkg-deb -f '$deb' Depends | grep -q 'librdkafka++1' &&
   dpkg-deb -f '$deb' Depends | grep -q libhiredis && dpkg-deb -f '$deb' Depends | grep -q libsimdjson"
check "twin-broker and the benchmark tools stay out of the package" bash -c \
  "! dpkg-deb -c '$deb' | grep -qE 'twin-broker|twin-gen|kafka-admin|_bench'"

if ! debootstrap --variant=minbase --include=systemd,man-db --cache-dir="$cache" \
    bookworm "$R" http://deb.debian.org/debian > "$T/debootstrap.log" 2>&1; then
  tail -20 "$T/debootstrap.log" >&2
  check "debootstrap made a Debian 12 root" false
  twin_summary
  exit 1
fi
echo "install: a fresh Debian 12 root in $(( $(date +%s) - started )) s (package and debootstrap)"
mount -t proc proc "$R/proc" && mounted+=("$R/proc")
mount --bind "$cache/archives" "$R/var/cache/apt/archives" && mounted+=("$R/var/cache/apt/archives")
cp /etc/resolv.conf "$R/etc/resolv.conf"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

cp "$deb" "$R/tmp/twin.deb"
in_root dpkg -i /tmp/twin.deb > "$T/dpkg-i.log" 2>&1
check "dpkg -i without its libraries stops at the dependencies it names" \
  grep -q 'depends on librdkafka' "$T/dpkg-i.log"
in_root apt-get -q update > "$T/apt.log" 2>&1
in_root apt-get -q -y -f install --no-install-recommends >> "$T/apt.log" 2>&1
check "apt-get -f install brings the libraries and configures twin" bash -c \
  "chroot '$R' dpkg-query -W -f '\${Status} \${Version}' twin | grep -qx 'install ok installed $version'"

check "inside the root, twin-ingest --help works" bash -c \
  "chroot '$R' twin-ingest --help | grep -q -- '--group-id'"
for tool in twin-diff twin-ingest twin-publish twin-replay twin-snapshot; do
  check "inside the root, $tool --version prints the package's version" \
    test "$(in_root $tool --version)" = "$version"
done
check "inside the root, man twin-ingest shows the page" bash -c \
  "chroot '$R' /usr/bin/env MANPAGER=cat COLUMNS=80 man twin-ingest 2> /dev/null | grep -q 'twin-ingest - '"
check "inside the root, man 7 twin shows the page" bash -c \
  "chroot '$R' /usr/bin/env MANPAGER=cat man 7 twin 2> /dev/null | grep -qi 'DEPLOYMENT'"
in_root systemd-analyze verify /lib/systemd/system/twin-ingest.service \
  /lib/systemd/system/twin-publish.service > "$T/verify.log" 2>&1
verify_status=$?
check "systemd-analyze verify passes on the installed units" bash -c \
  "test $verify_status = 0 && ! grep -q 'twin' '$T/verify.log'"
[ -s "$T/verify.log" ] && sed 's/^/  systemd-analyze: /' "$T/verify.log" | head -10

# --- the services, run as their units run them -------------------------------
start_redis
start_broker --partitions 2
# What the operator edits in /etc/twin/twin.env.
sed -i -e "s#^KAFKA_BROKERS=.*#KAFKA_BROKERS=$KAFKA_TEST_BROKERS#" \
  -e "s#^REDIS_URL=.*#REDIS_URL=$REDIS_TEST_URL#" \
  -e "s#^INCREMENTAL_STATE_PUBLISH_INTERVAL_MS=.*#INCREMENTAL_STATE_PUBLISH_INTERVAL_MS=500#" \
  -e "s#^HTTP_ADDR=.*#HTTP_ADDR=127.0.0.1:$(twin_free_port)#" \
  "$R/etc/twin/twin.env"
hport=$(sed -n 's/^HTTP_ADDR=.*://p' "$R/etc/twin/twin.env")
# twin-ingest's unit serves /metrics on 127.0.0.1:9464 (its ExecStart).
if curl -s -o /dev/null http://127.0.0.1:9464/; then
  echo "install: port 9464, the unit's metrics port, is taken; stop what holds it" >&2
  check "the unit's metrics port 9464 is free" false
  twin_summary
  exit 1
fi
# The unit's way: its EnvironmentFile's variables, its ExecStart, and a
# user that owns nothing (DynamicUser=yes).
run_unit() {  # UNIT LOG
  local unit=$R/lib/systemd/system/$1.service exec_start env_file
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  env_file=$(sed -n 's/^EnvironmentFile=//p' "$unit")
  # shellcheck disable=SC2046,SC2086
  chroot --userspec=65534:65534 "$R" /usr/bin/env -i PATH=/usr/bin:/bin \
    $(grep -E '^[A-Z_]+=' "$R$env_file") $exec_start 2> "$2" &
}
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o "$T/city.json"
twin-gen stream --messages 3000 --bad-share 0.01 --partitions 2 --seed 9 -o "$T/stream.ndjson"
twin-snapshot load "$T/city.json" 2> /dev/null
run_unit twin-ingest "$T/ingest.log"; ingester=$!; TWIN_PIDS+=($ingester)
run_unit twin-publish "$T/publish.log"; publisher=$!; TWIN_PIDS+=($publisher)
twin-replay produce "$T/stream.ndjson" 2> /dev/null
ingested() { curl -s http://127.0.0.1:9464/metrics | awk '/^twin_ingest_messages_total/ {n += $2} END {print n + 0}'; }
for _ in $(seq 300); do [ "$(ingested)" -ge 3000 ] && break; sleep 0.2; done
check "twin-ingest, run as its unit, handled the stream (its /metrics on the unit's port)" \
  test "$(ingested)" -ge 3000
for _ in $(seq 100); do
  curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$hport/healthz | grep -q 200 && break
  sleep 0.2
done
check "twin-publish, run as its unit, serves /healthz on the env file's HTTP_ADDR" bash -c \
  "curl -sf http://127.0.0.1:$hport/healthz > /dev/null"
check "twin-publish published, with its latency histograms on /metrics" bash -c \
  "curl -s http://127.0.0.1:$hport/metrics | grep -q '^twin_publish_tick_seconds_count [1-9]'"
check "the processes run as the unprivileged user, not root" bash -c \
  "ps -o user= -p $(pgrep -f -n '^/usr/bin/twin-ingest') | grep -qv root"
kill -TERM $ingester $publisher
wait $ingester; ingest_status=$?
wait $publisher; publish_status=$?
check "both services stop cleanly on SIGTERM (exit 0), as KillSignal asks" \
  test "$ingest_status/$publish_status" = 0/0
twin-replay rebuild --base "$T/city.json" --input "$T/stream.ndjson" -o "$T/expected.json" 2> /dev/null
check "the state the installed twin-ingest stored equals a rebuild of the stream" \
  bash -c "twin-snapshot save | without_positions |
           cmp -s - '$T/expected.json'"  # the recording names no offsets: no positions to compare

# --- removal ---------------------------------------------------------------------
echo "# an operator's edit" >> "$R/etc/twin/twin.env"
in_root dpkg -r twin > "$T/dpkg-r.log" 2>&1
check "dpkg -r removes the tools, man pages and units" bash -c \
  "! ls '$R'/usr/bin/twin-* '$R'/lib/systemd/system/twin-* '$R'/usr/share/man/man1/twin-* 2> /dev/null | grep -q ."
check "dpkg -r keeps the edited conffile /etc/twin/twin.env" grep -q "an operator's edit" "$R/etc/twin/twin.env"
in_root dpkg -P twin > "$T/dpkg-p.log" 2>&1
check "dpkg -P then removes the conffile too" test ! -e "$R/etc/twin/twin.env"
unmount_all
echo "install: the whole test took $(( $(date +%s) - started )) s"
twin_summary
