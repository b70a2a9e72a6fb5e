#!/usr/bin/env bash
# scripts/tus-clients.sh install
#
# Installs the pinned npm packages of tests/tus-clients (package-lock.json): the real tus clients the tests run
# (tus-js-client 4.3.1 under Node; Uppy 6 with @uppy/tus, bundled by esbuild for Chromium) and the reference server
# bench/ compares with (@tus/server with @tus/file-store and @tus/s3-store). `npm ci` only when the installed tree is
# not the one the lock describes; scripts/test.sh runs this before the tests. Needs node and npm (Node.js 20+).
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/tus-clients" && pwd)"
case "${1:-install}" in
  install)
    command -v npm >/dev/null || { echo "[tus-clients] ERROR: node and npm are needed (Node.js 20+)" >&2; exit 1; }
    if [ -f "$DIR/node_modules/.package-lock.json" ] && [ -f "$DIR/node_modules/.installed-lock" ] &&
       cmp -s "$DIR/package-lock.json" "$DIR/node_modules/.installed-lock"; then
      echo "[tus-clients] npm packages of tests/tus-clients already installed"
      exit 0
    fi
    echo "[tus-clients] npm ci in tests/tus-clients"
    (cd "$DIR" && npm_config_update_notifier=false npm ci --no-audit --no-fund --prefer-offline >/dev/null)
    cp "$DIR/package-lock.json" "$DIR/node_modules/.installed-lock"
    ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
