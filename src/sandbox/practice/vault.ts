/**
 * The practice "vault": files in the sandbox's private folder, read through the same mechanisms a real vault
 * CLI is (ENCRYPTION_KEY_COMMAND `cat …/keys/{era}.key`, BACKUP_IDENTITY_FILE), so practising exercises them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIdentityFile, generateAgeIdentity } from '../../crypto/age-keys.js';

export interface PracticeVault {
  dir: string;
  identityFile: string;
  recipientsFile: string;
  recipient: string;
  keyFile(era: string): string;
  writeKey(era: string, key: string): Promise<void>;
}

export async function createVault(dir: string): Promise<PracticeVault> {
  await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  const identity = await generateAgeIdentity();
  const identityFile = join(dir, 'backup-identity.txt');
  const recipientsFile = join(dir, 'backup-recipients.txt');
  await writeFile(identityFile, formatIdentityFile(identity), { mode: 0o600 });
  await writeFile(recipientsFile, `# practice backup recipient\n${identity.recipient}\n`, { mode: 0o600 });
  const keyFile = (era: string) => join(dir, 'keys', `${era}.key`);
  return {
    dir,
    identityFile,
    recipientsFile,
    recipient: identity.recipient,
    keyFile,
    writeKey: (era, key) => writeFile(keyFile(era), `${key}\n`, { mode: 0o600 }),
  };
}
