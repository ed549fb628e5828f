# without_positions [FILE]: a canonical state document without its
# kafkaPositions member (twin-snapshot save and rebuilds from offsets record
# them; a rebuild of a recording without offsets cannot), bytes otherwise
# unchanged. The member sits before "name", which every document has.
# Sourced by lib.sh, by the golden runner (testdata/cli/run_golden.sh) and by
# scripts/install_test.sh; exported, so `bash -c` command lines see it.
without_positions() { sed -E 's/"kafkaPositions":\{[^{}]*(\{[^{}]*\}[^{}]*)*\},//' "$@"; }
export -f without_positions
