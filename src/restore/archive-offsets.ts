/**
 * The data offsets of a custom-format archive that pg_dump wrote to a pipe. Such an archive's table of contents
 * says "position not set" for every table's data, so `pg_restore --table` and each `pg_restore -j` worker read
 * through every block before the one they want (one chunk per row in an uncompressed archive). While the archive
 * streams into the private folder, `ArchiveOffsetScanner` notes where each data block starts and where each entry's
 * offset field lies; `fillArchiveOffsets` then writes the positions into the file, each one checked first against
 * the block header it points at. Anything unexpected leaves the file as it was: offsets only make reading faster.
 *
 * Layout (PostgreSQL's pg_backup_archiver.c, archive versions 1.12 to 1.16): ints are a sign byte and `intSize`
 * little-endian bytes; strings an int length (-1: none) and the bytes; an offset a flag byte (1 not set, 2 set,
 * 3 no data) and `offSize` little-endian bytes. Data blocks: a type byte (1 data, 3 large objects), the entry's
 * dump id, then length-prefixed chunks ending with a zero length (large objects: an oid before each object's
 * chunks, a zero oid at the end).
 */
import { open } from 'node:fs/promises';

const OFFSET_NOT_SET = 1;
const OFFSET_SET = 2;
const BLOCK_DATA = 1;
const BLOCK_LARGE_OBJECTS = 3;
/** A table of contents larger than this is not looked at (the scan gives up; the archive is untouched). */
const MAX_TOC_BYTES = 64 * 1024 * 1024;

class NeedMore extends Error {}

/** Reads the archive's numbers from a buffer; throws NeedMore past its end. */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly intSize: number,
  ) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new NeedMore();
    return this.buf[this.pos++] as number;
  }
  int(): number {
    const { buf, intSize } = this;
    let pos = this.pos;
    if (pos + 1 + intSize > buf.length) throw new NeedMore();
    const sign = buf[pos++] as number;
    let value = 0;
    for (let i = 0, scale = 1; i < intSize; i++, scale *= 256) value += (buf[pos++] as number) * scale;
    this.pos = pos;
    return sign ? -value : value;
  }
  skipString(): number {
    const length = this.int();
    if (length > 0) this.skip(length);
    return length;
  }
  skip(bytes: number): void {
    if (this.pos + bytes > this.buf.length) throw new NeedMore();
    this.pos += bytes;
  }
}

interface Toc {
  intSize: number;
  offSize: number;
  /** Where each entry's offset flag byte lies, by dump id, for the entries whose offset is not set. */
  fields: Map<number, number>;
  end: number;
}

function readHeader(c: Cursor): { version: number; offSize: number } {
  if (c.buf.subarray(0, 5).toString('latin1') !== 'PGDMP') throw new Error('not a custom archive');
  c.pos = 5;
  const version = c.byte() * 10_000 + c.byte() * 100 + c.byte();
  c.byte(); // intSize, read by the caller
  const offSize = c.byte();
  if (c.byte() !== 1) throw new Error('not the custom format');
  if (version < 11_200 || version > 11_600) throw new Error(`archive version ${version} not known here`);
  if (version >= 11_500) c.byte();
  else c.int(); // compression
  for (let i = 0; i < 7; i++) c.int(); // the creation time
  c.skipString(); // database name
  c.skipString(); // server version
  c.skipString(); // pg_dump version
  return { version, offSize };
}

function readEntry(c: Cursor, version: number, offSize: number, fields: Map<number, number>): void {
  const dumpId = c.int();
  c.int(); // hadDumper
  for (let i = 0; i < 4; i++) c.skipString(); // tableoid, oid, tag, desc
  c.int(); // section
  const strings = version >= 11_400 ? 6 : 5; // defn, dropStmt, copyStmt, namespace, tablespace, (tableam)
  for (let i = 0; i < strings; i++) c.skipString();
  if (version >= 11_600) c.int(); // relkind
  c.skipString(); // owner
  c.skipString(); // "false" (no OIDs)
  while (c.skipString() >= 0); // dependencies, up to a null string
  const field = c.pos;
  const flag = c.byte();
  c.skip(offSize);
  if (flag === OFFSET_NOT_SET) fields.set(dumpId, field);
}

/** The table of contents, or NeedMore while the buffer does not hold all of it yet. */
function readToc(buf: Buffer): Toc {
  if (buf.length < 9) throw new NeedMore();
  const intSize = buf[8] as number;
  if (intSize < 1 || intSize > 8) throw new Error('bad int size');
  const c = new Cursor(buf, 0, intSize);
  const { version, offSize } = readHeader(c);
  if (offSize < 4 || offSize > 8) throw new Error('bad offset size');
  const count = c.int();
  const fields = new Map<number, number>();
  for (let i = 0; i < count; i++) readEntry(c, version, offSize, fields);
  return { intSize, offSize, fields, end: c.pos };
}

type State = 'block' | 'length' | 'oid' | 'skip';

