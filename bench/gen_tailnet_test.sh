#!/usr/bin/env bash
# Checks aclc-gen-tailnet in both shapes: the same seed writes the same
# files, another seed writes different ones, the shapes differ, and the
# policy is one Tailscale accepts (aclc check --dialect tailscale, with the
# generated devices).
#   gen_tailnet_test.sh GENERATOR ACLC WORK_DIR
set -euo pipefail
gen=$1 aclc=$2 work=$3
rm -rf "$work"
for size in "40 25" "400 120"; do
  read -r devices rules <<<"$size"
  for shape in realistic worst; do
    a=$work/$shape-$devices-a b=$work/$shape-$devices-b c=$work/$shape-$devices-c
    "$gen" --devices "$devices" --rules "$rules" --seed 7 --shape "$shape" --out "$a" >/dev/null
    "$gen" --devices "$devices" --rules "$rules" --seed 7 --shape "$shape" --out "$b" >/dev/null
    "$gen" --devices "$devices" --rules "$rules" --seed 8 --shape "$shape" --out "$c" >/dev/null
    cmp "$a/policy.hujson" "$b/policy.hujson"
    cmp "$a/devices.json" "$b/devices.json"
    if cmp -s "$a/policy.hujson" "$c/policy.hujson"; then
      echo "$shape: seeds 7 and 8 wrote the same policy" >&2
      exit 1
    fi
    "$aclc" check "$a/policy.hujson" --nodes "$a/devices.json" --dialect tailscale
  done
  if cmp -s "$work/realistic-$devices-a/policy.hujson" "$work/worst-$devices-a/policy.hujson"; then
    echo "the two shapes wrote the same policy" >&2
    exit 1
  fi
  # The realistic shape is the default.
  "$gen" --devices "$devices" --rules "$rules" --seed 7 --out "$work/default-$devices" >/dev/null
  cmp "$work/default-$devices/policy.hujson" "$work/realistic-$devices-a/policy.hujson"
done
# A shape that does not exist is a usage error.
if "$gen" --devices 10 --rules 5 --shape nonsense --out "$work/bad" 2>/dev/null; then
  echo "an unknown shape was accepted" >&2
  exit 1
fi
