/**
 * The two keys of a rotation, held in the run's memory only (ctx.secrets, registered for redaction): the key of
 * the era being replaced (ENCRYPTION_KEY, ENCRYPTION_KEY_OLD, the vault command with its label, or a prompt,
 * accepted only when its fingerprint is the era's) and the new key: generated here and shown once through the
 * interactor for the operator to store in the vault, or fetched from the vault (ENCRYPTION_KEY_COMMAND with the
 * new era's label, else a masked prompt). The new key must be 32 bytes of base64 and belong to no era yet.
 *
 * They are stored under the names the restore steps read (ENCRYPTION_KEY = the new key, ENCRYPTION_KEY_OLD = the
 * old one), so that `restore.reencrypt` and `restore.verify-secrets` work on them unchanged.
 */
import { AnswerRequiredError, messageOf, StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import {
  findEraByFingerprint,
  suggestEraLabel,
  validateEraLabel,
  type KeyEra,
  type KeyEraRegister,
} from '../eras/register.js';
import { shortFingerprint } from '../keys/fingerprint.js';
import { generateEncryptionKey, parseEncryptionKey } from '../keys/secret-value.js';
import {
  holdKey,
  keyFromCommand,
  obtainEraKey,
  oldKeysFromSettings,
  type HeldKey,
  type KeyVerdict,
} from '../keysource/encryption-keys.js';
import { SECRET_NAMES } from '../keysource/context.js';
import { templateUses } from '../keysource/secret-command.js';

export const ROTATION_SECRETS = { newKey: SECRET_NAMES.currentKey, oldKey: SECRET_NAMES.oldKeys } as const;

export type KeySource = 'generate' | 'vault';

function candidatesFromSettings(ctx: ActionContext): HeldKey[] {
  const current = ctx.settings.get('ENCRYPTION_KEY');
  const held: HeldKey[] = [];
  if (current) held.push(holdKey(current, 'ENCRYPTION_KEY'));
  return [...held, ...oldKeysFromSettings(ctx)];
}

function fingerprintJudge(era: KeyEra): (key: HeldKey) => KeyVerdict {
  return (key) =>
    key.fingerprint === era.fingerprint
      ? { accepted: true, how: `fingerprint ${shortFingerprint(key.fingerprint)} matches era "${era.label}"` }
      : {
          accepted: false,
          why:
            `its fingerprint ${shortFingerprint(key.fingerprint)} is not era "${era.label}"'s ` +
            `(${shortFingerprint(era.fingerprint)})`,
        };
}

/** The key of a registered era, proven by its fingerprint. */
export async function keyOfEra(ctx: ActionContext, era: KeyEra, role: 'old' | 'new'): Promise<HeldKey> {
  try {
    const { key } = await obtainEraKey(ctx, era, {
      judge: fingerprintJudge(era),
      candidates: candidatesFromSettings(ctx),
    });
    return key;
  } catch (error) {
    if (!(error instanceof AnswerRequiredError) || role === 'old') throw error;
    throw new AnswerRequiredError(
      error.answerName,
      `the key of era "${era.label}" (the rotation under way) is needed to continue, and none was ` +
        `given: nothing was changed`,
      `it was stored in the vault when the rotation started: set ENCRYPTION_KEY_COMMAND (a vault ` +
        `command; {era} becomes "${era.label}"), or run interactively to paste it`,
    );
  }
}

/** A label for the new era: the input, else (interactive) asked with a suggestion, else the suggestion. */
export async function newEraLabel(
  ctx: ActionContext,
  register: KeyEraRegister,
  given: string | undefined,
): Promise<string> {
  const taken = new Set(register.eras.map((e) => e.label));
  const check = (label: string): string => {
    const valid = validateEraLabel(label);
    if (taken.has(valid))
      throw new UsageError(
        `the era "${valid}" is already in the key-era register`,
        'choose another label for the new era',
      );
    return valid;
  };
  if (given && given.trim() !== '') return check(given);
  const base = suggestEraLabel();
  let suggestion = base;
  for (let n = 2; taken.has(suggestion); n++) suggestion = `${base}-${n}`;
  if (ctx.interactor.mode === 'headless') return suggestion;
  for (let attempt = 1; ; attempt++) {
    const answer = (
      await ctx.interactor.text(
        {
          kind: 'text',
          name: 'era',
          message: 'Label of the new key era (lower-case letters, digits, dashes)',
          default: suggestion,
        },
        ctx.signal,
      )
    ).trim();
    try {
      return check(answer === '' ? suggestion : answer);
    } catch (error) {
      if (attempt >= 3) throw error;
      ctx.output(messageOf(error), 'warn');
    }
  }
}

function refuseKnown(register: KeyEraRegister, key: HeldKey): void {
  const known = findEraByFingerprint(register, key.fingerprint);
  if (known) {
    throw new UsageError(
      `the new key was refused: it is the key of era "${known.label}" ` +
        `(fingerprint ${shortFingerprint(key.fingerprint)}); a rotation needs a key never used before: ` +
        `nothing was changed`,
      'put a freshly generated key in the vault for the new era (e.g. `openssl rand -base64 32`), ' +
        'or let the tool generate one (key-source: generate, interactively)',
    );
  }
}

async function showOnce(ctx: ActionContext, label: string): Promise<HeldKey> {
  const key = holdKey(generateEncryptionKey(), 'generated');
  await ctx.interactor.confirm(
    {
      kind: 'confirm',
      name: 'new-key-stored',
      message:
        `The new ENCRYPTION_KEY of era "${label}", shown only this once: store it in the vault now, ` +
        `then type "stored"`,
      token: 'stored',
      destructive: false,
      details: [
        key.text,
        `fingerprint ${key.fingerprint}`,
        `store it as the key of era "${label}" (the entry ENCRYPTION_KEY_COMMAND reads with ` +
          `{era}=${label}), apart from the dumps`,
        'this tool never writes it anywhere: without the vault copy, data re-encrypted under it ' +
          'cannot be read after this run',
      ],
      targetNamedByInvocation: false,
    },
    ctx.signal,
  );
  return key;
}

async function fromVault(ctx: ActionContext, label: string): Promise<HeldKey> {
  const template = ctx.settings.get('ENCRYPTION_KEY_COMMAND');
  if (template && templateUses(template, 'era')) {
    try {
      const key = await keyFromCommand(ctx, label);
      if (key) return key;
    } catch (error) {
      if (ctx.interactor.mode === 'headless' || ctx.signal.aborted) {
        throw new StepFailedError(
          `the new key of era "${label}" was refused: ${messageOf(error)}; nothing was changed`,
          `put the new key (base64 of 32 random bytes) in the vault entry ENCRYPTION_KEY_COMMAND ` +
            `reads for {era}=${label}, and run again`,
          error,
        );
      }
      ctx.output(`the vault command gave no usable key for era "${label}": ${messageOf(error)}`, 'warn');
    }
  }
  try {
    const text = await ctx.interactor.secret(
      {
        kind: 'secret',
        name: `ENCRYPTION_KEY of era ${label}`,
        message: `the new ENCRYPTION_KEY of era "${label}", from the vault (base64 of 32 bytes)`,
        validate: (value) => {
          try {
            parseEncryptionKey(value, 'the key');
            return undefined;
          } catch (error) {
            return messageOf(error);
          }
        },
      },
      ctx.signal,
    );
    return holdKey(text, 'prompt');
  } catch (error) {
    if (!(error instanceof AnswerRequiredError)) throw error;
    throw new AnswerRequiredError(
      'ENCRYPTION_KEY_COMMAND',
      `the new key of era "${label}" cannot be fetched headless: ENCRYPTION_KEY_COMMAND with {era} ` +
        `is not set; nothing was changed`,
      `store the new key in the vault and set ENCRYPTION_KEY_COMMAND (e.g. "vault kv get -field=key ` +
        `secret/obexal/{era}"), or run interactively`,
    );
  }
}

/** Checks that the vault now returns the generated key (when the vault command can be asked). */
async function confirmStored(ctx: ActionContext, label: string, key: HeldKey): Promise<string> {
  const template = ctx.settings.get('ENCRYPTION_KEY_COMMAND');
  if (!template || !templateUses(template, 'era')) return 'not checked (ENCRYPTION_KEY_COMMAND with {era} is not set)';
  try {
    const stored = await keyFromCommand(ctx, label);
    if (stored?.fingerprint === key.fingerprint) {
      ctx.output(`the vault returns the new key for era "${label}" (fingerprint matches)`, 'info');
      return 'checked: the vault returns it';
    }
    ctx.output(
      `the vault returns another key for era "${label}": check the entry before the old key is withdrawn`,
      'warn',
    );
    return 'the vault returns another key';
  } catch (error) {
    ctx.output(
      `the vault could not be asked for era "${label}" (${messageOf(error)}): check by hand that the key is stored`,
      'warn',
    );
    return 'not found by the vault command';
  }
}

export interface NewKey {
  key: HeldKey;
  how: string;
  vault: string;
}

export async function obtainNewKey(
  ctx: ActionContext,
  register: KeyEraRegister,
  label: string,
  source: KeySource,
): Promise<NewKey> {
  if (source === 'generate') {
    if (ctx.interactor.mode === 'headless') {
      throw new AnswerRequiredError(
        'key-source',
        'a generated key must be shown to a person, who stores it in the vault; headless there is ' +
          'nobody to show it to: nothing was changed',
        `store the new key in the vault first and run with key-source: vault ` +
          `(ENCRYPTION_KEY_COMMAND prints it for {era}=${label}), or run the rotation on a terminal`,
      );
    }
    const key = await showOnce(ctx, label);
    return { key, how: 'generated, shown once', vault: await confirmStored(ctx, label, key) };
  }
  const key = await fromVault(ctx, label);
  refuseKnown(register, key);
  return { key, how: `from ${key.source}`, vault: 'fetched from it' };
}

export function holdRotationKeys(ctx: ActionContext, next: HeldKey, old: HeldKey): void {
  if (next.fingerprint === old.fingerprint)
    throw new UsageError('the new key is the old key: nothing was changed', 'a rotation needs a new key');
  ctx.secrets.set(ROTATION_SECRETS.newKey, next.text);
  ctx.secrets.set(ROTATION_SECRETS.oldKey, old.text);
}

export function heldRotationKeys(ctx: Pick<ActionContext, 'secrets'>): { next: string; old: string } {
  const next = ctx.secrets.get(ROTATION_SECRETS.newKey);
  const old = ctx.secrets.get(ROTATION_SECRETS.oldKey);
  if (!next || !old)
    throw new UsageError(
      'the rotation keys are not held in this run',
      'the new-key step (rotation.new-key) must come before this one in the runbook',
    );
  return { next, old };
}
