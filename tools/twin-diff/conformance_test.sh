#!/usr/bin/env bash
# twin-diff against jsondiffpatch 0.7 (installed by scripts/setup): random
# document pairs, both directions; see conformance/conformance.mjs.
set -uo pipefail
root="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-twin}"
npm_dir=${TWIN_NPM_DIR:-$HOME/.cache/twin-npm}
if [ ! -f "$npm_dir/node_modules/jsondiffpatch/package.json" ]; then
  echo "jsondiffpatch is not installed in $npm_dir: run scripts/setup" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
NODE_PATH="$npm_dir/node_modules" exec node "$root/tools/twin-diff/conformance/conformance.mjs" \
  "$root/tools/twin-diff/twin-diff" "${CONFORMANCE_PAIRS:-400}" "${CONFORMANCE_SEED:-20261126}"
