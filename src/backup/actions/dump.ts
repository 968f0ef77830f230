import { z } from 'zod';
import { defineAction } from '../../engine/action.js';
import { PgDumpSchema, RelationBytesSchema, SourceSchema } from './schemas.js';

/** pg_dump → SHA-256 → age → SHA-256 → BACKUP_DIR, verified, with row counts in the dump's own snapshot. */
export const backupDumpAction = defineAction({
  name: 'backup.dump',
  description: 'dump the database (custom format), encrypt it with age, checksum it and verify the file written',
  params: z
    .object({
      source: SourceSchema,
      pgDump: PgDumpSchema,
      relationBytes: RelationBytesSchema.default({}),
    })
    .strict(),
  describe: (p) =>
    `pg_dump ${typeof p.source === 'object' ? p.source.target : 'the database'} into BACKUP_DIR, ` +
    `encrypted and verified`,
  async run(params, ctx) {
    const { runBackupDump } = await import('../run-dump.js');
    return runBackupDump(params, ctx);
  },
});
