#!/usr/bin/env bash
# Run one stage of `make test` and record its outcome for scripts/summary.py:
#   scripts/stage.sh NAME COMMAND...   ->  .cache/results/NAME = "passed 12s" or "failed 12s"
# The exit status is the command's, so `make` stops or goes on (-k) as usual.
set -uo pipefail
name=$1; shift
results="$(cd "$(dirname "$0")/.." && pwd)/.cache/results"
mkdir -p "$results"
start=$(date +%s)
"$@"
rc=$?
outcome=passed; [ "$rc" -eq 0 ] || outcome=failed
echo "$outcome $(( $(date +%s) - start ))s" >"$results/$name"
exit "$rc"
