#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. scripts/setup.sh (dependencies)
#   2. RelWithDebInfo build in build/, every ctest test
#   3. ASan+UBSan build (optimised, so the heavier tests stay fast) in build-asan/, the unit tests and fuzz seed corpora
#   4. libFuzzer build with clang in build-fuzz/, each fuzz target for
#      FUZZ_SECONDS (default 15) from its seed corpus
# Every stage runs even if an earlier one failed (a build failure skips only
# the stage that needs it). The last line is "N passed, N failed" over the
# stages; the exit status is non-zero if any stage failed.
#
# Environment: JOBS (parallel jobs, default nproc), FUZZ_SECONDS,
# SKIP_SETUP=1 (dependencies already installed), SKIP_FUZZ=1.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
# CI's builds keep line tables only (-g1): enough for sanitizer and crash
# backtraces, and much less to compile and link than full debug info.
CI_FLAGS="-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
# The sanitizer build is the longest stage; -O1 is what ASan documents as
# enough for usable performance, and compiles faster.
ASAN_FLAGS="-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"

passed=0
failed=0
failed_names=()

# stage NAME COMMAND...: runs one stage and records its outcome.
stage() {
  local name=$1
  shift
  local start=$SECONDS
  echo
  echo "==> $name"
  if "$@"; then
    echo "<== $name: passed ($((SECONDS - start)) s)"
    passed=$((passed + 1))
    return 0
  fi
  echo "<== $name: FAILED ($((SECONDS - start)) s)"
  failed=$((failed + 1))
  failed_names+=("$name")
  return 1
}

# skip NAME: a stage that cannot run because the one it needs failed.
skip() {
  echo
  echo "<== $1: FAILED (not run: its build failed)"
  failed=$((failed + 1))
  failed_names+=("$1")
}

# configure_and_build DIR "TARGET..." CMAKE_ARGS...
configure_and_build() {
  local dir=$1 targets=$2
  shift 2
  # shellcheck disable=SC2086  # targets is a space-separated list
  cmake -S "$ROOT" -B "$dir" -G Ninja "$@" &&
    cmake --build "$dir" -j "$JOBS" --target $targets
}

# Runs every fuzz target listed in build-fuzz/fuzz_targets.txt for a bounded
# time. New inputs go to build-fuzz/corpus/<target>/ (the seeds in the source
# tree are only read); crashes go to build-fuzz/artifacts/.
run_fuzzers() {
  local manifest=build-fuzz/fuzz_targets.txt status=0
  [[ -s $manifest ]] || { echo "no fuzz targets in $manifest"; return 1; }
  mkdir -p build-fuzz/artifacts
  local binary corpus dict name
  while read -r binary corpus dict; do
    name=$(basename "$binary")
    mkdir -p "build-fuzz/corpus/$name"
    echo "fuzzing $name for ${FUZZ_SECONDS} s (log: build-fuzz/$name.log)"
    if "$binary" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -dict="$dict" \
        -artifact_prefix="build-fuzz/artifacts/$name-" \
        "build-fuzz/corpus/$name" "$corpus" >"build-fuzz/$name.log" 2>&1; then
      grep -E '^(Done|stat::number_of_executed_units)' "build-fuzz/$name.log" | head -1
    else
      echo "$name found a failure:"
      tail -n 40 "build-fuzz/$name.log"
      echo "reproduce: $binary build-fuzz/artifacts/$name-*"
      status=1
    fi
  done <"$manifest"
  return $status
}

if [[ ${SKIP_SETUP:-0} != 1 ]]; then
  stage setup scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
fi

if stage build configure_and_build build all -DCMAKE_BUILD_TYPE=RelWithDebInfo "$CI_FLAGS"; then
  stage ctest ctest --test-dir build --output-on-failure -j "$JOBS"
else
  skip ctest
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if stage build-asan configure_and_build build-asan "aclc_unit_tests aclc_runtime_tests aclc_control_client_tests aclc_meshd_control_tests fuzz_all" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "$ASAN_FLAGS" -DACLC_SANITIZE=ON; then
  stage ctest-asan ctest --test-dir build-asan --output-on-failure -j "$JOBS" -L 'unit|fuzz'
else
  skip ctest-asan
fi

if [[ ${SKIP_FUZZ:-0} != 1 ]]; then
  if stage build-fuzz configure_and_build build-fuzz fuzz_all \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo "$CI_FLAGS" -DACLC_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++; then
    stage fuzz run_fuzzers
  else
    skip fuzz
  fi
fi

echo
if ((failed > 0)); then
  echo "failed stages: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))
