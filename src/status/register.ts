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

const KEY = 'key_era_register';
const LABEL = 'key-era register';
const CREATE_HINT = 'run a backup with ENCRYPTION_KEY (or ENCRYPTION_KEY_COMMAND) set: it registers the key in force';

interface RegisterCheck {
  item: StatusItem;
  /** Undefined when it could not be found out. */
  present: boolean | undefined;
}

function describe(register: KeyEraRegister, where: string): string {
  const open = openEras(register).map((era) => era.label);
  return `${register.eras.length} era(s), open: ${open.length ? open.join(', ') : 'none'} (${where})`;
}

const ok = (text: string): RegisterCheck => ({
  item: { key: KEY, label: LABEL, state: 'OK', text, word: 'ok' },
  present: true,
});

/** Damaged content is a finding (WARNING); a file that cannot be read at all leaves status without an answer. */
function unreadable(localPath: string, error: unknown): RegisterCheck {
  const damaged = error instanceof UsageError;
  const text = `${localPath} ${damaged ? 'is damaged' : 'could not be read'}: ${messageOf(error)}`;
  const [state, word] = damaged ? (['WARNING', 'WARNING'] as const) : (['UNKNOWN', 'ERROR'] as const);
  return { item: { key: KEY, label: LABEL, state, text, word }, present: damaged ? true : undefined };
}

function missing(localPath: string, bucket: BucketRegister): RegisterCheck {
  const places =
    bucket.state === 'absent' ? `neither ${bucket.where} nor ${localPath} exists` : `${localPath} does not exist`;
  const unchecked = bucket.state === 'unreachable' ? ' (the bucket could not be checked)' : '';
  const text = `${places}${unchecked}; backups record their key era as unregistered. What to do: ${CREATE_HINT}`;
  const item: StatusItem = { key: KEY, label: 'no key-era register', state: 'WARNING', text, word: 'WARNING' };
  return { item, present: bucket.state === 'unreachable' ? undefined : false };
}

/** `backupDirReadable`: false when BACKUP_DIR itself could not be read (its copy is then unknown, not missing). */
export async function checkRegister(
  backupDir: string,
  bucket: BucketRegister,
  backupDirReadable: boolean,
): Promise<RegisterCheck> {
  if (bucket.state === 'damaged') {
    const text = `the bucket's copy is damaged: ${bucket.problem}`;
    return { item: { key: KEY, label: LABEL, state: 'WARNING', text, word: 'WARNING' }, present: true };
  }
  if (bucket.state === 'read') return ok(describe(bucket.register, bucket.where));
  const localPath = localRegisterPath(backupDir);
  if (!backupDirReadable) {
    const bucketToo = bucket.state === 'absent' ? ` and ${bucket.where} does not exist` : '';
    const text = `could not be checked: BACKUP_DIR could not be read${bucketToo}`;
    return { item: { key: KEY, label: LABEL, state: 'UNKNOWN', text, word: 'ERROR' }, present: undefined };
  }
  let local: KeyEraRegister | undefined;
  try {
    local = await readLocalRegister(backupDir);
  } catch (error) {
    return unreadable(localPath, error);
  }
  if (!local) return missing(localPath, bucket);
  const note = bucket.state === 'absent' ? '; the bucket has no copy yet (the next backup uploads it)' : '';
  return ok(`${describe(local, localPath)}${note}`);
}
