#!/usr/bin/env bash
# Publish smoke test: what CI can check of the container image without a Docker engine.
# It runs the Dockerfile's `dotnet publish` into a temporary folder, starts the published app the way
# the image does (`dotnet FileService.Api.dll`, ASPNETCORE_HTTP_PORTS, no configuration, so the
# embedded default writes ./data under a temporary working directory), waits for /health/ready,
# checks /health/live, then stops it with SIGTERM and expects a graceful exit with code 0.
#
# Usage: scripts/publish-smoke.sh
# Environment:
#   SMOKE_PORT           port to listen on (default: first free port from 18080 to 18099)
#   SMOKE_READY_TIMEOUT  seconds to wait for /health/ready to answer 200 (default 60)
#   SMOKE_STOP_TIMEOUT   seconds to wait for the exit after SIGTERM (default 30)
#   SMOKE_KEEP=1         keep the temporary folder (published app, working dir, logs) for inspection
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="src/FileService.Api/FileService.Api.csproj"
ready_timeout="${SMOKE_READY_TIMEOUT:-60}"
stop_timeout="${SMOKE_STOP_TIMEOUT:-30}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fileservice-smoke.XXXXXX")"
publish_dir="$tmp/app"
work_dir="$tmp/work"
publish_log="$tmp/publish.log"
app_log="$tmp/app.log"
mkdir -p "$publish_dir" "$work_dir"
app_pid=""

cleanup() {
  # Runs on every exit path: never leave the app running or the temp folder behind.
  if [[ -n "$app_pid" ]] && kill -0 "$app_pid" 2>/dev/null; then
    kill -KILL "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  if [[ "${SMOKE_KEEP:-0}" == "1" ]]; then
    echo "publish-smoke: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

fail() {
  echo "publish-smoke: FAIL: $1"
  if [[ -n "${2:-}" && -s "$2" ]]; then
    echo "---- last 40 lines of $(basename "$2") ----"
    tail -n 40 "$2"
    echo "----"
  fi
  exit 1
}

command -v dotnet >/dev/null || fail "dotnet is not on PATH"
command -v curl >/dev/null || fail "curl is not on PATH"

# Something already listening answers the connect; a free port refuses it.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [[ -n "${SMOKE_PORT:-}" ]]; then
  port="$SMOKE_PORT"
  port_in_use "$port" && fail "SMOKE_PORT=$port is already in use"
else
  port=""
  for candidate in $(seq 18080 18099); do
    if ! port_in_use "$candidate"; then port="$candidate"; break; fi
  done
  [[ -n "$port" ]] || fail "no free port between 18080 and 18099 (set SMOKE_PORT)"
fi
base_url="http://127.0.0.1:$port"

# Same command as the Dockerfile's build stage, restore included (the Dockerfile splits it off only
# for layer caching).
echo "publish-smoke: publishing $project (Release) ..."
if ! (cd "$repo_root" && dotnet publish "$project" -c Release -o "$publish_dir" /p:UseAppHost=false --nologo) \
    >"$publish_log" 2>&1; then
  fail "dotnet publish failed" "$publish_log"
fi
[[ -f "$publish_dir/FileService.Api.dll" ]] || fail "publish produced no FileService.Api.dll" "$publish_log"

# Start it the way the container does. Settings that would override the port or point the app at
# another environment's configuration are cleared, so only the embedded defaults apply; request
# logging is turned down so the log tail printed on failure shows the app's own messages.
echo "publish-smoke: starting on port $port in $work_dir ..."
(
  cd "$work_dir"
  exec env -u ASPNETCORE_URLS -u ASPNETCORE_HTTPS_PORTS -u DOTNET_URLS -u ASPNETCORE_ENVIRONMENT -u DOTNET_ENVIRONMENT \
    ASPNETCORE_HTTP_PORTS="$port" Logging__LogLevel__Microsoft.AspNetCore=Warning \
    dotnet "$publish_dir/FileService.Api.dll"
) >"$app_log" 2>&1 &
app_pid=$!

http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base_url$1" || true; }

start=$SECONDS
ready_status=""
while :; do
  kill -0 "$app_pid" 2>/dev/null || { wait "$app_pid" 2>/dev/null && code=0 || code=$?; fail "the app exited with code $code before it was ready" "$app_log"; }
  ready_status="$(http_status /health/ready)"
  [[ "$ready_status" == "200" ]] && break
  (( SECONDS - start >= ready_timeout )) &&
    fail "/health/ready did not return 200 within ${ready_timeout}s (last status: ${ready_status:-none})" "$app_log"
  sleep 0.5
done
ready_after=$(( SECONDS - start ))

live_status="$(http_status /health/live)"
[[ "$live_status" == "200" ]] || fail "/health/live returned ${live_status:-no answer}, expected 200" "$app_log"

# Graceful stop: SIGTERM is what Docker and Kubernetes send; the host should drain and exit 0.
kill -TERM "$app_pid"
stop_start=$SECONDS
while kill -0 "$app_pid" 2>/dev/null; do
  if (( SECONDS - stop_start >= stop_timeout )); then
    kill -KILL "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
    fail "the app did not exit within ${stop_timeout}s of SIGTERM (killed)" "$app_log"
  fi
  sleep 0.2
done
wait "$app_pid" 2>/dev/null && exit_code=0 || exit_code=$?
app_pid=""
stopped_after=$(( SECONDS - stop_start ))
(( exit_code == 0 )) || fail "the app exited with code $exit_code after SIGTERM, expected 0" "$app_log"

data_note="no ./data written"
[[ -d "$work_dir/data" ]] && data_note="./data written"
echo "publish-smoke: PASS: ready in ${ready_after}s on port $port, /health/live 200, SIGTERM exit code 0 after ${stopped_after}s, ${data_note}"
