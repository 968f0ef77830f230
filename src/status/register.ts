/**
 * The key-era register line of `status`. A backup runs without a register (its era is then recorded as
 * unregistered and a restore identifies the key by trial decryption), so a missing register is a WARNING: the
 * bookkeeping that says which key each dump needs is absent, not the dumps.
 */
import { messageOf, UsageError } from '../core/errors.js';
import { localRegisterPath, readLocalRegister } from '../eras/store.js';
import { openEras, type KeyEraRegister } from '../eras/register.js';
import type { BucketRegister } from './backups.js';
import type { StatusItem } from './types.js';

const LABEL = 'key-era register';
const CREATE_HINT = 'run a backup with ENCRYPTION_KEY (or ENCRYPTION_KEY_COMMAND) set: it registers the key in force';

function describe(register: KeyEraRegister, where: string): string {
  const open = openEras(register).map((era) => era.label);
  return `${register.eras.length} era(s), open: ${open.length ? open.join(', ') : 'none'} (${where})`;
}

/** `backupDirReadable`: false when BACKUP_DIR itself could not be read (then its copy is not "missing" but unknown). */
export async function checkRegister(backupDir: string, bucket: BucketRegister, backupDirReadable: boolean): Promise<{ item: StatusItem; present: boolean | undefined }> {
  const key = 'key_era_register';
  if (bucket.state === 'damaged') {
    return { item: { key, label: LABEL, state: 'WARNING', text: `the bucket's copy is damaged: ${bucket.problem}`, word: 'WARNING' }, present: true };
  }
  if (bucket.state === 'read') return { item: { key, label: LABEL, state: 'OK', text: describe(bucket.register, bucket.where), word: 'ok' }, present: true };
  const localPath = localRegisterPath(backupDir);
  if (!backupDirReadable) {
    const text = `could not be checked: BACKUP_DIR could not be read${bucket.state === 'absent' ? ` and ${bucket.where} does not exist` : ''}`;
    return { item: { key, label: LABEL, state: 'UNKNOWN', text, word: 'ERROR' }, present: undefined };
  }
  let local: KeyEraRegister | undefined;
  try {
    local = await readLocalRegister(backupDir);
  } catch (error) {
    // Damaged content is a finding; a file that cannot be read at all leaves status without an answer.
    const damaged = error instanceof UsageError;
    const text = `${localPath} ${damaged ? 'is damaged' : 'could not be read'}: ${messageOf(error)}`;
    const [state, word] = damaged ? (['WARNING', 'WARNING'] as const) : (['UNKNOWN', 'ERROR'] as const);
    return { item: { key, label: LABEL, state, text, word }, present: damaged ? true : undefined };
  }
  if (local) {
    const note = bucket.state === 'absent' ? `; the bucket has no copy yet (the next backup uploads it)` : '';
    return { item: { key, label: LABEL, state: 'OK', text: `${describe(local, localPath)}${note}`, word: 'ok' }, present: true };
  }
  const places = bucket.state === 'absent' ? `neither ${bucket.where} nor ${localPath} exists` : `${localPath} does not exist`;
  const unchecked = bucket.state === 'unreachable' ? ' (the bucket could not be checked)' : '';
  // The first line of the plugin output quotes this text: it starts with what an operator searches for.
  const text = `${places}${unchecked}; backups record their key era as unregistered. What to do: ${CREATE_HINT}`;
  return { item: { key, label: 'no key-era register', state: 'WARNING', text, word: 'WARNING' }, present: bucket.state === 'unreachable' ? undefined : false };
}
