/** The S3 module: settings, client, preflight/inspection, streamed upload and download, verification, objects. */
export * from './settings.js';
export * from './client.js';
export * from './errors.js';
export * from './region.js';
export * from './inspect.js';
export * from './upload.js';
export * from './upload-gate.js';
export * from './download.js';
export * from './objects.js';
export * from './verify.js';
export { sha256OfFile, HashingStream } from './hash.js';
export { SHA256_METADATA_KEY } from './metadata.js';
