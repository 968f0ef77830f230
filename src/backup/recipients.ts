/**
 * The age recipients new dumps are encrypted to: BACKUP_RECIPIENTS (comma-separated) and BACKUP_RECIPIENTS_FILE
 * (the `age -R` format), together. Public keys only: the backup host never holds an identity.
 */
import { UsageError } from '../core/errors.js';
import { parsedSettingsOf } from '../core/parsed-settings.js';
import type { Settings } from '../core/settings.js';
import { parseRecipientList, readRecipientsFile, type AgeRecipient } from '../crypto/age-keys.js';

export class NoRecipientError extends UsageError {
  constructor() {
    super(
      'no age recipient is configured: dumps are encrypted at rest and need at least one public key',
      'set BACKUP_RECIPIENTS=age1... (the public key of the backup identity kept in the vault; ' +
        '`age-keygen -y identity.txt` prints it) ' +
        'or BACKUP_RECIPIENTS_FILE=<file of age1... lines>; BACKUP_ENCRYPTION=none turns encryption off, explicitly',
    );
  }
}

export async function recipientsFrom(settings: Settings): Promise<AgeRecipient[]> {
  const { recipients: list, recipientsFile: file } = parsedSettingsOf(settings).backup;
  const recipients: AgeRecipient[] = [];
  if (list) recipients.push(...parseRecipientList(list, 'BACKUP_RECIPIENTS'));
  if (file) recipients.push(...(await readRecipientsFile(file)));
  if (recipients.length === 0) throw new NoRecipientError();
  return [...new Set(recipients)];
}