export class ArchiveOffsetScanner {
  #head: Buffer[] = [];
  #headBytes = 0;
  #toc: Toc | undefined;
  #failed = false;
  /** Bytes of the stream before `#carry`. */
  #base = 0;
  #carry: Buffer = Buffer.alloc(0);
  #state: State = 'block';
  #inLargeObjects = false;
  #toSkip = 0;
  readonly blocks = new Map<number, number>();

  feed(chunk: Buffer): void {
    if (this.#failed) return;
    try {
      if (!this.#toc) this.#collectToc(chunk);
      else this.#scan(chunk);
    } catch {
      this.#failed = true; // an archive this scanner does not follow: it stays as pg_dump wrote it
    }
  }

  #collectToc(chunk: Buffer): void {
    this.#head.push(chunk);
    this.#headBytes += chunk.length;
    const buf = Buffer.concat(this.#head);
    this.#head = [buf];
    try {
      this.#toc = readToc(buf);
    } catch (error) {
      if (!(error instanceof NeedMore)) throw error;
      if (this.#headBytes > MAX_TOC_BYTES) throw new Error('table of contents too large', { cause: error });
      return;
    }
    this.#head = [];
    this.#base = this.#toc.end;
    this.#scan(buf.subarray(this.#toc.end));
  }

  #scan(chunk: Buffer): void {
    const toc = this.#toc as Toc;
    let buf = this.#carry.length ? Buffer.concat([this.#carry, chunk]) : chunk;
    let pos = 0;
    const c = new Cursor(buf, 0, toc.intSize); // one per chunk: an uncompressed archive has a step per row
    for (;;) {
      if (this.#state === 'skip') {
        const step = Math.min(this.#toSkip, buf.length - pos);
        pos += step;
        this.#toSkip -= step;
        if (this.#toSkip > 0) break;
        this.#state = 'length';
        continue;
      }
      c.pos = pos;
      try {
        this.#step(c, this.#base + pos);
      } catch (error) {
        if (error instanceof NeedMore) break;
        throw error;
      }
      pos = c.pos;
    }
    this.#base += pos;
    buf = buf.subarray(pos);
    this.#carry = Buffer.from(buf); // at most a few bytes: an int cut in two by the chunk boundary
  }

  #step(c: Cursor, at: number): void {
    if (this.#state === 'block') {
      const type = c.byte();
      const dumpId = c.int();
      if (type !== BLOCK_DATA && type !== BLOCK_LARGE_OBJECTS) throw new Error(`block type ${type}`);
      this.blocks.set(dumpId, at);
      this.#inLargeObjects = type === BLOCK_LARGE_OBJECTS;
      this.#state = this.#inLargeObjects ? 'oid' : 'length';
    } else if (this.#state === 'oid') {
      this.#state = c.int() === 0 ? 'block' : 'length';
    } else {
      const length = c.int();
      if (length < 0) throw new Error('negative chunk length');
      if (length === 0) this.#state = this.#inLargeObjects ? 'oid' : 'block';
      else {
        this.#state = 'skip';
        this.#toSkip = length;
      }
    }
  }

  /** The positions to write, when the whole stream was followed to the end of its last block. */
  result(): { toc: Toc; blocks: Map<number, number> } | undefined {
    const complete = this.#state === 'block' && this.#carry.length === 0;
    if (this.#failed || !this.#toc || !complete) return undefined;
    return { toc: this.#toc, blocks: this.blocks };
  }
}

function offsetBytes(position: number, offSize: number): Buffer {
  const bytes = Buffer.alloc(1 + offSize);
  bytes[0] = OFFSET_SET;
  let rest = position;
  for (let i = 0; i < offSize; i++) {
    bytes[1 + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return bytes;
}

/**
 * Writes the scanned positions into the archive at `path`; returns how many entries got one. Each position is
 * checked against the file first (its block's type and dump id), and nothing is written unless all agree.
 */
export async function fillArchiveOffsets(path: string, scanner: ArchiveOffsetScanner): Promise<number> {
  const scanned = scanner.result();
  if (!scanned) return 0;
  const { toc, blocks } = scanned;
  const writes: [number, Buffer][] = [];
  const handle = await open(path, 'r+');
  try {
    for (const [dumpId, field] of toc.fields) {
      const at = blocks.get(dumpId);
      if (at === undefined) continue;
      const header = Buffer.alloc(2 + toc.intSize);
      await handle.read(header, 0, header.length, at);
      const c = new Cursor(header, 0, toc.intSize);
      const type = c.byte();
      if ((type !== BLOCK_DATA && type !== BLOCK_LARGE_OBJECTS) || c.int() !== dumpId) return 0;
      writes.push([field, offsetBytes(at, toc.offSize)]);
    }
    for (const [field, bytes] of writes) await handle.write(bytes, 0, bytes.length, field);
    await handle.sync();
    return writes.length;
  } finally {
    await handle.close();
  }
}
