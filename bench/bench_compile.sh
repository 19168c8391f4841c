#!/usr/bin/env bash
# Times `aclc compile --format tailcfg` (and `aclc check`) on synthetic
# tailnets, phase by phase and end to end.
#
#   bench/bench_compile.sh [BUILD_DIR]     (default: build)
#
# Generates 1k devices / 100 rules and 10k devices / 1k rules with
# aclc-gen-tailnet (seed 1), in the realistic shape and in the worst-case
# shape (SHAPES, default "realistic worst"), then prints:
#   * aclc-bench-compile-phases: load (parse + validate + lower), compile
#     (every device's filter), serialise (the JSON, to nowhere, and its
#     bytes), each with the peak memory so far;
#   * the whole `aclc compile --format tailcfg > /dev/null` and `aclc check`,
#     wall time and peak resident memory (/usr/bin/time -v, package `time`),
#     and at 10k/1k the ratio to the goal: < 1 s and < 500 MB on one core.
# Exits non-zero if a command fails, or if the realistic 10k/1k compile
# misses the goal (the worst case and check are reported, not judged). A
# command that runs longer than BENCH_TIMEOUT seconds (default 120) is
# stopped and reported.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${1:-build}
JOBS=${JOBS:-2}
SHAPES=${SHAPES:-"realistic worst"}
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
cmake --build "$BUILD" -j "$JOBS" --target aclc aclc-gen-tailnet aclc-bench-compile-phases >/dev/null

WORK=$BUILD/bench
mkdir -p "$WORK"
status=0

# Whether a figure decides the exit status: the realistic compile only.
judged() { [[ $1 == realistic && $2 == compile* ]]; }

# measure SHAPE SIZE LABEL COMMAND...: runs the command with stdout
# discarded and prints one line of figures; at 10k/1k adds the ratios to
# the goal.
measure() {
  local shape=$1 size=$2 label=$3
  shift 3
  local log=$WORK/time.log start end ms kb mb rc=0
  start=$(date +%s%N)
  # timeout runs under time, so the peak RSS is that of the command itself
  # (time reports the largest of its waited-for descendants).
  /usr/bin/time -v -o "$log" timeout "$BENCH_TIMEOUT" "$@" >/dev/null 2>"$WORK/stderr.log" || rc=$?
  end=$(date +%s%N)
  if ((rc == 124)); then
    printf '%-9s %-7s %-26s  stopped after %d s\n' "$shape" "$size" "$label" "$BENCH_TIMEOUT"
    if judged "$shape" "$label"; then status=1; fi
    return 0
  elif ((rc != 0)); then
    printf '%-9s %-7s %-26s  FAILED (exit %d):\n' "$shape" "$size" "$label" "$rc"
    head -n 20 "$WORK/stderr.log"
    status=1
    return
  fi
  ms=$(((end - start) / 1000000))
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  mb=$((kb / 1024))
  local verdict=""
  if [[ $size == 10k/1k ]]; then
    verdict=$(awk -v ms="$ms" -v mb="$mb" -v gs="$GOAL_SECONDS" -v gm="$GOAL_MB" \
      'BEGIN { printf "%.2fx time goal, %.2fx memory goal", ms / (gs * 1000), mb / gm }')
    if ((ms < GOAL_SECONDS * 1000 && mb < GOAL_MB)); then
      verdict+="  goal met"
    else
      verdict+="  GOAL MISSED"
      if judged "$shape" "$label"; then status=1; fi
    fi
  fi
  printf '%-9s %-7s %-26s %8d ms %7d MB  %s\n' "$shape" "$size" "$label" "$ms" "$mb" "$verdict"
}

echo "goal at 10k devices / 1k rules: compile < ${GOAL_SECONDS} s and < ${GOAL_MB} MB peak RSS, one core"
echo "machine: $(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in $SHAPES; do
  for spec in "1000 100 1k/100" "10000 1000 10k/1k"; do
    read -r devices rules size <<<"$spec"
    dir=$WORK/tailnet-$shape-$devices-$rules
    "$BUILD/aclc-gen-tailnet" --devices "$devices" --rules "$rules" --seed 1 --shape "$shape" \
      --out "$dir" >/dev/null
    echo "== $shape $size: phases (aclc-bench-compile-phases)"
    if ! timeout "$BENCH_TIMEOUT" "$BUILD/aclc-bench-compile-phases" "$dir/policy.hujson" "$dir/devices.json" |
      sed 's/^/   /'; then
      echo "   phases: failed or stopped after $BENCH_TIMEOUT s"
      if [[ $shape == realistic ]]; then status=1; fi
    fi
    echo "== $shape $size: end to end"
    measure "$shape" "$size" "compile --format tailcfg" \
      "$BUILD/aclc" compile "$dir/policy.hujson" --nodes "$dir/devices.json" --format tailcfg
    measure "$shape" "$size" "check" \
      "$BUILD/aclc" check "$dir/policy.hujson" --nodes "$dir/devices.json"
  done
done
exit $status
