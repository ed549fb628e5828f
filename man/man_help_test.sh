#!/usr/bin/env bash
# Each man page's OPTIONS section names exactly the options the tool's
# --help (and its subcommands' --help) lists, so the two cannot drift.
set -uo pipefail
root="${TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)/bazel-bin}/${TEST_WORKSPACE:-}"
[ -n "${TEST_SRCDIR:-}" ] || root="$(cd "$(dirname "$0")/.." && pwd)"
bin() { [ -x "$root/tools/$1/$1" ] && echo "$root/tools/$1/$1" || echo "$root/bazel-bin/tools/$1/$1"; }
options() { grep -oE '(^|[ ,*])(--[a-z][a-z0-9-]*|-X)' | sed -E 's/^[ ,*]//' | sort -u; }

passed=0 failed=0
for tool in twin-diff twin-ingest twin-publish twin-replay twin-snapshot; do
  b=$(bin $tool)
  help=$("$b" --help)
  for sub in $(echo "$help" | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF {print $1}'); do
    help+=$'\n'$("$b" "$sub" --help)
  done
  from_help=$(echo "$help" | grep -E '^\s+-' | options)
  page="$root/man/$tool.1.scd"
  from_man=$(sed -n '/^# OPTIONS/,/^# [A-Z]/p' "$page" | grep -E '^\*' | options)
  if [ "$from_help" = "$from_man" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $tool: man page options differ from --help (< help, > man):"
    diff <(echo "$from_help") <(echo "$from_man")
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
