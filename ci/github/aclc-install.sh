#!/bin/sh
# Builds aclc from source on a Debian 12 runner (container debian:12) into
# $ACLC_HOME (default $RUNNER_TEMP/aclc) and prints the binary's path. The
# workflows cache $ACLC_HOME by ACLC_REF, so this builds once per version.
set -eu
: "${ACLC_REPO:?set ACLC_REPO to the aclc repository URL}"
ACLC_REF=${ACLC_REF:-main}
ACLC_HOME=${ACLC_HOME:-${RUNNER_TEMP:-/tmp}/aclc}
if [ ! -x "$ACLC_HOME/build/aclc" ]; then
  command -v git >/dev/null || { apt-get update -q && apt-get install -y -q git ca-certificates; } >&2
  rm -rf "$ACLC_HOME"
  git clone -q "$ACLC_REPO" "$ACLC_HOME" >&2
  git -C "$ACLC_HOME" checkout -q "$ACLC_REF" >&2
  "$ACLC_HOME/scripts/setup.sh" >&2
  cmake -S "$ACLC_HOME" -B "$ACLC_HOME/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build "$ACLC_HOME/build" --target aclc >&2
else
  # A cached build still needs its shared libraries on a fresh runner.
  "$ACLC_HOME/scripts/setup.sh" >&2
fi
echo "$ACLC_HOME/build/aclc"
