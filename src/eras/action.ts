import { z } from 'zod';
import { defineAction } from '../engine/action.js';

/**
 * The key era(s) a dump taken now belongs to, from the register (bucket, else local copy); creates the register
 * on first use (asks once for the era's label and ENCRYPTION_KEY, records only the key's fingerprint). Headless with
 * no register and no ENCRYPTION_KEY it does not stop the backup: the era is recorded as unregistered.
 */
export const erasEnsureAction = defineAction({
  name: 'eras.ensure',
  description: 'read the key-era register (bucket, else local copy), creating it on first use',
  params: z
    .object({
      // A backup goes on without a register (its era recorded as unregistered); a key rotation cannot.
      whenUnregistered: z.enum(['record', 'refuse']).default('record'),
    })
    .strict(),
  describe: (p) =>
    'read the key-era register; create it on first use (era label and ENCRYPTION_KEY asked once; ' +
    `without them ${p.whenUnregistered === 'refuse' ? 'the run stops' : 'the era is recorded as unregistered'})`,
  async run(params, ctx) {
    const [{ ensureKeyEras }, { shortFingerprint }] = await Promise.all([
      import('./ensure.js'),
      import('../keys/fingerprint.js'),
    ]);
    const backupDir = ctx.settings.require('BACKUP_DIR');
    const s3 = ctx.config.bucket;
    const { ensureBackupDir } = await import('../backup/backup-dir.js');
    await ensureBackupDir(backupDir);
    const result = await ensureKeyEras({
      location: { backupDir, ...(s3 ? { s3 } : {}) },
      interactor: ctx.interactor,
      whenUnregistered: params.whenUnregistered,
      encryptionKey: ctx.settings.get('ENCRYPTION_KEY'),
      secrets: ctx.secrets,
      signal: ctx.signal,
      output: (text, stream) => ctx.output(text, stream),
    });
    const labels = result.eras.map((e) => `${e.label} (${shortFingerprint(e.fingerprint)})`).join(', ') || 'none';
    const from = result.source === 'bucket' ? 'bucket' : 'local copy';
    return {
      message: result.unregistered
        ? "no key-era register: this dump's era is recorded as unregistered"
        : result.created
          ? `register created; era in force: ${labels}`
          : `era(s) in force: ${labels} (register from the ${from})`,
      data: {
        eras: result.eras,
        unregistered: result.unregistered,
        source: result.source,
        ...(result.created
          ? { record: { keyEraRegister: { created: result.created.label, fingerprint: result.created.fingerprint } } }
          : {}),
      },
    };
  },
});
