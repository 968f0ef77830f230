/**
 * The manifest beside each dump (DESIGN §4 "Manifest") and the file names both follow. A restore works
 * from the dump alone when its manifest is lost, so nothing here is required to read a dump.
 */
import { z } from 'zod';
import { DatabasePropertiesSchema } from '../restore/db-properties-schema.js';

export const DUMP_NAME = /^obexal-(\d{8}T\d{6}Z)\.dump(?:\.zst)?(\.age)?$/;
export const MANIFEST_NAME = /^obexal-(\d{8}T\d{6}Z)\.manifest\.json$/;
export const PARTIAL_SUFFIX = '.partial';

export type BackupReason = 'scheduled' | 'pre-migration' | 'pre-rotation' | 'pre-restore' | 'manual';
export const BACKUP_REASONS: readonly BackupReason[] = [
  'scheduled',
  'pre-migration',
  'pre-rotation',
  'pre-restore',
  'manual',
];

/** `20261124T183501Z` for a date. */
export function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export function parseCompactUtc(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) throw new Error(`not a compact UTC timestamp: ${stamp}`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
}

/** `.dump` is pg_dump's archive; `.zst` when the tool compressed it with zstd; `.age` when encrypted. */
export function dumpFileName(stamp: string, encrypted: boolean, zstd = false): string {
  return `obexal-${stamp}.dump${zstd ? '.zst' : ''}${encrypted ? '.age' : ''}`;
}

export function manifestFileName(stamp: string): string {
  return `obexal-${stamp}.manifest.json`;
}

/** The manifest that belongs to a dump file name (and back). */
export function manifestNameForDump(dumpName: string): string | undefined {
  const m = DUMP_NAME.exec(dumpName);
  return m ? manifestFileName(m[1] as string) : undefined;
}

export const ManifestSchema = z.object({
  schema: z.literal('obexal-backup-manifest@v1'),
  dump: z.object({
    name: z.string(),
    size: z.number().int().nonnegative(),
    /** SHA-256 (hex) of the file as stored (encrypted when encrypted). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** SHA-256 (hex) of the plaintext pg_dump archive. */
    plaintextSha256: z.string().regex(/^[0-9a-f]{64}$/),
    plaintextSize: z.number().int().nonnegative(),
    encryption: z.enum(['age', 'none']),
    /** age recipients (public keys) the dump was encrypted to. */
    recipients: z.array(z.string()),
    format: z.literal('pg_dump-custom'),
    compression: z.string(),
  }),
  startedAt: z.string(),
  finishedAt: z.string(),
  source: z.object({
    /** host:port/database, no user or password. */
    target: z.string(),
    database: z.string(),
    serverVersion: z.string(),
    serverVersionNum: z.number().int(),
    systemIdentifier: z.string(),
    encoding: z.string().optional(),
    collate: z.string().optional(),
    ctype: z.string().optional(),
    /** The database's owner, locale provider, comment, settings and grants (restored onto the new database). */
    properties: DatabasePropertiesSchema.optional(),
    /** The roles owning the database's objects: a restore's plan (--dry-run) decides --no-owner from them. */
    objectOwners: z.array(z.string()).optional(),
  }),
  pgDump: z.object({ version: z.string(), major: z.number().int() }),
  schemaMigration: z.object({ version: z.string().nullable(), name: z.string().nullable() }),
  /**
   * Rows of every table, keyed by table key (src/pg/ident.ts): `users`, `sales.orders`, `"sales.orders"` (a
   * public table whose name holds a dot), `"my.schema".t`. Plain names read as manifests always wrote them.
   */
  rowCounts: z.record(z.string(), z.number().int().nonnegative()),
  keyEras: z.array(z.object({ label: z.string(), fingerprint: z.string() })),
  /**
   * True when no key-era register existed and none could be created (headless, no ENCRYPTION_KEY): `keyEras` is
   * empty and a restore finds the key by trial decryption. Absent in manifests written before it existed.
   */
  keyErasUnregistered: z.boolean().optional(),
  reason: z.enum(['scheduled', 'pre-migration', 'pre-rotation', 'pre-restore', 'manual']),
  pin: z.object({ duration: z.string(), until: z.string() }).nullable(),
  toolVersion: z.string(),
  runId: z.string(),
  /** The plain shell commands that restore this dump by hand, for the day the tool itself is broken. */
  restoreByHand: z.array(z.string()),
  /** Set once the copy in the bucket was checked (size and SHA-256). */
  verified: z.object({ local: z.boolean(), bucket: z.boolean(), bucketCheckedAt: z.string().nullable() }),
});

export type Manifest = z.infer<typeof ManifestSchema>;
