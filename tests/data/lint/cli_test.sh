#!/bin/sh
# End-to-end checks of `aclc lint` and `aclc check --strict`: exit codes,
# positions and the covering rules named.   usage: cli_test.sh AACLC DATA_DIR
set -u
aclc=$1
data=$2
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect EXIT_CODE PATTERN -- ARGS...: run aclc ARGS, check exit code and
# that the combined output contains PATTERN (a fixed string).
expect() {
  want=$1; pattern=$2; shift 3
  "$aclc" "$@" >"$out" 2>&1
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: aclc $*: exit $got, want $want"; cat "$out"; fail=1
  elif ! grep -qF -- "$pattern" "$out"; then
    echo "FAIL: aclc $*: output lacks: $pattern"; cat "$out"; fail=1
  fi
}

s="$data/shadowed.hujson"
expect 0 "shadowed.hujson:8:5: warning: rule at 8:5 is redundant (for any devices): every flow it matches is also accepted by rules at 6:5, 7:5" -- lint "$s"
expect 0 "shadowed.hujson:3:50: warning: group \"group:idle\" is never used" -- lint "$s"
expect 1 "shadowed.hujson:8:5: error: rule at 8:5 is redundant" -- lint "$s" --strict
expect 1 "FAILED (2 errors, 0 warnings" -- lint "$s" --strict --nodes "$data/devices.json"
expect 0 "::warning file=$s,line=8,col=5,title=aclc redundant-rule::" -- lint "$s" --format github
expect 1 "\"code\":\"redundant-rule\"" -- lint "$s" --strict --format json
# check runs lint: warnings by default, errors with --strict.
expect 0 "shadowed.hujson:8:5: warning: rule at 8:5 is redundant" -- check "$s"
expect 1 "shadowed.hujson:8:5: error: rule at 8:5 is redundant" -- check "$s" --strict
expect 0 "ok (0 errors, 0 warnings" -- check "$s" --strict --no-lint
# Nothing to say: --strict passes.
expect 0 "ok (0 errors, 0 warnings" -- lint "$data/clean.hujson" --strict --nodes "$data/devices.json"
expect 0 "ok (0 errors, 0 warnings" -- check "$data/clean.hujson" --strict --nodes "$data/devices.json"
# Bad inputs: an invalid policy fails at its position, a missing file is exit 2.
expect 1 "invalid.hujson:2:" -- lint "$data/invalid.hujson"
expect 2 "no-such.hujson" -- lint "$data/no-such.hujson"
expect 2 "no-such.json" -- lint "$s" --nodes "$data/no-such.json"
exit $fail
