#!/usr/bin/env bash
# Golden tests of the command line: each folder under testdata/cli/ holds
#   cmd     a shell command line, run in testdata/ with the twin tools on PATH
#   stdout  the expected standard output
#   stderr  (optional) the expected standard error, log timestamps removed
#   exit    the expected exit code
# With UPDATE_GOLDEN=1 the expected files are rewritten from what the tools
# do now (scripts/update-golden); review the diff before committing.
set -u
testdata=${TESTDATA_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -n "${RUNFILES_DIR:-}" ] || [ -n "${TEST_SRCDIR:-}" ]; then
  root="${TEST_SRCDIR:-$RUNFILES_DIR}/${TEST_WORKSPACE:-twin}"
  testdata="$root/testdata"
  for tool in "$root"/tools/twin-*/twin-*; do PATH="$(dirname "$tool"):$PATH"; done
fi
for dir in ${TOOL_DIRS:-}; do PATH="$dir:$PATH"; done
export PATH
source "$testdata/harness/positions.sh"  # without_positions, for cmd lines
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
strip_log_prefix() { sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z //'; }

passed=0 failed=0
for case_dir in "$testdata"/cli/*/; do
  name=$(basename "$case_dir")
  (cd "$testdata" && WORK="$work" bash -c "$(cat "$case_dir/cmd")") \
    >"$work/stdout" 2>"$work/stderr.raw"
  code=$?
  strip_log_prefix <"$work/stderr.raw" >"$work/stderr"
  if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$work/stdout" "$case_dir/stdout"
    echo "$code" >"$case_dir/exit"
    [ -f "$case_dir/stderr" ] && cp "$work/stderr" "$case_dir/stderr"
    echo "updated $name"
    continue
  fi
  ok=1
  [ "$code" = "$(cat "$case_dir/exit")" ] || { echo "FAIL $name: exit $code, expected $(cat "$case_dir/exit")"; ok=0; }
  diff -u "$case_dir/stdout" "$work/stdout" >"$work/diff" || { echo "FAIL $name: stdout differs"; head -40 "$work/diff"; ok=0; }
  if [ -f "$case_dir/stderr" ]; then
    diff -u "$case_dir/stderr" "$work/stderr" >"$work/diff" || { echo "FAIL $name: stderr differs"; head -40 "$work/diff"; ok=0; }
  fi
  if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); cat "$work/stderr.raw" | head -5; fi
done
echo "golden: $passed passed, $failed failed"
[ "$failed" = 0 ]
