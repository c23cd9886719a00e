#!/usr/bin/env bash
# The README's test command: install what is missing, then run every test.
# Ends with one line summing every test runner's results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
hash -r
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
just test 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
mismatches=$(grep -Eo 'mismatches=[0-9]+' "$log" | tail -n 1 | cut -d= -f2)
if [ "${mismatches:-0}" != 0 ]; then failed=$((failed + 1)); fi
echo "kubewire: $passed passed, $failed failed"
exit "$status"
