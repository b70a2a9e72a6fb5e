#!/usr/bin/env bash
# scripts/local-servers.sh install|up|down|status|env
#
# Loopback-only (127.0.0.1) stand-ins for the servers the test suite talks to:
#   pg       PostgreSQL 15 (Debian postgresql-15)            role/db filesvc/filesvc         PG_PORT   (55432)
#   rgw      S3: Ceph RGW 16 on a one-node memstore cluster   keys S3RVER/S3RVER, path-style  S3_PORT   (7480), mon CEPH_MON_PORT (6789)
#   azurite  Azure Blob: Azurite (npm, in-memory)             devstoreaccount1                AZ_PORT   (10000)
#   gcs      GCS JSON API: firebase-tools storage emulator    no auth                         GCS_PORT  (9199)
#
#   install  installs what is missing: Debian packages (checked with dpkg) and the pinned npm packages of
#            scripts/servers/package-lock.json (npm ci into $EMU_TOOLS, skipped when that lock is already installed there).
#   up       starts each server that is not already answering on its port and waits until it is ready; a server that
#            already answers (a developer's, say) is reused and left alone. What it started is listed in $EMU_DIR/run/started.
#            Fails (non-zero, with the server's log tail) when a server does not become ready in time.
#   down     stops only what `up` started (per $EMU_DIR/run/started).
#   status   shows each server, whether it answers, and who started it; non-zero when one is not answering.
#   env      prints the FILESERVICE_TEST_* exports matching the ports (eval "$(scripts/local-servers.sh env)").
#
# Environment: EMU_DIR (/tmp/filesvc-emu: data, logs, pid files), EMU_TOOLS (/opt/filesvc-emu-tools: npm packages,
# kept between runs), PG_PORT, S3_PORT, CEPH_MON_PORT, AZ_PORT, GCS_PORT, S3_ACCESS_KEY/S3_SECRET_KEY (S3RVER).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVERS_DIR="$ROOT/scripts/servers"
EMU=${EMU_DIR:-/tmp/filesvc-emu}
TOOLS=${EMU_TOOLS:-/opt/filesvc-emu-tools}
PG_PORT=${PG_PORT:-55432}
S3_PORT=${S3_PORT:-7480}
CEPH_MON_PORT=${CEPH_MON_PORT:-6789}
AZ_PORT=${AZ_PORT:-10000}
GCS_PORT=${GCS_PORT:-9199}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-S3RVER}
S3_SECRET_KEY=${S3_SECRET_KEY:-S3RVER}
PGBIN=/usr/lib/postgresql/15/bin
APT_PACKAGES=(postgresql-15 radosgw ceph-mon ceph-osd chromium curl)
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
SERVERS=(pg rgw azurite gcs)
STARTED="$EMU/run/started"
LOG="$EMU/log"

say() { echo "[local-servers] $*"; }
die() { echo "[local-servers] ERROR: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# ---------------------------------------------------------------------------------------------------------------- helpers
alive() { # pid — true while the process exists and is not a zombie (PID 1 here does not reap)
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
cmdline_has() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_code() { curl -s -o /dev/null -m 3 -w '%{http_code}' "$@" || true; }
tail_logs() { # name file...
  local f
  for f in "${@:2}"; do
    [ -f "$f" ] || continue
    echo "----- $1: last lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

stop_pid() { # pidfile cmdline-substring [seconds] — stops that process only if it is still the one we started
  local pidfile=$1 pattern=$2 secs=${3:-20} p
  [ -f "$pidfile" ] || return 0
  p=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$p" ] && alive "$p" && cmdline_has "$p" "$pattern"; then
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 $((secs * 10))); do alive "$p" || break; sleep 0.1; done
    if alive "$p"; then kill -9 "$p" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$pidfile"
}

started_has() { [ -f "$STARTED" ] && grep -qx "$1" "$STARTED"; }
started_add() { # name — also records the ports it listens on, for down's check
  started_has "$1" || echo "$1" >>"$STARTED"
  if [ "$1" = rgw ]; then echo "$S3_PORT $CEPH_MON_PORT"; else port_of "$1"; fi >"$EMU/run/$1.ports"
}
started_del() { [ -f "$STARTED" ] || return 0; grep -vx "$1" "$STARTED" >"$STARTED.tmp" || true; mv "$STARTED.tmp" "$STARTED"; }

port_of() { case $1 in pg) echo "$PG_PORT" ;; rgw) echo "$S3_PORT" ;; azurite) echo "$AZ_PORT" ;; gcs) echo "$GCS_PORT" ;; esac; }

