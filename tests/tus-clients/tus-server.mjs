// The tus project's own Node server, the peer bench/tus.sh measures FileService against.
//   node tus-server.mjs <port> file <directory>
//   node tus-server.mjs <port> s3 <endpoint> <bucket> <accessKey> <secretKey>
// Serves /files/ with @tus/server 2.4.5 on @tus/file-store 2.1.1 or @tus/s3-store 2.0.7 (8 MiB parts, path-style,
// checksums only when required: Ceph RGW 16 refuses the SDK's default CRC32 trailers).
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { S3Store } from '@tus/s3-store';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';

const [portText, kind, ...rest] = process.argv.slice(2);
let datastore;
if (kind === 'file') {
  datastore = new FileStore({ directory: rest[0] });
} else {
  const [endpoint, bucket, accessKeyId, secretAccessKey] = rest;
  const s3ClientConfig = {
    bucket, endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  };
  try {
    await new S3Client(s3ClientConfig).send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(e.name)) throw e;
  }
  datastore = new S3Store({ partSize: 8 * 1024 * 1024, s3ClientConfig });
}
const server = new Server({ path: '/files', datastore });
server.listen({ host: '127.0.0.1', port: Number(portText) }, () => console.log(`listening on ${portText}`));
