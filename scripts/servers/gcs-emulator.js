'use strict';
// GCS JSON API stand-in: the firebase-tools storage emulator, constructed directly so that neither the firebase CLI
// (it needs Java >= 21 and downloads a rules-runtime jar: impossible offline) nor its rules runtime is started.
// The JSON API routes (/storage/v1, /upload/storage/v1, /download/storage/v1, /b) go through the emulator's admin
// layer, which needs no rules. It uses firebase-tools internals: keep firebase-tools pinned (scripts/servers/package.json).
//
// Started by scripts/local-servers.sh as: EMU_TOOLS=<tools dir> GCS_PORT=<port> node scripts/servers/gcs-emulator.js
// firebase-tools is resolved from $EMU_TOOLS/node_modules first, then the usual way (e.g. scripts/servers/node_modules).
const path = require('path');

const searchPaths = [process.env.EMU_TOOLS, __dirname].filter(Boolean);
const fbt = path.dirname(require.resolve('firebase-tools/package.json', { paths: searchPaths }));
const { StorageEmulator } = require(path.join(fbt, 'lib/emulator/storage'));
const { EmulatorRegistry } = require(path.join(fbt, 'lib/emulator/registry'));

const host = process.env.GCS_HOST || '127.0.0.1';
const port = Number(process.env.GCS_PORT || 9199);
const emu = new StorageEmulator({
  projectId: process.env.GCS_PROJECT || 'demo-test',
  host,
  port,
  rules: { name: 'none.rules', content: '' },
  auto_download: false,
});
emu._rulesRuntime.start = async () => {};
emu._rulesRuntime.stop = async () => {};
emu._rulesManager.start = async () => ({ errors: [], warnings: [] });
emu._rulesManager.stop = async () => {};

EmulatorRegistry.start(emu).then(
  () => console.log(`GCS emulator on http://${host}:${port} (firebase-tools ${require(path.join(fbt, 'package.json')).version})`),
  (e) => { console.error(e); process.exit(1); });

const stop = () => emu.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