# "answering" = the server's own protocol answers on its port
ready_pg() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1; }
ready_rgw() { [ "$(http_code "http://127.0.0.1:$S3_PORT/")" != 000 ]; }
ready_azurite() { [ "$(http_code "http://127.0.0.1:$AZ_PORT/devstoreaccount1?comp=list")" != 000 ]; }
ready_gcs() { [ "$(http_code "http://127.0.0.1:$GCS_PORT/b")" != 000 ]; }
s3_auth_ok() { # signed ListBuckets with the test keys → 200
  [ "$(http_code --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "http://127.0.0.1:$S3_PORT/")" = 200 ]
}

wait_ready() { # name seconds pid-or-empty log...
  local name=$1 secs=$2 pid=$3 t0 end
  t0=$(now)
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    if "ready_$name"; then return 0; fi
    if [ -n "$pid" ] && ! alive "$pid"; then
      echo "[local-servers] ERROR: $name (pid $pid) exited before answering on port $(port_of "$name")" >&2
      tail_logs "$name" "${@:4}"; return 1
    fi
    sleep 0.2
  done
  echo "[local-servers] ERROR: $name did not answer on port $(port_of "$name") within ${secs}s ($(since "$t0"))" >&2
  tail_logs "$name" "${@:4}"; return 1
}

# ---------------------------------------------------------------------------------------------------------------- install
apt_missing() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
  done
}

npm_installed() {
  cmp -s "$SERVERS_DIR/package-lock.json" "$TOOLS/package-lock.json" &&
    [ -f "$TOOLS/node_modules/.package-lock.json" ] &&
    [ -f "$TOOLS/node_modules/azurite/package.json" ] &&
    [ -f "$TOOLS/node_modules/firebase-tools/package.json" ]
}

npm_install() { # runs under a lock on $TOOLS so that two runs never install into it at once
  mkdir -p "$TOOLS"
  exec 9>"$TOOLS/.install.lock"
  flock -w 1200 9 || die "timed out waiting for another install into $TOOLS"
  if npm_installed; then say "npm: $TOOLS already has the pinned packages (installed by another run)"; return 0; fi
  rm -f "$TOOLS/package-lock.json"  # marks the tools dir as not installed until npm ci has succeeded
  cp "$SERVERS_DIR/package.json" "$TOOLS/package.json"
  cp "$SERVERS_DIR/package-lock.json" "$TOOLS/package-lock.json.new"
  mv "$TOOLS/package-lock.json.new" "$TOOLS/package-lock.json"
  if ! (cd "$TOOLS" && npm_config_update_notifier=false npm ci --no-audit --no-fund --prefer-offline); then
    rm -f "$TOOLS/package-lock.json"
    return 1
  fi
}

install() {
  command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed (Node.js 20+)"
  mkdir -p "$LOG"
  local t0 missing apt_pid='' npm_pid='' rc=0
  t0=$(now)
  mapfile -t missing < <(apt_missing)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}) and not root"
    say "apt: installing ${missing[*]} (log: $LOG/apt.log)"
    (
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -q -o DPkg::Lock::Timeout=600 &&
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
    ) </dev/null >"$LOG/apt.log" 2>&1 &
    apt_pid=$!
  else
    say "apt: ${APT_PACKAGES[*]} already installed"
  fi
  if npm_installed; then
    say "npm: $TOOLS already has the pinned packages of scripts/servers/package-lock.json"
  else
    say "npm: npm ci of scripts/servers/package-lock.json into $TOOLS (log: $LOG/npm.log; 1-5 min cold)"
    npm_install </dev/null >"$LOG/npm.log" 2>&1 &
    npm_pid=$!
  fi
  if [ -n "$apt_pid" ]; then
    if wait "$apt_pid"; then say "apt: done ($(since "$t0"))"
    else rc=1; echo "[local-servers] ERROR: apt-get install failed" >&2; tail_logs apt "$LOG/apt.log"; fi
    mapfile -t missing < <(apt_missing)
    if [ $rc = 0 ] && [ ${#missing[@]} -gt 0 ]; then rc=1; echo "[local-servers] ERROR: still missing: ${missing[*]}" >&2; fi
  fi
  if [ -n "$npm_pid" ]; then
    if wait "$npm_pid" && npm_installed; then say "npm: done ($(since "$t0"))"
    else rc=1; echo "[local-servers] ERROR: npm ci failed" >&2; tail_logs npm "$LOG/npm.log"; fi
  fi
  [ $rc = 0 ] || exit 1
  say "install: ok ($(since "$t0"))"
}

# ---------------------------------------------------------------------------------------------------------------- servers
stop_pg() {
  local D="$EMU/pg"
  if [ -f "$D/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
}

start_pg() {
  local D="$EMU/pg"
  stop_pg; rm -rf "$D"
  mkdir -p "$D"; chown postgres:postgres "$D"
  touch "$LOG/pg.log"; chown postgres "$LOG/pg.log"
  echo postgres >"$D/pw"; chown postgres "$D/pw"; chmod 600 "$D/pw"
  started_add pg
  runuser -u postgres -- "$PGBIN/initdb" -D "$D/data" -U postgres --pwfile="$D/pw" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync </dev/null >"$LOG/pg-initdb.log" 2>&1 ||
    { echo "[local-servers] ERROR: initdb failed" >&2; tail_logs pg "$LOG/pg-initdb.log"; return 1; }
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/data" -l "$LOG/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $D -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start </dev/null >"$LOG/pg-ctl.log" 2>&1 ||
    { echo "[local-servers] ERROR: PostgreSQL did not start on port $PG_PORT" >&2; tail_logs pg "$LOG/pg-ctl.log" "$LOG/pg.log"; return 1; }
  runuser -u postgres -- psql -h "$D" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE filesvc LOGIN PASSWORD 'filesvc'" -c "CREATE DATABASE filesvc OWNER filesvc" </dev/null >>"$LOG/pg-ctl.log" 2>&1 ||
    { echo "[local-servers] ERROR: creating role/db filesvc failed" >&2; tail_logs pg "$LOG/pg-ctl.log" "$LOG/pg.log"; return 1; }
  wait_ready pg 30 "" "$LOG/pg.log"
}

stop_rgw() {
  local C="$EMU/ceph"
  # RGW first, while the OSD still answers (stopped together, RGW's shutdown hangs on the gone OSD); then OSD and mon.
  # Everything lives in RAM (memstore) and is thrown away: short grace periods, then SIGKILL.
  stop_pid "$C/run/client.rgw.local.pid" "$C/ceph.conf" 5
  stop_pid "$C/run/osd.0.pid" "$C/ceph.conf" 5
  stop_pid "$C/run/mon.a.pid" "$C/ceph.conf" 5
}

retry() { # attempts what command... — output to $L
  local n=$1 what=$2 i
  shift 2
  for i in $(seq 1 "$n"); do
    "$@" </dev/null >>"$L" 2>&1 && return 0
    echo "[local-servers] $what: start attempt $i/$n failed" | tee -a "$L" >&2
    sleep 1
  done
  return 1
}

start_rgw() {
  local C="$EMU/ceph" FSID OSDID CF ok=0
  stop_rgw; rm -rf "$C"
  mkdir -p "$C"/{mon,osd0,run,rgw}
  FSID=$(cat /proc/sys/kernel/random/uuid)
  OSDID=$(cat /proc/sys/kernel/random/uuid)
  cat >"$C/ceph.conf" <<CONF
[global]
fsid = $FSID
mon initial members = a
mon host = v1:127.0.0.1:$CEPH_MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
run dir = $C/run
admin socket = $C/run/\$name.asok
log file = $LOG/ceph-\$name.log
pid file = $C/run/\$name.pid
[mon]
mon data = $C/mon
[osd]
osd data = $C/osd\$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd class update on start = false
[client.rgw.local]
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT
rgw data = $C/rgw
# Tests and benchmarks delete a lot; free deleted objects' space in the RAM store within seconds, not hours.
rgw gc obj min wait = 10
rgw gc processor period = 10
CONF
  CF=(-c "$C/ceph.conf")
  local L="$LOG/ceph-setup.log"
  : >"$L"
  started_add rgw
  {
    monmaptool --create --addv a "[v1:127.0.0.1:$CEPH_MON_PORT]" --fsid "$FSID" "$C/monmap" &&
      ceph-mon "${CF[@]}" --mkfs -i a --monmap "$C/monmap" &&
      ceph-mon "${CF[@]}" -i a
  } </dev/null >>"$L" 2>&1 || { echo "[local-servers] ERROR: ceph-mon did not start" >&2; tail_logs rgw "$L" "$LOG/ceph-mon.a.log"; return 1; }
  # The OSD gets its own uuid at mkfs and is registered under it (mkfs without --osd-uuid leaves fsid 000…, and the OSD
  # then dies with "mon_cmd_maybe_osd_create fail: 'wrong fsid'").
  ceph-osd "${CF[@]}" -i 0 --mkfs --osd-uuid "$OSDID" --monmap "$C/monmap" </dev/null >>"$L" 2>&1 ||
    { echo "[local-servers] ERROR: ceph-osd --mkfs failed" >&2; tail_logs rgw "$L" "$LOG/ceph-osd.0.log"; return 1; }
  for _ in $(seq 1 30); do # right after start the mon may answer EPERM "problem getting command descriptions"
    if timeout 10 ceph "${CF[@]}" osd new "$OSDID" 0 </dev/null >>"$L" 2>&1; then ok=1; break; fi
    sleep 1
  done
  [ $ok = 1 ] || { echo "[local-servers] ERROR: 'ceph osd new' failed for 30 s" >&2; tail_logs rgw "$L" "$LOG/ceph-mon.a.log"; return 1; }
  # ceph-osd and radosgw return only once their init is done (non-zero when it failed). Right after the mon has formed
  # its quorum the OSD's first mon command sometimes goes out with fsid 000… and the mon refuses it ('wrong fsid'),
  # which kills the OSD at init; a second start works. Hence the bounded retries.
  retry 5 "ceph-osd" ceph-osd "${CF[@]}" -i 0 ||
    { echo "[local-servers] ERROR: ceph-osd did not start" >&2; tail_logs rgw "$L" "$LOG/ceph-osd.0.log"; return 1; }
  retry 3 "radosgw" radosgw "${CF[@]}" -n client.rgw.local ||
    { echo "[local-servers] ERROR: radosgw did not start" >&2; tail_logs rgw "$L" "$LOG/ceph-client.rgw.local.log"; return 1; }
  wait_ready rgw 90 "" "$L" "$LOG/ceph-client.rgw.local.log" "$LOG/ceph-osd.0.log" || return 1
  timeout 60 radosgw-admin "${CF[@]}" user create --uid=filesvc-test --display-name=filesvc-test \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" </dev/null >>"$L" 2>&1 ||
    { echo "[local-servers] ERROR: radosgw-admin user create failed" >&2; tail_logs rgw "$L" "$LOG/ceph-client.rgw.local.log"; return 1; }
  for _ in $(seq 1 50); do s3_auth_ok && return 0; sleep 0.2; done
  echo "[local-servers] ERROR: RGW does not accept the key $S3_ACCESS_KEY" >&2; tail_logs rgw "$L" "$LOG/ceph-client.rgw.local.log"; return 1
}

stop_azurite() { stop_pid "$EMU/run/azurite.pid" azurite-blob 20; }

launch_azurite() {
  stop_azurite; rm -rf "$EMU/azurite"; mkdir -p "$EMU/azurite"
  [ -x "$TOOLS/node_modules/.bin/azurite-blob" ] || { echo "[local-servers] ERROR: $TOOLS/node_modules/.bin/azurite-blob missing: run '$0 install'" >&2; return 1; }
  (cd "$EMU/azurite" && exec "$TOOLS/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" \
    --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --silent) </dev/null >"$LOG/azurite.log" 2>&1 &
  echo $! >"$EMU/run/azurite.pid"
  started_add azurite
}

stop_gcs() { stop_pid "$EMU/run/gcs.pid" gcs-emulator.js 20; }

launch_gcs() {
  stop_gcs; rm -rf "$EMU/gcs"; mkdir -p "$EMU/gcs"
  [ -f "$TOOLS/node_modules/firebase-tools/package.json" ] || { echo "[local-servers] ERROR: firebase-tools missing in $TOOLS: run '$0 install'" >&2; return 1; }
  (cd "$EMU/gcs" && TMPDIR="$EMU/gcs" EMU_TOOLS="$TOOLS" GCS_HOST=127.0.0.1 GCS_PORT="$GCS_PORT" \
    exec node "$SERVERS_DIR/gcs-emulator.js") </dev/null >"$LOG/gcs.log" 2>&1 &
  echo $! >"$EMU/run/gcs.pid"
  started_add gcs
}

# ---------------------------------------------------------------------------------------------------------------- commands
up() {
  local t0 s todo=() rc=0
  t0=$(now)
  mkdir -p "$EMU/run" "$LOG"
  chmod 755 "$EMU" "$LOG"  # postgres (initdb, pg.log) must reach its dirs whatever the umask
  touch "$STARTED"
  for s in "${SERVERS[@]}"; do
    if "ready_$s"; then
      if started_has "$s"; then say "$s: already running on port $(port_of "$s") (started by an earlier 'up' with EMU_DIR=$EMU)"
      else say "$s: already answering on port $(port_of "$s"): reusing it ('down' leaves it alone)"; fi
      continue
    fi
    if started_has "$s"; then "stop_$s"; started_del "$s"; fi  # ours, but no longer answering
    if port_open "$(port_of "$s")"; then
      echo "[local-servers] ERROR: port $(port_of "$s") is in use by something that does not answer as $s; free it or choose another port" >&2
      rc=1; continue
    fi
    if [ "$s" = rgw ] && port_open "$CEPH_MON_PORT"; then
      echo "[local-servers] ERROR: CEPH_MON_PORT $CEPH_MON_PORT is in use (another Ceph mon?); set CEPH_MON_PORT to a free port" >&2
      rc=1; continue
    fi
    todo+=("$s")
  done
  [ $rc = 0 ] || exit 1
  [ ${#todo[@]} -gt 0 ] || { say "up: nothing to start ($(since "$t0"))"; print_endpoints; return 0; }
  say "up: starting ${todo[*]} (EMU_DIR=$EMU)"
  # the node servers start in the background while PostgreSQL and Ceph are set up
  for s in azurite gcs; do
    [[ " ${todo[*]} " == *" $s "* ]] || continue
    "launch_$s" || rc=1
  done
  if [ $rc = 0 ] && [[ " ${todo[*]} " == *" pg "* ]]; then
    if start_pg; then say "pg: ready on 127.0.0.1:$PG_PORT ($(since "$t0"))"; else rc=1; fi
  fi
  if [ $rc = 0 ] && [[ " ${todo[*]} " == *" rgw "* ]]; then
    if start_rgw; then say "rgw: ready on 127.0.0.1:$S3_PORT ($(since "$t0"))"; else rc=1; fi
  fi
  if [ $rc = 0 ] && [[ " ${todo[*]} " == *" azurite "* ]]; then
    if wait_ready azurite 60 "$(cat "$EMU/run/azurite.pid")" "$LOG/azurite.log"; then
      say "azurite: ready on 127.0.0.1:$AZ_PORT ($(since "$t0"))"; else rc=1; fi
  fi
  if [ $rc = 0 ] && [[ " ${todo[*]} " == *" gcs "* ]]; then
    if wait_ready gcs 60 "$(cat "$EMU/run/gcs.pid")" "$LOG/gcs.log"; then
      say "gcs: ready on 127.0.0.1:$GCS_PORT ($(since "$t0"))"; else rc=1; fi
  fi
  if [ $rc != 0 ]; then
    echo "[local-servers] ERROR: up failed; run '$0 down' to stop what it started (logs: $LOG)" >&2
    exit 1
  fi
  say "up: ok ($(since "$t0"))"
  print_endpoints
}

down() {
  local t0 s p order=(gcs azurite rgw pg) stopped=() pids=()
  t0=$(now)
  if [ ! -s "$STARTED" ]; then say "down: nothing was started by 'up' with EMU_DIR=$EMU"; return 0; fi
  for s in "${order[@]}"; do
    started_has "$s" || continue
    "stop_$s" &
    pids+=($!)
    stopped+=("$s")
  done
  wait "${pids[@]}"
  for s in "${stopped[@]}"; do
    started_del "$s"
    for p in $(cat "$EMU/run/$s.ports" 2>/dev/null); do
      if port_open "$p"; then echo "[local-servers] WARNING: port $p ($s) is still open after stopping $s" >&2; fi
    done
    rm -f "$EMU/run/$s.ports"
  done
  say "down: stopped ${stopped[*]} ($(since "$t0"))"
}

status() {
  local s rc=0 who extra
  for s in "${SERVERS[@]}"; do
    if started_has "$s"; then who="started by up (EMU_DIR=$EMU)"; else who="not started by this script"; fi
    extra=''
    if "ready_$s"; then
      if [ "$s" = rgw ]; then
        if s3_auth_ok; then extra=", key $S3_ACCESS_KEY accepted"; else extra=", key $S3_ACCESS_KEY REJECTED"; rc=1; fi
      fi
      printf '%-8s up    127.0.0.1:%-5s  %s%s\n' "$s" "$(port_of "$s")" "$who" "$extra"
    else
      printf '%-8s DOWN  127.0.0.1:%-5s  %s\n' "$s" "$(port_of "$s")" "$who"; rc=1
    fi
  done
  return $rc
}

env_exports() {
  cat <<EOF
export FILESERVICE_TEST_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Database=filesvc;Username=filesvc;Password=filesvc'
export FILESERVICE_TEST_S3_URL='http://127.0.0.1:$S3_PORT'
export FILESERVICE_TEST_S3_ACCESS_KEY='$S3_ACCESS_KEY'
export FILESERVICE_TEST_S3_SECRET_KEY='$S3_SECRET_KEY'
export FILESERVICE_TEST_AZURE='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZ_KEY;BlobEndpoint=http://127.0.0.1:$AZ_PORT/devstoreaccount1;'
export FILESERVICE_TEST_GCS_URL='http://127.0.0.1:$GCS_PORT'
EOF
}

print_endpoints() {
  say "PG  Host=127.0.0.1;Port=$PG_PORT;Database=filesvc;Username=filesvc;Password=filesvc"
  say "S3  http://127.0.0.1:$S3_PORT (path-style, key $S3_ACCESS_KEY/$S3_SECRET_KEY, region us-east-1)"
  say "AZ  BlobEndpoint=http://127.0.0.1:$AZ_PORT/devstoreaccount1 (devstoreaccount1, well-known key)"
  say "GCS http://127.0.0.1:$GCS_PORT (JSON API /storage/v1, uploads /upload/storage/v1; no auth)"
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_exports ;;
  *) echo "usage: $0 install|up|down|status|env" >&2; exit 2 ;;
esac
