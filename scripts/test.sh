#!/usr/bin/env bash
# scripts/test.sh [extra `dotnet test` args, e.g. --filter FullyQualifiedName~LocalDisk]
#
# The project's one test command (CI runs it through .ci/run): installs what is missing (scripts/local-servers.sh
# install), starts the local servers that are not already running on 127.0.0.1 (up), runs the whole test suite
# against them, runs scripts/publish-smoke.sh when present, stops what it started (down), and prints one closing line
#   Tests: N passed, N failed, N skipped
# counted from the TRX files. Exits non-zero when a test failed, no test ran, dotnet test or the smoke check failed.
#
# Environment: the ports and dirs of scripts/local-servers.sh (PG_PORT, S3_PORT, CEPH_MON_PORT, AZ_PORT, GCS_PORT,
# EMU_DIR, EMU_TOOLS); TEST_RESULTS_DIR (default TestResults/ in the repo) for the TRX files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
RESULTS_DIR=${TEST_RESULTS_DIR:-$ROOT/TestResults}
SERVERS="$ROOT/scripts/local-servers.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "[test.sh] $*"; }

trx_attr() { # name counters-element → number (0 when absent)
  local v
  v=$(grep -o " $1=\"[0-9]*\"" <<<"$2" | head -n 1 | tr -dc '0-9')
  echo "${v:-0}"
}

count_trx() { # prints "passed failed skipped" summed over the TRX files of this run
  local f c passed=0 failed=0 skipped=0
  for f in "$RESULTS_DIR"/*.trx; do
    [ -f "$f" ] || continue
    c=$(grep -o '<Counters [^>]*>' "$f" | head -n 1 || true)
    [ -n "$c" ] || continue
    passed=$((passed + $(trx_attr passed "$c")))
    failed=$((failed + $(trx_attr failed "$c") + $(trx_attr error "$c") + $(trx_attr timeout "$c") + $(trx_attr aborted "$c")))
    # xunit's skipped tests are counted in total but not in executed (notExecuted stays 0).
    skipped=$((skipped + $(trx_attr total "$c") - $(trx_attr executed "$c")))
  done
  echo "$passed $failed $skipped"
}

mkdir -p "$RESULTS_DIR"
rm -f "$RESULTS_DIR"/*.trx

SECONDS=0
bash "$SERVERS" install
bash scripts/contract-tools.sh install
bash scripts/tus-clients.sh install
log "install: ${SECONDS}s"

servers_down() { bash "$SERVERS" down || true; }
trap servers_down EXIT
bash "$SERVERS" up
log "servers up: ${SECONDS}s"
eval "$(bash "$SERVERS" env)"

set +e
dotnet test FileService.sln -c Release \
  --results-directory "$RESULTS_DIR" \
  --logger trx \
  --logger "console;verbosity=normal" \
  "$@"
test_rc=$?
set -e
log "dotnet test exited $test_rc (${SECONDS}s)"

smoke_rc=0
if [ -x scripts/publish-smoke.sh ]; then
  log "running scripts/publish-smoke.sh"
  set +e
  scripts/publish-smoke.sh
  smoke_rc=$?
  set -e
  log "publish-smoke exited $smoke_rc (${SECONDS}s)"
fi

trap - EXIT
servers_down
log "total: ${SECONDS}s; TRX files in $RESULTS_DIR"

read -r passed failed skipped < <(count_trx)
rc=0
if [ "$failed" -gt 0 ]; then rc=1; fi
if [ $((passed + failed)) -eq 0 ]; then log "ERROR: no test ran"; rc=1; fi
if [ "$test_rc" -ne 0 ]; then rc=1; fi
if [ "$smoke_rc" -ne 0 ]; then log "ERROR: scripts/publish-smoke.sh failed"; rc=1; fi
echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
