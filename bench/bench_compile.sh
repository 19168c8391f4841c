#!/usr/bin/env bash
# Times `aclc compile` and `aclc check` on synthetic tailnets.
#
#   bench/bench_compile.sh [BUILD_DIR]     (default: build)
#
# Generates 1k devices / 100 rules and 10k devices / 1k rules with
# aclc-gen-tailnet (fixed seed), then runs each command once and prints its
# wall time and peak resident memory (from /usr/bin/time -v, package `time`).
# The goal is < 1 s and < 500 MB for each command at 10k/1k. Exits non-zero
# if a command fails or a goal is missed. A command that runs longer than
# BENCH_TIMEOUT seconds (default 120) is stopped and counted as failed.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${1:-build}
JOBS=${JOBS:-$(nproc)}
GOAL_SECONDS=1
GOAL_MB=500
BENCH_TIMEOUT=${BENCH_TIMEOUT:-120}

if [[ ! -x /usr/bin/time ]]; then
  echo "bench: /usr/bin/time missing; run scripts/setup.sh" >&2
  exit 1
fi
if [[ ! -f $BUILD/build.ninja && ! -f $BUILD/Makefile ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" -j "$JOBS" --target aclc aclc-gen-tailnet >/dev/null

WORK=$BUILD/bench
mkdir -p "$WORK"
status=0

# measure LABEL SIZE COMMAND...: runs the command with stdout discarded and
# prints one line of figures; at 10k/1k checks them against the goal.
measure() {
  local label=$1 size=$2
  shift 2
  local log=$WORK/time.log start end ms kb mb
  start=$(date +%s%N)
  local rc=0
  # timeout runs under time, so the peak RSS is that of the command itself
  # (time reports the largest of its waited-for descendants).
  /usr/bin/time -v -o "$log" timeout "$BENCH_TIMEOUT" "$@" >/dev/null 2>"$WORK/stderr.log" || rc=$?
  if ((rc == 124)); then
    printf '%-8s %-24s  stopped after %d s  GOAL MISSED\n' "$size" "$label" "$BENCH_TIMEOUT"
    status=1
    return
  elif ((rc != 0)); then
    printf '%-8s %-24s  FAILED (exit %d):\n' "$size" "$label" "$rc"
    head -n 20 "$WORK/stderr.log"
    status=1
    return
  fi
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  mb=$((kb / 1024))
  local verdict=""
  if [[ $size == 10k/1k ]]; then
    if ((ms < GOAL_SECONDS * 1000 && mb < GOAL_MB)); then
      verdict="goal met"
    else
      verdict="GOAL MISSED"
      status=1
    fi
  fi
  printf '%-8s %-24s %8d ms %8d MB  %s\n' "$size" "$label" "$ms" "$mb" "$verdict"
}

echo "goal at 10k devices / 1k rules: each command < ${GOAL_SECONDS} s and < ${GOAL_MB} MB peak RSS"
printf '%-8s %-24s %11s %11s\n' size command "wall" "peak RSS"
for spec in "1000 100 1k/100" "10000 1000 10k/1k"; do
  read -r devices rules size <<<"$spec"
  dir=$WORK/tailnet-$devices-$rules
  "$BUILD/aclc-gen-tailnet" --devices "$devices" --rules "$rules" --seed 1 --out "$dir" >/dev/null
  measure "compile --format tailcfg" "$size" \
    "$BUILD/aclc" compile "$dir/policy.hujson" --nodes "$dir/devices.json" --format tailcfg
  measure "check" "$size" \
    "$BUILD/aclc" check "$dir/policy.hujson" --nodes "$dir/devices.json"
done
exit $status
