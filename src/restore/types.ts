/**
 * The data the restore steps hand each other through `${steps.<id>.<key>}`: non-secret (it lands in the journal
 * and the record), validated again by zod when a later step receives it. The drill reuses the same shapes.
 */
import { z } from 'zod';
import { ManifestSchema } from '../backup/manifest.js';

/** A dump chosen and, when it came from the bucket, fetched into the private folder. */
export const DumpRefSchema = z.object({
  name: z.string(),
  /** The file to read (the original local file, or the downloaded copy in the private folder). */
  path: z.string(),
  origin: z.enum(['local', 'bucket']),
  objectName: z.string().optional(),
  downloaded: z.boolean().default(false),
  encrypted: z.boolean(),
  size: z.number().int().nonnegative(),
  /** What the stored file's SHA-256 was checked against when fetched (local files are checked by restore.verify). */
  fetchCheckedAgainst: z.enum(['manifest', 'metadata', 'none']).optional(),
  manifest: ManifestSchema.nullable(),
  /** Why no manifest is used (missing, unreadable, describes another dump). */
  manifestNote: z.string().optional(),
});
export type DumpRef = z.infer<typeof DumpRefSchema>;

/** What `pg_restore --list` says about an archive. */
export const ArchiveInfoSchema = z.object({
  createdAt: z.string().nullable(),
  database: z.string().nullable(),
  dumpedFrom: z.string().nullable(),
  dumpedFromNum: z.number().int().nullable(),
  dumpedBy: z.string().nullable(),
  entries: z.number().int().nonnegative(),
  /** The table label (pg/ident.ts: `schema.table`, odd names quoted) of every TABLE DATA entry, in archive order. */
  tableData: z.array(z.string()),
  extensions: z.array(z.string()),
  /** `table.trigger` of every TRIGGER entry. */
  triggers: z.array(z.string()),
  /** SEQUENCE and large-object entries (absent in the journals of older runs). */
  sequences: z.number().int().nonnegative().optional(),
  largeObjects: z.number().int().nonnegative().optional(),
});
export type ArchiveInfo = z.infer<typeof ArchiveInfoSchema>;

export const VerifiedDumpSchema = DumpRefSchema.extend({
  /** The plaintext pg_dump archive (in the private folder when the dump was encrypted). */
  plaintextPath: z.string(),
  plaintextSize: z.number().int().nonnegative(),
  plaintextSha256: z.string(),
  archive: ArchiveInfoSchema,
  /** When the data was taken: the manifest's start, else the archive's creation time. */
  takenAt: z.string().nullable(),
  checked: z.array(z.string()),
  unchecked: z.array(z.string()),
});
export type VerifiedDump = z.infer<typeof VerifiedDumpSchema>;

/** An encrypted column: `table` is a table key (pg/ident.ts), the names are quoted wherever they reach SQL. */
export const EncryptedColumnSchema = z.object({
  table: z.string().min(1),
  key: z.string().min(1),
  column: z.string().min(1),
});
export type EncryptedColumnSpec = z.infer<typeof EncryptedColumnSchema>;
/** Unset: the schema profile's encrypted columns (PROFILE_ENCRYPTED_COLUMNS, else the Obexal defaults). */
export const ColumnsParam = z.array(EncryptedColumnSchema).optional();

export const SessionSchema = z.object({
  pid: z.number().int(),
  user: z.string().nullable(),
  application: z.string().nullable(),
  client: z.string().nullable(),
  state: z.string().nullable(),
  since: z.string().nullable(),
});
export type SessionInfo = z.infer<typeof SessionSchema>;

export const RestoreModeSchema = z.enum(['swap', 'in-place']);
export type RestoreMode = z.infer<typeof RestoreModeSchema>;

/** What restore.inspect saw of the target, for the confirmation and for restore.apply. */
export const InspectionSchema = z.object({
  label: z.string(),
  database: z.string(),
  exists: z.boolean(),
  mode: RestoreModeSchema,
  modeReason: z.string(),
  serverVersion: z.string(),
  serverVersionNum: z.number().int(),
  systemIdentifier: z.string(),
  owner: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  rowCounts: z.record(z.string(), z.number()),
  newestAuditEvent: z.object({ at: z.string(), action: z.string() }).nullable(),
  sessions: z.array(SessionSchema),
  deletedAccounts: z.array(z.object({ id: z.string(), at: z.string() })),
  /** Tables in the target that the dump does not hold (in-place mode leaves them). */
  extraTables: z.array(z.string()),
  /** The schema profile's inspections the target could not answer, each with why. */
  notChecked: z.array(z.string()).optional(),
});
export type Inspection = z.infer<typeof InspectionSchema>;

export const ApplyResultSchema = z.object({
  mode: RestoreModeSchema,
  database: z.string(),
  /** The previous database kept by a swap (`<db>__before_<run id>`), to be dropped later by an explicit step. */
  keptAs: z.string().nullable(),
  /** The pre-restore safety dump of an in-place restore. */
  safetyDump: z.string().nullable(),
  restoredAt: z.string(),
  sessionsEnded: z.array(z.number().int()),
  pgRestoreMs: z.number(),
  jobs: z.number().int(),
  /** Why APP_START_COMMAND failed after the restore (the database is restored regardless). */
  appStartProblem: z.string().nullable(),
  /** APP_START_COMMAND left to restore.after, which runs it once the secrets are re-encrypted. */
  appStartDeferred: z.object({ stopped: z.boolean() }).optional(),
  /**
   * What the replaced database held that the restore loses or brings back, as inspected before the change: a
   * resumed run inspects again (the restored database by then), so the later steps take these from here.
   */
  replaced: z
    .object({
      newestAuditEvent: z.object({ at: z.string(), action: z.string() }).nullable(),
      deletedAccounts: z.array(z.object({ id: z.string(), at: z.string() })),
    })
    .optional(),
});
export type ApplyResult = z.infer<typeof ApplyResultSchema>;
