#!/usr/bin/env bash
# bench/run.sh: builds and publishes in Release, makes sure the storage servers answer, runs FileService.Bench,
# prints the Markdown report and writes it to bench/results/latest.md. See bench/README.md.
#
# Environment (all optional):
#   BENCH_BACKENDS         local,s3,azure,gcs or auto (default auto: local and s3, plus azure and gcs when they work)
#   BENCH_SCENARIOS        upload,download,memory (default: all)
#   BENCH_SIZE_MB          throughput body size (default 256)
#   BENCH_MEMORY_SIZES_MB  upload sizes of the peak-RSS check (default 256,1024)
#   BENCH_REPEATS          runs per figure, median reported (default 3)
#   BENCH_RSS_LIMIT_MB     peak RSS requirement (default 300)
#   BENCH_GCS_CAP_MB       largest body sent to the GCS emulator (default 100)
#   BENCH_SET              extra backend settings for both sides, space-separated backend.Key=Value (to compare
#                          configurations, e.g. "s3.PartSize=8388608 s3.MultipartThreshold=8388608"); the report lists them
#   BENCH_SERVICE_ENV      extra environment of the service process, space-separated NAME=VALUE (e.g. DOTNET_gcServer=0)
#   BENCH_START_SERVERS    1 (default): if a needed server is down, `scripts/local-servers.sh up` starts it, and
#                          `down` stops only what that started; 0: use what answers
#   BENCH_CEPH_CONF        ceph.conf of the RGW (found from the running radosgw otherwise)
#   BENCH_BUILD_DIR        build output, kept between runs for incremental builds (default /tmp/fileservice-bench-build)
#   BENCH_KEEP=1           keep the scratch folder (service logs, SQLite files) for inspection
#   FILESERVICE_TEST_S3_URL, FILESERVICE_TEST_AZURE, FILESERVICE_TEST_GCS_URL: other server addresses (as for the tests)
# Exit code: the bench's (0 ok, 1 failed, 3 a requirement failed: SHA-256 mismatch or peak RSS over the limit).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
backends="${BENCH_BACKENDS:-auto}"
build="${BENCH_BUILD_DIR:-/tmp/fileservice-bench-build}"
results="$root/bench/results"
work="$(mktemp -d "${TMPDIR:-/tmp}/fileservice-bench.XXXXXX")"
emu="$work/emu" # a private EMU_DIR: `down` can then only ever stop what this run's `up` started
servers_started=0

say() { echo "[bench/run.sh] $*" >&2; }

