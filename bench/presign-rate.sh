#!/usr/bin/env bash
# bench/presign-rate.sh: signed-URL issuance through the API, per backend, with a record GET on the same file as the
# baseline measured in the same run. Needs wrk (apt-get install wrk) and the local servers (scripts/local-servers.sh up).
# Usage: bench/presign-rate.sh [seconds per measurement, default 8]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-8}"
port="${PRESIGN_PORT:-18555}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fileservice-presign.XXXXXX")"
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cleanup() { [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

dotnet publish "$root/src/FileService.Api" -c Release -o "$work/app" /p:UseAppHost=false -v quiet >/dev/null
# A throwaway service-account key: signing V4 URLs needs one, and needs no network.
openssl genrsa -out "$work/key.pem" 2048 2>/dev/null
python3 - "$work" <<'PY'
import json, subprocess, sys
w = sys.argv[1]
pk = subprocess.run(['openssl', 'pkcs8', '-topk8', '-nocrypt', '-in', f'{w}/key.pem'], capture_output=True, text=True, check=True).stdout
json.dump({"type": "service_account", "project_id": "bench", "private_key_id": "k", "private_key": pk,
           "client_email": "bench@bench.iam.gserviceaccount.com", "client_id": "1", "token_uri": "http://127.0.0.1:9/token"},
          open(f'{w}/sa.json', 'w'))
PY

start_service() { # extra env assignments...
  (cd "$work" && exec env "$@" ASPNETCORE_HTTP_PORTS="$port" Logging__LogLevel__Default=Warning \
    Storage__Backends__local__Type=LocalDisk Storage__Backends__local__Root="$work/files" \
    Storage__Backends__s3__Type=S3 Storage__Backends__s3__Bucket=fs-presign Storage__Backends__s3__ServiceUrl=http://127.0.0.1:7480 \
    Storage__Backends__s3__ForcePathStyle=true Storage__Backends__s3__AccessKey=S3RVER Storage__Backends__s3__SecretKey=S3RVER \
    Storage__Backends__s3__CreateBucket=true Storage__Backends__azure__Type=Azure \
    "Storage__Backends__azure__ConnectionString=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;" \
    Storage__Backends__azure__Container=fs-presign Storage__Backends__azure__CreateContainer=true \
    Storage__Backends__gcs__Type=Gcs Storage__Backends__gcs__Bucket=fs-presign Storage__Backends__gcs__Endpoint=http://127.0.0.1:9199 \
    Storage__DefaultProfile=local \
    Storage__Profiles__local__Backend=local Storage__Profiles__s3__Backend=s3 Storage__Profiles__azure__Backend=azure Storage__Profiles__gcs__Backend=gcs \
    Auth__ApiKeys__bench__Key="$key" Auth__ApiKeys__bench__Tenant=bench Auth__ApiKeys__bench__Scopes__0=admin \
    dotnet app/FileService.Api.dll >>"$work/service.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/live" >/dev/null && return; sleep 0.2; done
  echo "service did not start; see $work/service.log" >&2; exit 1
}

# 1. Upload one file per backend (without a GCS key: the emulator needs no auth, and a key would ask Google for tokens).
start_service
for b in local s3 azure gcs; do
  curl -sf -H "X-Api-Key: $key" -H 'Content-Type: text/plain' --data-binary 'presign me' \
    "http://127.0.0.1:$port/v1/files?name=p.txt&profile=$b" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["backend"], d["id"])'
done >"$work/ids"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

# 2. Restart with the GCS key, so GCS URLs are V4-signed rather than service links, and measure.
start_service Storage__Backends__gcs__CredentialsFile="$work/sa.json"
printf 'wrk.method="POST"\nwrk.body="{}"\nwrk.headers["Content-Type"]="application/json"\nwrk.headers["X-Api-Key"]="%s"\n' "$key" >"$work/post.lua"
printf 'wrk.headers["X-Api-Key"]="%s"\n' "$key" >"$work/get.lua"
rate() { wrk -t2 -c16 -d"${seconds}s" -s "$1" "$2" | awk '/Requests\/sec/ {print $2}'; }
read -r _ first <"$work/ids"; rate "$work/get.lua" "http://127.0.0.1:$port/v1/files/$first" >/dev/null # warm-up
echo "| backend | record GET req/s (baseline) | signed URL POST req/s | URL / GET |"
echo "| --- | ---: | ---: | ---: |"
while read -r backend id; do
  get=$(rate "$work/get.lua" "http://127.0.0.1:$port/v1/files/$id")
  url=$(rate "$work/post.lua" "http://127.0.0.1:$port/v1/files/$id/url")
  echo "| $backend | $get | $url | $(python3 -c "print(round($url/$get, 2))") |"
done <"$work/ids"
