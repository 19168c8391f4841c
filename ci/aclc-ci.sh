#!/bin/sh
# What the CI templates in this folder run; usable from any CI system.
#
#   ci/aclc-ci.sh check    validate the policy, run its tests, assertions and
#                          lint; on a pull/merge request also the semantic
#                          diff against the target branch
#   ci/aclc-ci.sh deploy   check, then deploy the policy through the policy
#                          API (Tailscale's, or an `aclc serve`)
#
# Settings (environment):
#   ACLC           the aclc binary (default: aclc on PATH)
#   ACLC_POLICY    policy file (default policy.hujson)
#   ACLC_NODES     device list for tests and assertions (optional)
#   ACLC_ASSERT    more assertions (optional)
#   ACLC_STRICT    1: lint findings fail the check
#   ACLC_BASE      revision to diff against (default: the pull/merge
#                  request's target; none on a plain push)
#   ACLC_API       deploy: API base URL (default https://api.tailscale.com)
#   ACLC_TAILNET   deploy: tailnet (default -)
#   ACLC_ETAG_FILE deploy: where the last deployed ETag is cached between
#                  runs, so edits made elsewhere are detected (optional)
#   TS_API_KEY     deploy: the API key (a CI secret; never an argument)
set -eu

ACLC=${ACLC:-aclc}
POLICY=${ACLC_POLICY:-policy.hujson}

# The output format the CI system renders: annotations on GitHub Actions.
format=text
[ "${GITHUB_ACTIONS:-}" = true ] && format=github

# The revision a pull/merge request is compared with.
base_revision() {
  if [ -n "${ACLC_BASE:-}" ]; then
    echo "$ACLC_BASE"
  elif [ -n "${GITHUB_BASE_REF:-}" ]; then
    # GitHub's checkout is the merge commit; its target is fetched as origin/BASE.
    git fetch -q --depth=1 origin "$GITHUB_BASE_REF" 2>/dev/null || true
    echo "origin/$GITHUB_BASE_REF"
  elif [ -n "${CI_MERGE_REQUEST_DIFF_BASE_SHA:-}" ]; then
    git fetch -q --depth=1 origin "$CI_MERGE_REQUEST_DIFF_BASE_SHA" 2>/dev/null || true
    echo "$CI_MERGE_REQUEST_DIFF_BASE_SHA"
  fi
}

check() {
  set -- check "$POLICY" --format "$format"
  [ -n "${ACLC_NODES:-}" ] && set -- "$@" --nodes "$ACLC_NODES"
  [ -n "${ACLC_ASSERT:-}" ] && set -- "$@" --assert "$ACLC_ASSERT"
  [ "${ACLC_STRICT:-0}" = 1 ] && set -- "$@" --strict
  base=$(base_revision)
  [ -n "$base" ] && set -- "$@" --base "$base"
  "$ACLC" "$@"
}

deploy() {
  if [ -z "${TS_API_KEY:-}" ]; then
    echo "aclc-ci: TS_API_KEY is not set (store the API key as a CI secret)" >&2
    exit 2
  fi
  check
  set -- deploy "$POLICY" --api "${ACLC_API:-https://api.tailscale.com}" \
    --tailnet "${ACLC_TAILNET:--}" --format "$format"
  [ -n "${ACLC_ETAG_FILE:-}" ] && set -- "$@" --etag-file "$ACLC_ETAG_FILE"
  "$ACLC" "$@"
}

case ${1:-} in
  check) check ;;
  deploy) deploy ;;
  *)
    echo "usage: $0 check|deploy   (settings in the environment; see the header)" >&2
    exit 2
    ;;
esac
