#!/usr/bin/env bash
# bench/tus.sh: tus upload throughput through FileService against a streamed POST /v1/files of the same bytes to the
# same store, and against the tus project's own Node server (@tus/server 2.4.5 with @tus/file-store 2.1.1 on the same
# disk, @tus/s3-store 2.0.7 on the same RGW), with the same client (tus-js-client 4.3.1, one PATCH per upload).
# Prints a Markdown report (also bench/results/tus-latest.md): median MB/s and ratios, peak RSS (VmHWM) and CPU
# seconds per GiB of each server process, and the load averages around the run. See bench/README.md.
#
# Environment: TUS_BENCH_SIZE_MB (128), TUS_BENCH_REPEATS (3), TUS_BENCH_BACKENDS ("local s3"),
#   TUS_BENCH_CHUNK (0 = one PATCH for the whole file; else tus-js-client's chunkSize in bytes),
#   FILESERVICE_TEST_S3_URL (http://127.0.0.1:7480), keys S3RVER/S3RVER as for the tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mb="${TUS_BENCH_SIZE_MB:-128}"
repeats="${TUS_BENCH_REPEATS:-3}"
backends="${TUS_BENCH_BACKENDS:-local s3}"
chunk="${TUS_BENCH_CHUNK:-0}"
s3_url="${FILESERVICE_TEST_S3_URL:-http://127.0.0.1:7480}"
clients="$root/tests/tus-clients"
work="$(mktemp -d "${TMPDIR:-/tmp}/fileservice-tus-bench.XXXXXX")"
pids=()
say() { echo "[bench/tus.sh] $*" >&2; }
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
wait_http() { # url
  for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done
  say "no answer from $1"; return 1
}

bash "$root/scripts/tus-clients.sh" install >&2
say "publishing the service (Release)"
dotnet publish "$root/src/FileService.Api" -c Release -o "$work/app" --nologo -v q >&2
head -c "$((size_mb * 1024 * 1024))" /dev/urandom >"$work/body.bin"
key="tusbench_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/results.tsv"
: >"$results"

