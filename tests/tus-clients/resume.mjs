// tus-js-client 4.3.1 under Node, as the integration tests and bench/ drive it.
//   node resume.mjs start  <endpoint> <file> <chunkSize> <stopAfterChunks> [headers-json] [metadata-json]
//     uploads until <stopAfterChunks> chunks are acknowledged (0: to the end), then aborts; prints one JSON line.
//   node resume.mjs resume <uploadUrl> <file> <chunkSize> [headers-json]
//     a new client instance continues from the stored URL: HEAD, then PATCHes to the end; prints one JSON line.
// The JSON: {"url", "offsetAtStart", "offset", "fileId", "chunks", "status"}; on failure {"error", "status"} and exit 1.
import { createReadStream, statSync } from 'node:fs';
import * as tus from 'tus-js-client';

const [mode, target, file, chunkSizeText, fourth, fifth, sixth] = process.argv.slice(2);
const chunkSize = Number(chunkSizeText);
const stopAfter = mode === 'start' ? Number(fourth) : 0;
const headers = JSON.parse((mode === 'start' ? fifth : fourth) || '{}');
const metadata = JSON.parse((mode === 'start' ? sixth : '') || '{}');
const size = statSync(file).size;

let chunks = 0, offsetAtStart = null, offset = 0, fileId = null, lastStatus = null;
const upload = new tus.Upload(createReadStream(file), {
  endpoint: mode === 'start' ? target : undefined,
  uploadUrl: mode === 'resume' ? target : undefined,
  uploadSize: size,
  chunkSize,
  headers,
  metadata,
  retryDelays: [200, 500, 1000, 2000, 3000, 5000],
  storeFingerprintForResuming: false,
  removeFingerprintOnSuccess: false,
  onBeforeRequest(req) {
    if (req.getMethod() === 'PATCH' && offsetAtStart === null) offsetAtStart = Number(req.getHeader('Upload-Offset'));
  },
  onAfterResponse(req, res) {
    lastStatus = res.getStatus();
    const id = res.getHeader('FileService-File-Id');
    if (id) fileId = id;
  },
  onChunkComplete(_size, accepted) {
    chunks++;
    offset = accepted;
    if (stopAfter > 0 && chunks === stopAfter) {
      upload.abort().then(() => done({ status: lastStatus }));
    }
  },
  onSuccess() { offset = size; done({ status: lastStatus }); },
  onError(error) {
    console.log(JSON.stringify({ error: String(error && error.message || error), status: error?.originalResponse?.getStatus?.() ?? null, url: upload.url }));
    process.exit(1);
  },
});

function done(extra) {
  console.log(JSON.stringify({ url: upload.url, offsetAtStart, offset, fileId, chunks, ...extra }));
  process.exit(0);
}

upload.start();
