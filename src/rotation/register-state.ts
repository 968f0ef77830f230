/**
 * Where a key rotation stands, read from the key-era register (DESIGN §4): one open era (none under way), or two
 * (a rotation under way: the newer one is the era being rotated to). The register is the durable truth a resumed
 * or re-run rotation continues from; the run's own memory holds only the keys.
 */
import { StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { openEras, type KeyEra, type KeyEraRegister } from '../eras/register.js';
import { readRegister, writeRegister, type RegisterLocation } from '../eras/store.js';

export interface RotationState {
  register: KeyEraRegister | undefined;
  /** The era whose key is being replaced (the older open one). */
  old: KeyEra | undefined;
  /** The era being rotated to, when a rotation is under way. */
  next: KeyEra | undefined;
  source: 'bucket' | 'local' | 'none';
}

export async function registerLocation(ctx: Pick<ActionContext, 'settings'>): Promise<RegisterLocation> {
  const backupDir = ctx.settings.require('BACKUP_DIR', 'set BACKUP_DIR: the key-era register has a local copy there');
  if (!ctx.settings.get('S3_BUCKET')) return { backupDir };
  const { s3SettingsFromSettings } = await import('../s3/settings.js');
  return { backupDir, s3: s3SettingsFromSettings(ctx.settings) };
}

function byStart(a: KeyEra, b: KeyEra): number {
  return Date.parse(a.start) - Date.parse(b.start);
}

export async function readRotationState(
  ctx: Pick<ActionContext, 'settings' | 'signal' | 'output'>,
): Promise<RotationState> {
  const read = await readRegister(await registerLocation(ctx), { signal: ctx.signal });
  if (read.bucket === 'unreachable')
    ctx.output(
      `the key-era register in the bucket could not be read (${read.bucketError ?? '?'}): using the local copy`,
      'warn',
    );
  const register = read.register;
  if (!register) return { register: undefined, old: undefined, next: undefined, source: read.source };
  const open = openEras(register).sort(byStart);
  if (open.length > 2) {
    throw new StepFailedError(
      `the key-era register has ${open.length} open eras (${open.map((e) => e.label).join(', ')}): ` +
        `at most two may be open (a rotation under way)`,
      'close the eras that are no longer in force in key-eras.json (BACKUP_DIR and the bucket) before rotating again',
    );
  }
  return { register, old: open[0], next: open.length === 2 ? open[1] : undefined, source: read.source };
}

/** Writes the register to both places; a bucket that could not be written fails the step (it is the copy that wins). */
export async function saveRegister(
  ctx: Pick<ActionContext, 'settings' | 'signal' | 'output'>,
  register: KeyEraRegister,
): Promise<string[]> {
  const written = await writeRegister(register, await registerLocation(ctx), { signal: ctx.signal });
  const where = [written.localPath];
  if (typeof written.bucket === 'object' && 'written' in written.bucket) where.push(written.bucket.written);
  else if (typeof written.bucket === 'object') {
    throw new StepFailedError(
      `the key-era register was written to ${written.localPath}, but not to the bucket (${written.bucket.error})`,
      'the bucket copy is the one that wins: fix the bucket access and run the step again (--resume); it is idempotent',
    );
  }
  return where;
}

export function requireRegister(state: RotationState): KeyEraRegister {
  if (!state.register || !state.old) {
    throw new UsageError(
      'there is no key-era register with an open era: the rotation does not know which key it replaces',
      'run `obexal-runbook backup` once (it creates the register, asking for the current era label ' +
        'and ENCRYPTION_KEY), then rotate',
    );
  }
  return state.register;
}
