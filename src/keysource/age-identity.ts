/**
 * The age identity that opens the dumps: from BACKUP_IDENTITY_FILE, from BACKUP_IDENTITY_COMMAND (a vault CLI
 * that prints it), or typed at a masked prompt. It is kept for the run in `ctx.secrets` only (asked again on
 * resume), registered with the redaction layer the moment it is read, and never written anywhere.
 */
import { AnswerRequiredError, messageOf, UsageError } from '../core/errors.js';
import { AgeNoMatchingIdentityError } from '../crypto/age-errors.js';
import { parseIdentitiesText, readIdentitiesFile, type AgeIdentity } from '../crypto/age-keys.js';
import { PROMPT_ATTEMPTS, SECRET_NAMES, type KeySourceContext } from './context.js';
import { contentLinesOf, lineCount, runSecretCommand } from './secret-command.js';

export interface ObtainedIdentities {
  identities: AgeIdentity[];
  /** Where they came from (for messages and the record): a setting name, 'prompt' or 'earlier step'. */
  source: string;
}

const IDENTITY_LINE = /^AGE-SECRET-KEY-1[0-9A-Z]{50,}$/;

function joinSecrets(identities: readonly AgeIdentity[]): string {
  return identities.map((identity) => identity.revealSecret()).join('\n');
}

async function fromPrompt(ks: KeySourceContext, recipients: readonly string[]): Promise<AgeIdentity[]> {
  const wanted = recipients.length > 0 ? ` (the dump was encrypted to ${recipients.join(', ')})` : '';
  for (let attempt = 1; ; attempt++) {
    let text: string;
    try {
      text = await ks.interactor.secret(
        {
          kind: 'secret',
          name: SECRET_NAMES.identity,
          message: `age identity that opens the dump: the line AGE-SECRET-KEY-1... from the vault${wanted}`,
          validate: (value) => (IDENTITY_LINE.test(value.trim()) ? undefined : 'expected one line AGE-SECRET-KEY-1...'),
        },
        ks.signal,
      );
    } catch (error) {
      if (error instanceof AnswerRequiredError) {
        throw new AnswerRequiredError(
          SECRET_NAMES.identity,
          `the dump is encrypted and no age identity was given${wanted}: nothing was changed`,
          'set BACKUP_IDENTITY_FILE to the identity file (age-keygen format), or ' +
            'BACKUP_IDENTITY_COMMAND to the vault command that prints it',
        );
      }
      throw error;
    }
    try {
      return await parseIdentitiesText(text, 'the identity typed');
    } catch (error) {
      if (attempt >= PROMPT_ATTEMPTS) throw error;
      ks.output(`${messageOf(error)}: try again`, 'warn');
    }
  }
}

/**
 * The identities to decrypt with. When `recipients` (from the manifest) is given and no identity matches any
 * of them, fails before reading the dump, saying which keys were expected.
 */
export async function obtainAgeIdentities(
  ks: KeySourceContext,
  recipients: readonly string[] = [],
): Promise<ObtainedIdentities> {
  let identities: AgeIdentity[];
  let source: string;
  const held = ks.secrets.get(SECRET_NAMES.identity);
  const file = ks.settings.get('BACKUP_IDENTITY_FILE');
  const command = ks.settings.get('BACKUP_IDENTITY_COMMAND');
  if (held) {
    identities = await parseIdentitiesText(held, 'the identity given earlier in this run');
    source = 'earlier step';
  } else if (file) {
    identities = await readIdentitiesFile(file);
    source = 'BACKUP_IDENTITY_FILE';
  } else if (command) {
    const text = await runSecretCommand({
      settingName: 'BACKUP_IDENTITY_COMMAND',
      template: command,
      env: ks.settings.env,
      signal: ks.signal,
      onNote: (note) => ks.output(note, 'info'),
    });
    try {
      identities = await parseIdentitiesText(text, 'the output of BACKUP_IDENTITY_COMMAND');
    } catch (error) {
      const lines = lineCount(contentLinesOf(text).length);
      throw new UsageError(
        `${messageOf(error)} (it printed ${lines} on its standard output; not shown: it is secret)`,
        'BACKUP_IDENTITY_COMMAND must print the identity file (lines AGE-SECRET-KEY-1..., # comments), nothing else: ' +
          'no name=, no quotes',
      );
    }
    source = 'BACKUP_IDENTITY_COMMAND';
  } else {
    identities = await fromPrompt(ks, recipients);
    source = 'prompt';
  }
  ks.secrets.set(SECRET_NAMES.identity, joinSecrets(identities));
  if (recipients.length > 0 && !identities.some((identity) => recipients.includes(identity.recipient))) {
    throw new AgeNoMatchingIdentityError(
      `the identity from ${source} is for ${identities.map((i) => i.recipient).join(', ')}; the ` +
        `dump was encrypted to ${recipients.join(', ')}`,
      ['X25519'],
      'fetch the backup identity whose public key is listed above from the vault (or the sealed ' +
        'offline copy), then run again',
    );
  }
  return { identities, source };
}
