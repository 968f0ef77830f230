import { z } from 'zod';
import { defineAction } from '../../engine/action.js';

/** Every check that can fail before a backup writes anything, and the plan. */
export const backupPreflightAction = defineAction({
  name: 'backup.preflight',
  description: 'check the database, pg_dump, BACKUP_DIR, recipients and settings before a backup; show the plan',
  readOnly: true,
  rerunOnResume: true,
  params: z
    .object({
      reason: z.string().optional(),
      pin: z.string().optional(),
    })
    .strict(),
  describe: () => 'check the database, pg_dump, BACKUP_DIR, free space, recipients and settings',
  async run(params, ctx) {
    const { runBackupPreflight } = await import('../preflight.js');
    return runBackupPreflight(params, ctx);
  },
});
