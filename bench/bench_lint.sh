#!/usr/bin/env bash
# Times `aclc lint` on synthetic tailnets and prints milliseconds per rule.
#
#   bench/bench_lint.sh [BUILD_DIR]     (default: build)
#
# Generates 1k devices / 100 rules and 10k devices / 1k rules with
# aclc-gen-tailnet (fixed seed) and lints each policy in the symbolic scope
# (no device list) and with --nodes (symbolic, then the devices that exist).
# Prints wall and CPU time (user+sys, which a busy machine does not inflate)
# and CPU milliseconds per rule against the issue's goal of 15 ms per rule.
# A run longer than BENCH_TIMEOUT seconds (default 600) counts as failed.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${1:-build}
JOBS=${JOBS:-$(nproc)}
GOAL_MS_PER_RULE=15
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}

if [[ ! -f $BUILD/build.ninja && ! -f $BUILD/Makefile ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD" -j "$JOBS" --target aclc aclc-gen-tailnet >/dev/null

WORK=$BUILD/bench-lint
mkdir -p "$WORK"
status=0

# run LABEL RULES ARGS...: lints, prints the figures and the finding count.
run() {
  local label=$1 rules=$2
  shift 2
  local start end wall cpu
  start=$(date +%s%N)
  if ! /usr/bin/time -f "%U %S" -o "$WORK/cpu" timeout "$BENCH_TIMEOUT" \
      "$BUILD/aclc" lint "$@" >"$WORK/out" 2>&1; then
    echo "$label: FAILED"; tail -3 "$WORK/out"; status=1; return
  fi
  end=$(date +%s%N)
  wall=$(( (end - start) / 1000000 ))
  cpu=$(awk '{printf "%d", ($1 + $2) * 1000}' "$WORK/cpu")
  local per=$(( cpu / rules ))
  local findings
  findings=$(grep -c ': warning: rule at ' "$WORK/out" || true)
  printf '%-28s wall %6d ms  cpu %6d ms  %4d ms/rule (goal %d)  %d rule findings\n' \
    "$label" "$wall" "$cpu" "$per" "$GOAL_MS_PER_RULE" "$findings"
  if (( per > GOAL_MS_PER_RULE )); then status=1; fi
}

for size in "1000 100" "10000 1000"; do
  set -- $size
  dir=$WORK/d$1-r$2
  "$BUILD/aclc-gen-tailnet" --devices "$1" --rules "$2" --seed 1 --out "$dir" >/dev/null
  run "lint ${1}d/${2}r symbolic" "$2" "$dir/policy.hujson"
  run "lint ${1}d/${2}r --nodes" "$2" "$dir/policy.hujson" --nodes "$dir/devices.json"
done
exit $status
