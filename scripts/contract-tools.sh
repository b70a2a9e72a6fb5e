#!/usr/bin/env bash
# scripts/contract-tools.sh install
#
# Installs the third-party tools the contract tests (tests/FileService.ContractTests) run against openapi.yaml:
#   - NSwag's console (the .NET local tool pinned in .config/dotnet-tools.json): `dotnet tool restore`;
#   - Redocly CLI, Spectral, openapi-typescript, openapi-fetch and TypeScript (pinned in
#     tests/FileService.ContractTests/node/package-lock.json): `npm ci` there, skipped when that lock is already installed.
# Idempotent and safe to run concurrently (flock). scripts/test.sh runs it; the contract tests run it too, so a bare
# `dotnet test` works on a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NODE_DIR=tests/FileService.ContractTests/node
say() { echo "[contract-tools] $*"; }

install() {
  command -v node >/dev/null && command -v npm >/dev/null || { echo "[contract-tools] ERROR: node and npm are needed (Node.js 20+)" >&2; exit 1; }
  exec 9>"$NODE_DIR/.install.lock"
  flock -w 600 9 || { echo "[contract-tools] ERROR: timed out waiting for another install" >&2; exit 1; }
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet tool restore >/dev/null
  say "dotnet tools: $(dotnet tool list --local | awk 'NR>2 {print $1 " " $2}' | tr '\n' ' ')"
  if cmp -s "$NODE_DIR/package-lock.json" "$NODE_DIR/node_modules/.installed-lock.json" 2>/dev/null; then
    say "npm: $NODE_DIR already has the pinned packages"
  else
    say "npm: npm ci in $NODE_DIR"
    (cd "$NODE_DIR" && npm_config_update_notifier=false npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
    cp "$NODE_DIR/package-lock.json" "$NODE_DIR/node_modules/.installed-lock.json"
  fi
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
