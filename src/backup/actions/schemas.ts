/**
 * The data the backup steps hand each other through `${steps.<id>.<key>}` (non-secret: it lands in the
 * journal and the record), as zod schemas for the steps' `with:` parameters.
 */
import { z } from 'zod';
import { DatabasePropertiesSchema } from '../../restore/db-properties-schema.js';

export const SourceSchema = z.object({
  target: z.string(),
  database: z.string(),
  serverVersion: z.string(),
  serverVersionNum: z.number().int(),
  serverMajor: z.number().int(),
  systemIdentifier: z.string(),
  encoding: z.string(),
  collate: z.string(),
  ctype: z.string(),
  properties: DatabasePropertiesSchema.optional(),
  objectOwners: z.array(z.string()).optional(),
});

export const PgDumpSchema = z.object({ path: z.string(), version: z.string(), major: z.number().int() });

export const RelationBytesSchema = z.record(z.string(), z.number().nonnegative());

export const DumpDataSchema = z.object({
  stamp: z.string(),
  name: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  plaintextSize: z.number().int().nonnegative(),
  plaintextSha256: z.string(),
  encryption: z.enum(['age', 'none']),
  recipients: z.array(z.string()),
  compression: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
});

export const SchemaMigrationSchema = z.object({ version: z.string().nullable(), name: z.string().nullable() });
export const RowCountsSchema = z.record(z.string(), z.number().int().nonnegative());
export const EraRefSchema = z.object({ label: z.string(), fingerprint: z.string() });

export type SourceData = z.infer<typeof SourceSchema>;
export type PgDumpData = z.infer<typeof PgDumpSchema>;
export type DumpData = z.infer<typeof DumpDataSchema>;
