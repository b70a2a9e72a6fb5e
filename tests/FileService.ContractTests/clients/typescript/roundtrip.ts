// Drives the TypeScript client (openapi-typescript types + openapi-fetch) generated from openapi.yaml at test time by
// TypeScriptClientTests, type-checked in strict mode: no casts, no @ts-expect-error.
// usage: node out/roundtrip.js <base URL> <API key>
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const [baseUrl, apiKey] = process.argv.slice(2);
if (!baseUrl || !apiKey) throw new Error("usage: roundtrip.js <base URL> <API key>");
const api = createClient<paths>({ baseUrl, headers: { "X-Api-Key": apiKey } });
const owner = `ts-${crypto.randomUUID().slice(0, 8)}`;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`TypeScript round trip failed: ${what}`);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

// Every byte value, several MB, as a raw body (bodySerializer passes the Blob through untouched).
const bytes = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) % 256);
const uploaded = await api.POST("/v1/files", {
  params: { query: { name: "all-bytes.bin", profile: "files", owner } },
  body: new Blob([bytes]),
  bodySerializer: (body) => body,
  headers: { "Content-Type": "application/octet-stream" },
});
if (!uploaded.data) throw new Error(`upload failed: ${uploaded.response.status} ${uploaded.error?.code}`);
const id = uploaded.data.id;
check(uploaded.data.size === bytes.length && uploaded.data.name === "all-bytes.bin", "upload stored the bytes under the name");
check(uploaded.response.headers.get("Location") === `/v1/files/${id}`, "upload answers the record's Location");

const record = await api.GET("/v1/files/{id}", { params: { path: { id } } });
check(record.data?.owner === owner && record.data.eTag.length > 0, "get returns the record");

// A multipart upload and several pages, following nextCursor.
for (let i = 0; i < 4; i++) {
  const form = await api.POST("/v1/files", {
    body: { name: `page-${i}.txt`, owner, file: new Blob([`page ${i}`], { type: "text/plain" }) },
    bodySerializer: (body) => {
      const data = new FormData();
      for (const [field, value] of Object.entries(body)) if (value !== null && value !== undefined) data.append(field, value);
      return data;
    },
  });
  check(form.response.status === 201 && form.data?.contentType === "text/plain", `multipart upload ${i}: ${form.response.status} ${form.error?.code}`);
}
const listed: string[] = [];
let cursor: string | null = null;
let pages = 0;
do {
  const page: Awaited<ReturnType<typeof listPage>> = await listPage(cursor);
  if (!page.data) throw new Error(`list failed: ${page.response.status}`);
  listed.push(...page.data.items.map((f) => f.id));
  cursor = page.data.nextCursor;
  pages++;
} while (cursor !== null && pages < 10);
check(listed.length === 5 && new Set(listed).size === 5 && listed[0] === id && pages >= 3, `listing gave ${listed.length} files in ${pages} pages`);

function listPage(after: string | null) {
  return api.GET("/v1/files", { params: { query: { owner, limit: 2, ...(after === null ? {} : { cursor: after }) } } });
}

const download = await api.GET("/v1/files/{id}/content", { params: { path: { id } }, parseAs: "arrayBuffer" });
check(download.response.status === 200 && download.data !== undefined && equal(new Uint8Array(download.data), bytes), "downloaded bytes equal the uploaded ones");
const ranged = await api.GET("/v1/files/{id}/content", { params: { path: { id }, header: { Range: "bytes=1000-1999" } }, parseAs: "arrayBuffer" });
check(ranged.response.status === 206 && ranged.data !== undefined && equal(new Uint8Array(ranged.data), bytes.subarray(1000, 2000)), "ranged bytes equal bytes 1000-1999");

const url = await api.POST("/v1/files/{id}/url", { params: { path: { id } }, body: { expiresIn: 300 } });
if (!url.data) throw new Error(`url failed: ${url.response.status}`);
const signed = await fetch(url.data.url);
check(signed.ok && equal(new Uint8Array(await signed.arrayBuffer()), bytes), "the signed URL serves the same bytes without a key");

// A direct upload: the service grants, the client PUTs exactly as told, the service verifies.
const direct = new Uint8Array(200_000).map((_, i) => i % 251);
const session = await api.POST("/v1/uploads", {
  body: { profile: "direct", name: "direct.bin", contentType: "application/octet-stream", size: direct.length, owner },
});
if (!session.data?.upload) throw new Error(`create upload failed: ${session.response.status} ${session.error?.code}`);
const put = await fetch(session.data.upload.url, { method: session.data.upload.method, headers: session.data.upload.headers, body: direct });
check(put.ok, `direct PUT answered ${put.status}`);
const completed = await api.POST("/v1/uploads/{id}/complete", { params: { path: { id: session.data.uploadId } }, body: { parts: [] } });
check(completed.data?.id === session.data.fileId && completed.data.size === direct.length, "completing the direct upload gives its record");

const deleted = await api.DELETE("/v1/files/{id}", { params: { path: { id } } });
check(deleted.response.status === 204, `delete answered ${deleted.response.status}`);
const gone = await api.GET("/v1/files/{id}", { params: { path: { id } } });
check(gone.response.status === 404 && gone.error?.code === "file-not-found", `a deleted file gives ${gone.response.status} ${gone.error?.code}`);
console.log("TypeScript round trip: ok");
