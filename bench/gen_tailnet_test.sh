#!/usr/bin/env bash
# Checks aclc-gen-tailnet: the same seed writes the same files, another seed
# writes different ones, and the policy is one Tailscale accepts (aclc check
# --dialect tailscale, with the generated devices).
#   gen_tailnet_test.sh GENERATOR ACLC WORK_DIR
set -euo pipefail
gen=$1 aclc=$2 work=$3
rm -rf "$work"
for size in "40 25" "400 120"; do
  read -r devices rules <<<"$size"
  a=$work/$devices-a b=$work/$devices-b c=$work/$devices-c
  "$gen" --devices "$devices" --rules "$rules" --seed 7 --out "$a" >/dev/null
  "$gen" --devices "$devices" --rules "$rules" --seed 7 --out "$b" >/dev/null
  "$gen" --devices "$devices" --rules "$rules" --seed 8 --out "$c" >/dev/null
  cmp "$a/policy.hujson" "$b/policy.hujson"
  cmp "$a/devices.json" "$b/devices.json"
  if cmp -s "$a/policy.hujson" "$c/policy.hujson"; then
    echo "seeds 7 and 8 wrote the same policy" >&2
    exit 1
  fi
  "$aclc" check "$a/policy.hujson" --nodes "$a/devices.json" --dialect tailscale
done