for backend in $backends; do
  svc_port=$(free_port); peer_port=$(free_port)
  mkdir -p "$work/$backend/svc" "$work/$backend/peer"
  env_store=()
  if [[ $backend == local ]]; then
    env_store=(Storage__Backends__bench__Type=LocalDisk "Storage__Backends__bench__Root=$work/$backend/svc/files")
    peer_args=(file "$work/$backend/peer/files")
  else
    env_store=(Storage__Backends__bench__Type=S3 Storage__Backends__bench__Bucket=bench-tus-service "Storage__Backends__bench__ServiceUrl=$s3_url"
      Storage__Backends__bench__ForcePathStyle=true Storage__Backends__bench__AccessKey=S3RVER Storage__Backends__bench__SecretKey=S3RVER
      Storage__Backends__bench__CreateBucket=true)
    peer_args=(s3 "$s3_url" bench-tus-peer S3RVER S3RVER)
  fi
  (cd "$work/$backend/svc" && exec env ASPNETCORE_HTTP_PORTS="$svc_port" Logging__LogLevel__Default=Warning "${env_store[@]}" \
    Storage__Profiles__bench__Backend=bench Storage__Profiles__bench__Location=bench Storage__Profiles__bench__MaxSize=$((64 << 30)) \
    Storage__DefaultProfile=bench Auth__ApiKeys__bench__Key="$key" Auth__ApiKeys__bench__Tenant=bench Auth__ApiKeys__bench__Scopes__0=admin \
    dotnet "$work/app/FileService.Api.dll") >"$work/$backend/service.log" 2>&1 &
  svc_pid=$!; pids+=("$svc_pid")
  (cd "$clients" && exec node tus-server.mjs "$peer_port" "${peer_args[@]}") >"$work/$backend/peer.log" 2>&1 &
  peer_pid=$!; pids+=("$peer_pid")
  wait_http "http://127.0.0.1:$svc_port/health/live"
  wait_http "http://127.0.0.1:$peer_port/files"
  api="http://127.0.0.1:$svc_port/"
  headers="{\"X-Api-Key\":\"$key\"}"
  svc_cpu=0; peer_cpu=0
  for r in $(seq 1 "$repeats"); do
    order=(post tus peer); [[ $((r % 2)) == 0 ]] && order=(peer tus post)
    for what in "${order[@]}"; do
      case $what in
        post)
          out=$(curl -s -w '\n%{time_total}' -X POST -T "$work/body.bin" -H "X-Api-Key: $key" -H 'Content-Type: application/octet-stream' \
            "${api}v1/files?name=post-$r.bin")
          ms=$(tail -n1 <<<"$out" | awk '{print $1 * 1000}')
          id=$(head -n1 <<<"$out" | sed -E 's/.*"id":"([^"]+)".*/\1/')
          curl -s -o /dev/null -X DELETE -H "X-Api-Key: $key" "${api}v1/files/$id" ;;
        tus)
          before=$(cpu_ticks "$svc_pid")
          ms=$(cd "$clients" && node bench-upload.mjs "${api}v1/tus" "$work/body.bin" "$chunk" "$headers" "{\"filename\":\"tus-$r.bin\"}" "$api" |
            node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.error){console.error(j.error);process.exit(1)}console.log(j.ms)})')
          svc_cpu=$((svc_cpu + $(cpu_ticks "$svc_pid") - before)) ;;
        peer)
          before=$(cpu_ticks "$peer_pid")
          ms=$(cd "$clients" && node bench-upload.mjs "http://127.0.0.1:$peer_port/files" "$work/body.bin" "$chunk" '{}' "{\"filename\":\"peer-$r.bin\"}" |
            node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.error){console.error(j.error);process.exit(1)}console.log(j.ms)})')
          peer_cpu=$((peer_cpu + $(cpu_ticks "$peer_pid") - before)) ;;
      esac
      printf '%s\t%s\t%s\t%s\n' "$backend" "$what" "$r" "$ms" >>"$results"
      say "$backend $what run $r: $ms ms"
    done
  done
  printf '%s\tcpu\t%s\t%s\t%s\n' "$backend" "$(getconf CLK_TCK)" "$svc_cpu" "$peer_cpu" >>"$results"
  printf '%s\thwm\t%s\t%s\n' "$backend" "$(hwm_kb "$svc_pid")" "$(hwm_kb "$peer_pid")" >>"$results"
  kill -KILL "$svc_pid" "$peer_pid" 2>/dev/null || true
  wait "$svc_pid" "$peer_pid" 2>/dev/null || true
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$root/bench/results"
node - "$results" "$size_mb" "$repeats" "$chunk" "$load_before" "$load_after" "$(nproc)" <<'JS' | tee "$root/bench/results/tus-latest.md"
const fs = require('fs');
const [file, sizeMb, repeats, chunk, loadBefore, loadAfter, cpus] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map(l => l.split('\t'));
const bytes = Number(sizeMb) * 1024 * 1024, gib = bytes * Number(repeats) / 2 ** 30;
const median = a => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const mbps = ms => bytes / 1e6 / (ms / 1000);
console.log(`## tus uploads: ${sizeMb} MiB × ${repeats}, ${chunk === '0' ? 'one PATCH per upload' : `chunkSize ${chunk}`}, tus-js-client 4.3.1\n`);
console.log(`Machine: ${cpus} vCPU, load average ${loadBefore} before, ${loadAfter} after (shared with other work: figures are noisy).\n`);
console.log('| store | POST /v1/files MB/s | FileService tus MB/s | @tus/server MB/s | tus / POST | FileService / @tus/server | peak RSS MB (FileService / @tus/server) | CPU s per GiB (FileService / @tus/server) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const backend of [...new Set(rows.map(r => r[0]))]) {
  const runs = what => rows.filter(r => r[0] === backend && r[1] === what).map(r => mbps(Number(r[3])));
  const post = runs('post'), tus = runs('tus'), peer = runs('peer');
  const ratio = (a, b) => median(a.map((x, i) => x / b[i])).toFixed(2);
  const cpu = rows.find(r => r[0] === backend && r[1] === 'cpu'), hwm = rows.find(r => r[0] === backend && r[1] === 'hwm');
  const cps = t => (Number(t) / Number(cpu[2]) / gib).toFixed(2);
  const range = a => `${median(a).toFixed(0)} (${Math.min(...a).toFixed(0)}–${Math.max(...a).toFixed(0)})`;
  console.log(`| ${backend} | ${range(post)} | ${range(tus)} | ${range(peer)} | ${ratio(tus, post)} | ${ratio(tus, peer)} | ` +
    `${(hwm[2] / 1000).toFixed(0)} / ${(hwm[3] / 1000).toFixed(0)} | ${cps(cpu[3])} / ${cps(cpu[4])} |`);
}
JS
