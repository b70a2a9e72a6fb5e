// One timed tus upload with tus-js-client, for bench/tus.sh: the same client against FileService and @tus/server.
//   node bench-upload.mjs <endpoint> <file> <chunkSize|0 for one PATCH> <headers-json> <metadata-json> [cleanup-base]
// Prints {"ms", "bytes", "url", "fileId"}; then removes what it stored (DELETE of the FileService file under
// cleanup-base, or tus termination of the finished upload on @tus/server) so that RGW's memory stays free.
import { createReadStream, statSync } from 'node:fs';
import * as tus from 'tus-js-client';

const [endpoint, file, chunkText, headersText, metadataText, cleanupBase] = process.argv.slice(2);
const headers = JSON.parse(headersText);
const size = statSync(file).size;
let fileId = null;
const started = process.hrtime.bigint();
const upload = new tus.Upload(createReadStream(file), {
  endpoint, headers, metadata: JSON.parse(metadataText), uploadSize: size,
  chunkSize: Number(chunkText) > 0 ? Number(chunkText) : Infinity,
  retryDelays: null, storeFingerprintForResuming: false,
  onAfterResponse(_req, res) { const id = res.getHeader('FileService-File-Id'); if (id) fileId = id; },
  onError(error) { console.log(JSON.stringify({ error: String(error) })); process.exit(1); },
  async onSuccess() {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (fileId && cleanupBase) await fetch(`${cleanupBase}v1/files/${fileId}`, { method: 'DELETE', headers });
    else await fetch(upload.url, { method: 'DELETE', headers: { ...headers, 'Tus-Resumable': '1.0.0' } });
    console.log(JSON.stringify({ ms, bytes: size, url: upload.url, fileId }));
    process.exit(0);
  },
});
upload.start();
