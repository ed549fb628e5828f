#!/usr/bin/env bash
# The systemd units name binaries that exist and flags they accept, and the
# environment file names only variables the tools read.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
dir="${TEST_SRCDIR}/${TEST_WORKSPACE}/scripts/service"
for unit in twin-ingest twin-publish; do
  exec_line=$(sed -n 's/^ExecStart=//p' "$dir/$unit.service")
  tool=$(basename "${exec_line%% *}")
  check "$unit.service runs $unit" test "$tool" = "$unit"
  # Every flag of the unit is in the tool's --help.
  help=$("$tool" --help)
  for flag in $(echo "$exec_line" | grep -oE -- '--[a-z-]+'); do
    check "$unit.service: $flag is a flag of $tool" grep -q -- "$flag" <<<"$help"
  done
  check "$unit.service has an EnvironmentFile" grep -q '^EnvironmentFile=/etc/twin/twin.env' "$dir/$unit.service"
done
# Every variable of the env file is read by some tool (its --help says so).
all_help=$(for t in twin-ingest twin-publish twin-snapshot twin-replay; do "$t" --help; done)
for var in $(sed -nE 's/^#?([A-Z_]+)=.*/\1/p' "$dir/twin.env"); do
  case $var in REDIS_HOST|REDIS_PORT|REDIS_PASSWORD) pattern=REDIS_HOST ;; *) pattern=$var ;; esac
  check "twin.env: $var is read by a tool" grep -q "$pattern" <<<"$all_help"
done
twin_summary