cleanup() {
  # The bench stops its services itself; this is for a bench that died first. Only our own pids, checked by cmdline.
  if [[ -f "$work/service-pids" ]]; then
    while read -r pid; do
      if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$work/app/FileService.Api.dll"; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done <"$work/service-pids"
  fi
  if [[ "$servers_started" == 1 ]]; then
    say "stopping the servers this run started"
    EMU_DIR="$emu" "$root/scripts/local-servers.sh" down >&2 || true
  fi
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
bench_pid=""
# A signal is passed on to the bench, which stops its services and exits; cleanup then runs on EXIT.
on_signal() {
  if [[ -n "$bench_pid" ]]; then kill -TERM "$bench_pid" 2>/dev/null || true; wait "$bench_pid" 2>/dev/null || true; fi
  exit 130
}
trap on_signal INT TERM

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
host_port() { # URL -> "host port"
  local rest=${1#*://}
  rest=${rest%%/*}
  echo "${rest%:*} ${rest##*:}"
}

# ---------------------------------------------------------------------------------------------------------------- build
# Others may be editing src/: a broken build is retried after a minute (three tries in all).
build_all() {
  dotnet publish "$root/src/FileService.Api/FileService.Api.csproj" -c Release -o "$work/app" --artifacts-path "$build" \
    /p:UseAppHost=false --nologo -v quiet &&
    dotnet build "$root/bench/FileService.Bench/FileService.Bench.csproj" -c Release --artifacts-path "$build" --nologo -v quiet
}
for try in 1 2 3; do
  say "building (Release) into $build, try $try/3"
  if build_all >"$work/build.log" 2>&1; then break; fi
  grep -E 'error' "$work/build.log" | sort -u | head -20 >&2 || true
  [[ $try == 3 ]] && { say "the build failed three times; log above"; exit 1; }
  say "build failed (src/ may be mid-edit); retrying in 60 s"
  sleep 60
done

# -------------------------------------------------------------------------------------------------------------- servers
read -r s3_host s3_port < <(host_port "${FILESERVICE_TEST_S3_URL:-http://127.0.0.1:7480}")
azure_blob="${FILESERVICE_TEST_AZURE:-BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;}"
azure_blob="${azure_blob#*BlobEndpoint=}"
read -r az_host az_port < <(host_port "${azure_blob%%;*}")
read -r gcs_host gcs_port < <(host_port "${FILESERVICE_TEST_GCS_URL:-http://127.0.0.1:9199}")

wanted=()
case ",$backends," in *,s3,* | *,auto,*) wanted+=("s3 $s3_host $s3_port") ;; esac
case ",$backends," in *,azure,* | *,auto,*) wanted+=("azure $az_host $az_port") ;; esac
case ",$backends," in *,gcs,* | *,auto,*) wanted+=("gcs $gcs_host $gcs_port") ;; esac
down=()
for w in "${wanted[@]}"; do
  read -r name host port <<<"$w"
  port_open "$host" "$port" || down+=("$name")
done
if [[ ${#down[@]} -gt 0 ]]; then
  if [[ "${BENCH_START_SERVERS:-1}" == 1 && -x "$root/scripts/local-servers.sh" ]]; then
    say "not answering: ${down[*]}; starting the missing servers with scripts/local-servers.sh up (EMU_DIR=$emu)"
    servers_started=1
    EMU_DIR="$emu" "$root/scripts/local-servers.sh" up >&2 || say "local-servers.sh up failed: measuring what answers"
  else
    say "not answering: ${down[*]} (BENCH_START_SERVERS=0 or no scripts/local-servers.sh)"
  fi
fi
if [[ ",$backends," == *,s3,* || ",$backends," == *,auto,* ]] && ! port_open "$s3_host" "$s3_port"; then
  say "no S3 server answers at $s3_host:$s3_port (FILESERVICE_TEST_S3_URL); start it with scripts/local-servers.sh up"
  exit 1
fi

# ------------------------------------------------------------------------------------------------------------------ run
source_id="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git -C "$root" diff --quiet HEAD -- src 2>/dev/null || [[ -n "$(git -C "$root" ls-files --others --exclude-standard -- src 2>/dev/null)" ]]; then
  source_id="$source_id + uncommitted changes in src/"
fi
extra=()
for setting in ${BENCH_SET:-}; do extra+=(--set "$setting"); done
for variable in ${BENCH_SERVICE_ENV:-}; do extra+=(--service-env "$variable"); done
mkdir -p "$results"
rm -f "$results/latest.md" # a failed run must not leave the previous report looking current
say "running the bench (backends $backends); progress below, the report at the end"
set +e
BENCH_SOURCE="$source_id" dotnet "$build/bin/FileService.Bench/release/FileService.Bench.dll" \
  --app "$work/app/FileService.Api.dll" \
  --backends "$backends" \
  --scenarios "${BENCH_SCENARIOS:-upload,download,memory}" \
  --size-mb "${BENCH_SIZE_MB:-256}" \
  --memory-sizes-mb "${BENCH_MEMORY_SIZES_MB:-256,1024}" \
  --repeats "${BENCH_REPEATS:-3}" \
  --rss-limit-mb "${BENCH_RSS_LIMIT_MB:-300}" \
  --gcs-cap-mb "${BENCH_GCS_CAP_MB:-100}" \
  --work "$work" \
  --out "$results/latest.md" \
  "${extra[@]}" &
bench_pid=$!
wait "$bench_pid"
rc=$?
bench_pid=""
set -e
[[ -f "$results/latest.md" ]] && say "report written to bench/results/latest.md"
exit $rc
