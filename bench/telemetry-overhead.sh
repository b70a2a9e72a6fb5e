#!/usr/bin/env bash
# bench/telemetry-overhead.sh: what OpenTelemetry costs. Two service processes on the embedded default (SQLite +
# LocalDisk), one with Metrics:Enabled=false (no SDK at all: no metrics, no traces) and one as shipped (the FileService
# meter, ASP.NET Core / HttpClient / runtime metrics, request and SQL traces, the Prometheus exporter; no OTLP endpoint,
# so spans are recorded and dropped), measured in turns, alternating which goes first, in one run.
# Needs wrk (apt-get install wrk). Usage: bench/telemetry-overhead.sh [seconds per measurement, default 8] [rounds, default 3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-8}"
rounds="${2:-3}"
port_off="${OVERHEAD_PORT_OFF:-18561}"
port_on="${OVERHEAD_PORT_ON:-18562}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fileservice-otel.XXXXXX")"
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

dotnet publish "$root/src/FileService.Api" -c Release -o "$work/app" /p:UseAppHost=false -v quiet >/dev/null

start_service() { # name port enabled
  mkdir -p "$work/$1"
  (cd "$work/$1" && exec env ASPNETCORE_HTTP_PORTS="$2" Logging__LogLevel__Default=Warning Metrics__Enabled="$3" \
    Storage__Backends__local__Type=LocalDisk Storage__Backends__local__Root="$work/$1/files" Storage__DefaultProfile=bench \
    Storage__Profiles__bench__Backend=local Storage__Profiles__bench__Location=bench \
    Auth__ApiKeys__bench__Key="$key" Auth__ApiKeys__bench__Tenant=bench Auth__ApiKeys__bench__Scopes__0=admin \
    dotnet "$work/app/FileService.Api.dll" >>"$work/$1.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$2/health/live" >/dev/null && return; sleep 0.2; done
  echo "service $1 did not start; see $work/$1.log" >&2; exit 1
}
start_service off "$port_off" false
start_service on "$port_on" true

head -c 4096 /dev/urandom >"$work/body.bin"
body_lua=$(python3 -c "import sys; print(repr(open(sys.argv[1],'rb').read().hex()))" "$work/body.bin")
cat >"$work/upload.lua" <<LUA
local hex = $body_lua
local body = (hex:gsub('..', function(c) return string.char(tonumber(c, 16)) end))
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/v1/files?name=u" .. math.random(1, 1000000000) .. "-" .. n .. ".bin",
    { ["X-Api-Key"] = "$key", ["Content-Type"] = "application/octet-stream" }, body)
end
LUA
printf 'wrk.headers["X-Api-Key"]="%s"\n' "$key" >"$work/get.lua"
ids=()
for port in "$port_off" "$port_on"; do
  ids+=("$(curl -sf -H "X-Api-Key: $key" -H 'Content-Type: text/plain' --data-binary 'a record' "http://127.0.0.1:$port/v1/files?name=r.txt" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
done

rate() { # a rate counts only if every answer was a success: wrk counts refusals as requests too
  local out
  out=$(wrk -t2 -c16 -d"${seconds}s" -s "$1" "$2")
  if grep -q 'Non-2xx' <<<"$out"; then echo "failed answers during a measurement of $2:" >&2; echo "$out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
measure() { # which(off|on) scenario
  local port=$port_off id=${ids[0]}
  [ "$1" = on ] && port=$port_on id=${ids[1]}
  if [ "$2" = get ]; then rate "$work/get.lua" "http://127.0.0.1:$port/v1/files/$id"; else rate "$work/upload.lua" "http://127.0.0.1:$port"; fi
}
for which in off on; do measure "$which" get >/dev/null; measure "$which" upload >/dev/null; done # warm-up (JIT, pools)

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; ${seconds}s per measurement, wrk -t2 -c16"
echo
echo "| round | scenario | telemetry off req/s | telemetry on req/s | on / off |"
echo "| ---: | --- | ---: | ---: | ---: |"
for scenario in get upload; do
  ratios=()
  for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then off=$(measure off "$scenario"); on=$(measure on "$scenario")
    else on=$(measure on "$scenario"); off=$(measure off "$scenario"); fi
    ratio=$(python3 -c "print(round($on/$off, 3))")
    ratios+=("$ratio")
    label=$([ "$scenario" = get ] && echo "record GET" || echo "4 KiB upload")
    echo "| $round | $label | $off | $on | $ratio |"
  done
  echo "| median | $scenario | | | $(python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}") |"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
