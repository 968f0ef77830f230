import { z } from 'zod';
import type { AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';
import type { DamagedRegisterError } from './register.js';
import type { EnsureErasResult } from './ensure.js';

/**
 * A backup is never refused for bookkeeping: with the register damaged the dump is taken, its era recorded as
 * unregistered, and the register left exactly as it is for the operator to repair (a key rotation still stops).
 */
function damagedRegister(error: DamagedRegisterError, warn: (text: string) => void): EnsureErasResult {
  warn(
    `${error.message}: the dump is taken anyway and its manifest records its key era as unregistered (a restore ` +
      `finds the key by trial decryption); the register is left as it is. What to do: ${error.hint ?? ''}`,
  );
  return { eras: [], source: 'none', register: undefined, unregistered: true };
}

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
    }).catch(async (error: unknown) => {
      if (params.whenUnregistered !== 'record' || ctx.signal.aborted) throw error;
      const { DamagedRegisterError } = await import('./register.js');
      if (!(error instanceof DamagedRegisterError)) throw error;
      return damagedRegister(error, (text) => ctx.output(text, 'warn'));
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

export const erasActions: readonly AnyAction[] = [erasEnsureAction];
