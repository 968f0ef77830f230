/**
 * The dump's zstd layer (BACKUP_COMPRESSION=zstd:N): Node's own zstd, which runs on a libuv thread so that the
 * compression works beside pg_dump instead of inside it. Frames carry a content checksum, so a plain
 * `zstd -d` (the by-hand restore) also proves what it decompressed.
 */
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { constants, createZstdCompress, createZstdDecompress, type ZstdCompress } from 'node:zlib';

/** Every zstd frame starts with these bytes (RFC 8878). */
export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

const CHUNK_BYTES = 128 * 1024;

export function createDumpCompressor(level: number): ZstdCompress {
  return createZstdCompress({
    chunkSize: CHUNK_BYTES,
    params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 1 },
  });
}

async function readHead(iterator: AsyncIterator<Buffer>, bytes: number): Promise<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  while (head.length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  return head;
}

/**
 * A pipeline stage that decompresses a zstd stream and passes anything else through unchanged: the content
 * decides, not the file's name, so a renamed dump still restores.
 */
export async function* decompressIfZstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const head = await readHead(iterator, ZSTD_MAGIC.length);
  async function* whole(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  if (!head.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) {
    yield* whole();
    return;
  }
  // 1 MiB output chunks: decompressing 400 MB took 0.69-0.75 s against 0.79-0.92 s with 128 KiB (and 1.7-2.0 s
  // with zlib's default 16 KiB), measured interleaved.
  const decompressor = createZstdDecompress({ chunkSize: 1024 * 1024 });
  const feeding = (async () => {
    for await (const chunk of whole()) {
      if (!decompressor.write(chunk)) await once(decompressor, 'drain');
    }
    decompressor.end();
  })().catch((error: unknown) => decompressor.destroy(error as Error));
  for await (const chunk of decompressor) yield chunk as Buffer;
  await feeding;
}

/** `decompressIfZstd` as a stream, for a `stream.pipeline` of streams. */
export function createZstdIfFramedStream(): Duplex {
  return Duplex.from(decompressIfZstd);
}
