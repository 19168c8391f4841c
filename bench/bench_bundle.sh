#!/usr/bin/env bash
# Signed bundle figures on synthetic tailnets (aclc-gen-tailnet, seed 1, in
# the SHAPE given: realistic by default, or worst):
#   * building every device's table alone (aclc-bench-compile-phases
#     --tables: time, peak memory);
#   * `aclc compile --format bundle` wall time and peak memory, without
#     (--no-verify) and with translation validation (the Z3 proof that every
#     device's table is the policy);
#   * bundle bytes per device: mean, min, median, max.
#
#   bench/bench_bundle.sh [BUILD_DIR]       (default: build)
#
# SIZES overrides the tailnets ("devices/rules ..."; default "1000/100
# 10000/1000"). Every size gets: all bundles without validation (time,
# memory, bytes), and one device's bundle with and without validation (the
# per-device cost of the proof at that scale). VERIFY_SIZES (default
# "100/20 300/50") also get all bundles validated; validating every device
# of the larger tailnets takes hours (see the per-device figure), so they
# are opt-in: VERIFY_SIZES="10000/1000". VERIFY_TIMEOUT bounds each
# validated run in seconds (default 3600); a run that exceeds it is
# reported, not hidden.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${1:-build}
JOBS=${JOBS:-2}
SIZES=${SIZES-"1000/100 10000/1000"}
VERIFY_SIZES=${VERIFY_SIZES-"100/20 300/50"}
VERIFY_TIMEOUT=${VERIFY_TIMEOUT:-3600}
SHAPE=${SHAPE:-realistic}

if [[ ! -x /usr/bin/time ]]; then
  echo "bench: /usr/bin/time missing; run scripts/setup.sh" >&2
  exit 1
fi
if [[ ! -f $BUILD/build.ninja && ! -f $BUILD/Makefile ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" -j "$JOBS" --target aclc aclc-gen-tailnet aclc-bench-compile-phases >/dev/null

WORK=$BUILD/bench-bundle
rm -rf "$WORK"
mkdir -p "$WORK"
"$BUILD/aclc" keygen --out "$WORK/control.key" >/dev/null 2>&1
status=0

# run LABEL SIZE OUTDIR TIMEOUT COMMAND...: one line of time and memory.
run() {
  local label=$1 size=$2 out=$3 limit=$4
  shift 4
  rm -rf "$out"
  mkdir -p "$out"
  local log=$WORK/time.log start end ms kb rc=0
  start=$(date +%s%N)
  timeout "$limit" /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$WORK/stderr.log" || rc=$?
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  if ((rc == 124)); then
    printf '%-10s %-28s  timed out after %d s\n' "$size" "$label" "$limit"
    status=1
    return 1
  elif ((rc != 0)); then
    echo "bench: '$*' failed (exit $rc):" >&2
    head -n 20 "$WORK/stderr.log" >&2
    status=1
    return 1
  fi
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  printf '%-10s %-28s %9d ms %7d MB\n' "$size" "$label" "$ms" "$((kb / 1024))"
}

# Bytes per bundle in a directory: mean, min, median, max.
sizes() {
  local dir=$1 size=$2
  find "$dir" -name '*.bundle' -printf '%s\n' | sort -n | awk -v size="$size" '
    { v[NR] = $1; sum += $1 }
    END {
      if (NR == 0) { print "no bundles"; exit 1 }
      printf "%-10s bundle bytes per device: mean %d, min %d, median %d, max %d (%d devices, %.1f MB in all)\n",
             size, sum / NR, v[1], v[int((NR + 1) / 2)], v[NR], NR, sum / 1048576
    }'
}

# tailnet SPEC: generates it once and prints its directory.
tailnet() {
  local devices=${1%/*} rules=${1#*/}
  local dir=$WORK/tailnet-$SHAPE-$devices-$rules
  if [[ ! -d $dir ]]; then
    "$BUILD/aclc-gen-tailnet" --devices "$devices" --rules "$rules" --seed 1 --shape "$SHAPE" \
      --out "$dir" >/dev/null
  fi
  echo "$dir"
}

label() {
  local devices=${1%/*} rules=${1#*/}
  if ((devices >= 1000)); then echo "$((devices / 1000))k/$rules"; else echo "$devices/$rules"; fi
}

echo "shape: $SHAPE; machine: $(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for spec in $SIZES; do
  size=$(label "$spec")
  dir=$(tailnet "$spec")
  "$BUILD/aclc-bench-compile-phases" "$dir/policy.hujson" "$dir/devices.json" --tables |
    awk -v size="$size" '$1 == "tables" { printf "%-10s %-28s %9d ms %7d MB  (%s)\n", size, "all tables, no bundles", $2, $5, substr($0, index($0, "MB") + 4) }'
  args=(compile "$dir/policy.hujson" --nodes "$dir/devices.json" --format bundle
        --sign-key "$WORK/control.key" --serial 1)
  if run "all, --no-verify" "$size" "$WORK/out" 86400 "$BUILD/aclc" "${args[@]}" --no-verify --out "$WORK/out"; then
    sizes "$WORK/out" "$size"
  fi
  rm -rf "$WORK/out"
  one=$( (grep -m1 -o '"hostname": *"laptop[^"]*"' "$dir/devices.json" || grep -m1 -o '"hostname": *"[^"]*"' "$dir/devices.json") | sed 's/.*"\([^"]*\)"$/\1/')
  run "one device ($one), --no-verify" "$size" "$WORK/out" 86400 "$BUILD/aclc" "${args[@]}" --node "$one" --no-verify --out "$WORK/out" || true
  run "one device ($one), validated" "$size" "$WORK/out" "$VERIFY_TIMEOUT" "$BUILD/aclc" "${args[@]}" --node "$one" --out "$WORK/out" || true
  rm -rf "$WORK/out"
done

for spec in $VERIFY_SIZES; do
  size=$(label "$spec")
  dir=$(tailnet "$spec")
  args=(compile "$dir/policy.hujson" --nodes "$dir/devices.json" --format bundle
        --sign-key "$WORK/control.key" --serial 1)
  run "all, --no-verify" "$size" "$WORK/out" 86400 "$BUILD/aclc" "${args[@]}" --no-verify --out "$WORK/out" || true
  run "all, validated" "$size" "$WORK/out" "$VERIFY_TIMEOUT" "$BUILD/aclc" "${args[@]}" --out "$WORK/out" || true
  rm -rf "$WORK/out"
done
exit $status
