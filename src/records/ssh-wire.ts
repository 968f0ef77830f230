/**
 * The SSH wire encoding (RFC 4251 §5) and the PEM-like armor OpenSSH uses for private keys and signatures.
 * Only what SSHSIG and the openssh-key-v1 format need: uint32, string (uint32 length + bytes), raw bytes.
 */

export class SshWireWriter {
  private readonly parts: Buffer[] = [];

  raw(bytes: Buffer | string): this {
    this.parts.push(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
    return this;
  }

  uint32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(value >>> 0, 0);
    this.parts.push(buffer);
    return this;
  }

  string(value: Buffer | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    return this.uint32(bytes.length).raw(bytes);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Thrown on truncated or malformed input; callers turn it into an operator-facing error. */
export class SshWireError extends Error {}

export class SshWireReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  raw(length: number): Buffer {
    if (length < 0 || this.offset + length > this.buffer.length) throw new SshWireError('truncated data');
    const bytes = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  uint32(): number {
    return this.raw(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.raw(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  rest(): Buffer {
    return this.raw(this.remaining);
  }
}

/** `-----BEGIN <label>-----`, base64 wrapped at 70 columns as OpenSSH writes it, `-----END <label>-----`. */
export function armor(label: string, data: Buffer): string {
  const base64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 70) lines.push(base64.slice(i, i + 70));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The bytes inside an armored block; undefined when the block is absent. Whitespace inside is ignored. */
export function dearmor(label: string, text: string): Buffer | undefined {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const start = text.indexOf(begin);
  if (start < 0) return undefined;
  const stop = text.indexOf(end, start + begin.length);
  if (stop < 0) return undefined;
  const body = text.slice(start + begin.length, stop).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  return Buffer.from(body, 'base64');
}
