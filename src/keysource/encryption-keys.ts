/**
 * Obexal's ENCRYPTION_KEY of the current era and of earlier eras, from the environment (ENCRYPTION_KEY,
 * ENCRYPTION_KEY_OLD), from ENCRYPTION_KEY_COMMAND (`{era}` replaced by the era's label), or a masked prompt.
 * A key for an era is taken only when the caller's judge accepts it (its fingerprint matches the era's, or it
 * decrypts values taken from the dump: DESIGN §4 "Key eras"). Keys stay in memory (`ctx.secrets`) only.
 */
import { AnswerRequiredError, messageOf, StepFailedError } from '../core/errors.js';
import { validateEraLabel } from '../core/command-template.js';
import { addSecret } from '../core/redact.js';
import { keyFingerprint, shortFingerprint } from '../keys/fingerprint.js';
import { parseEncryptionKey } from '../keys/secret-value.js';
import { PROMPT_ATTEMPTS, SECRET_NAMES, type KeySourceContext } from './context.js';
import { contentLinesOf, lineCount, runSecretCommand, templateUses } from './secret-command.js';

export interface HeldKey {
  /** The base64 text (what a child's environment gets). */
  text: string;
  key: Buffer;
  fingerprint: string;
  /** ENCRYPTION_KEY, ENCRYPTION_KEY_OLD item 2, ENCRYPTION_KEY_COMMAND, prompt… */
  source: string;
}

export type KeyVerdict = { accepted: true; how: string } | { accepted: false; why: string };

export interface EraDescription {
  label: string;
  fingerprint?: string;
  start?: string;
  end?: string | null;
}

export function holdKey(text: string, source: string): HeldKey {
  addSecret(text);
  const key = parseEncryptionKey(text, source);
  return { text: text.trim(), key, fingerprint: keyFingerprint(key), source };
}

export function describeEra(era: EraDescription): string {
  const dates = era.start ? `, ${era.start.slice(0, 10)} → ${era.end ? era.end.slice(0, 10) : 'now'}` : '';
  const fp = era.fingerprint ? `, fingerprint ${shortFingerprint(era.fingerprint)}…` : '';
  return `era "${era.label}"${dates}${fp}`;
}

/** ENCRYPTION_KEY_OLD, item by item (an invalid item is a usage error naming its position, never its value). */
export function oldKeysFromSettings(ks: KeySourceContext): HeldKey[] {
  const csv = ks.settings.get('ENCRYPTION_KEY_OLD') ?? '';
  const items = csv
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.map((item, index) => holdKey(item, `ENCRYPTION_KEY_OLD item ${index + 1}`));
}

export async function keyFromCommand(ks: KeySourceContext, eraLabel: string | undefined): Promise<HeldKey | undefined> {
  const template = ks.settings.get('ENCRYPTION_KEY_COMMAND');
  if (!template) return undefined;
  if (templateUses(template, 'era') && eraLabel === undefined) return undefined;
  if (eraLabel !== undefined) validateEraLabel(eraLabel);
  const text = await runSecretCommand({
    settingName: 'ENCRYPTION_KEY_COMMAND',
    template,
    values: eraLabel === undefined ? {} : { era: eraLabel },
    env: ks.settings.env,
    signal: ks.signal,
    onNote: (note) => ks.output(note, 'info'),
  });
  const source = `ENCRYPTION_KEY_COMMAND${eraLabel ? ` (era ${eraLabel})` : ''}`;
  const hint =
    'ENCRYPTION_KEY_COMMAND must print only the key, once, on one line: the base64 of 32 bytes ' +
    '(no name=, no quotes, no tracing on standard output)';
  const lines = contentLinesOf(text);
  if (lines.length !== 1) {
    throw new StepFailedError(
      `${source} printed ${lineCount(lines.length)} on its standard output, not one (not shown: it is secret)`,
      hint,
    );
  }
  const line = lines[0] as string;
  try {
    return holdKey(line, source);
  } catch (error) {
    throw new StepFailedError(
      `${messageOf(error)} (one line of ${line.length} characters; not shown: it is secret)`,
      hint,
    );
  }
}

function syntaxProblem(value: string): string | undefined {
  try {
    parseEncryptionKey(value, 'the key');
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

async function keyFromPrompt(
  ks: KeySourceContext,
  name: string,
  message: string,
  judge?: (key: HeldKey) => KeyVerdict,
): Promise<HeldKey> {
  for (let attempt = 1; ; attempt++) {
    const text = await ks.interactor.secret(
      {
        kind: 'secret',
        name,
        message,
        validate: (value) => {
          const problem = syntaxProblem(value);
          if (problem || !judge) return problem;
          const verdict = judge(holdKey(value, 'prompt'));
          return verdict.accepted ? undefined : verdict.why;
        },
      },
      ks.signal,
    );
    const held = holdKey(text, 'prompt');
    const verdict = judge?.(held) ?? { accepted: true as const, how: 'typed' };
    if (verdict.accepted) return held;
    if (attempt >= PROMPT_ATTEMPTS)
      throw new StepFailedError(
        `the key typed was rejected: ${verdict.why}`,
        'fetch the right key from the vault and run again',
      );
    ks.output(`the key typed was rejected: ${verdict.why}`, 'warn');
  }
}

/**
 * The current ENCRYPTION_KEY: held earlier in the run, the setting, ENCRYPTION_KEY_COMMAND for the current
 * era's label, or a masked prompt (headless: exit 3 naming ENCRYPTION_KEY).
 */
export async function obtainCurrentKey(ks: KeySourceContext, currentEraLabel: string | undefined): Promise<HeldKey> {
  const held = ks.secrets.get(SECRET_NAMES.currentKey);
  let key: HeldKey | undefined;
  if (held) key = holdKey(held, 'ENCRYPTION_KEY (given earlier in this run)');
  else if (ks.settings.get('ENCRYPTION_KEY'))
    key = holdKey(ks.settings.get('ENCRYPTION_KEY') as string, 'ENCRYPTION_KEY');
  else key = await keyFromCommand(ks, currentEraLabel);
  if (!key) {
    try {
      key = await keyFromPrompt(
        ks,
        SECRET_NAMES.currentKey,
        `the current ENCRYPTION_KEY${currentEraLabel ? ` (era "${currentEraLabel}")` : ''}, the one ` +
          `the auth-service runs with`,
      );
    } catch (error) {
      if (!(error instanceof AnswerRequiredError)) throw error;
      throw new AnswerRequiredError(
        SECRET_NAMES.currentKey,
        'the current ENCRYPTION_KEY is needed and none was given: nothing was changed',
        'set ENCRYPTION_KEY (the key the auth-service runs with), or ENCRYPTION_KEY_COMMAND (a ' +
          'vault command; {era} is replaced by the era label)',
      );
    }
  }
  ks.secrets.set(SECRET_NAMES.currentKey, key.text);
  return key;
}

export interface EraKeyOptions {
  /** Decides whether a candidate opens this era's values. */
  judge(key: HeldKey): KeyVerdict;
  /** Keys already held (ENCRYPTION_KEY_OLD items) to try first. */
  candidates: readonly HeldKey[];
  /** Ask ENCRYPTION_KEY_COMMAND with this era's label (false when the label is not a real era's). */
  useCommand?: boolean;
}

/**
 * The key of an earlier era: an ENCRYPTION_KEY_OLD item the judge accepts, else ENCRYPTION_KEY_COMMAND with the
 * era's label, else a masked prompt. A key the command prints and the judge rejects fails the step (headless)
 * or falls back to the prompt (interactive). Headless with nothing to try: exit 3 naming ENCRYPTION_KEY_OLD.
 */
export async function obtainEraKey(
  ks: KeySourceContext,
  era: EraDescription,
  options: EraKeyOptions,
): Promise<{ key: HeldKey; how: string }> {
  for (const candidate of options.candidates) {
    const verdict = options.judge(candidate);
    if (verdict.accepted) return { key: candidate, how: verdict.how };
  }
  let fromCommand: HeldKey | undefined;
  try {
    if (options.useCommand !== false) fromCommand = await keyFromCommand(ks, era.label);
  } catch (error) {
    if (ks.interactor.mode === 'headless' || ks.signal.aborted) throw error;
    ks.output(`ENCRYPTION_KEY_COMMAND failed: ${messageOf(error)}`, 'warn');
  }
  if (fromCommand) {
    const verdict = options.judge(fromCommand);
    if (verdict.accepted) return { key: fromCommand, how: verdict.how };
    const problem = `the key ENCRYPTION_KEY_COMMAND printed for ${describeEra(era)} was rejected: ${verdict.why}`;
    if (ks.interactor.mode === 'headless') {
      throw new StepFailedError(
        `${problem}; nothing was changed`,
        `check the vault entry of era "${era.label}" (ENCRYPTION_KEY_COMMAND is run with ` +
          `{era}=${era.label}), or put the right key in ENCRYPTION_KEY_OLD`,
      );
    }
    ks.output(problem, 'warn');
  }
  try {
    const key = await keyFromPrompt(
      ks,
      `ENCRYPTION_KEY of era ${era.label}`,
      `ENCRYPTION_KEY of ${describeEra(era)}, from the vault`,
      options.judge,
    );
    const verdict = options.judge(key);
    return { key, how: verdict.accepted ? verdict.how : 'typed' };
  } catch (error) {
    if (!(error instanceof AnswerRequiredError)) throw error;
    const tried =
      options.candidates.length > 0
        ? ` (none of the ${options.candidates.length} ENCRYPTION_KEY_OLD item(s) opens it)`
        : '';
    throw new AnswerRequiredError(
      SECRET_NAMES.oldKeys,
      `the ENCRYPTION_KEY of ${describeEra(era)} is needed${tried}: nothing was changed`,
      `fetch it from the vault and add it to ENCRYPTION_KEY_OLD (comma-separated), or set ` +
        `ENCRYPTION_KEY_COMMAND (a vault command; {era} becomes "${era.label}")`,
    );
  }
}

/** Stores the accepted older keys for the rest of the run (the reencrypt step hands them to the child). */
export function holdOldKeys(ks: KeySourceContext, keys: readonly HeldKey[]): void {
  if (keys.length === 0) return;
  ks.secrets.set(SECRET_NAMES.oldKeys, keys.map((k) => k.text).join(','));
}

export function heldCurrentKey(ks: Pick<KeySourceContext, 'secrets'>): HeldKey | undefined {
  const text = ks.secrets.get(SECRET_NAMES.currentKey);
  return text ? holdKey(text, 'ENCRYPTION_KEY') : undefined;
}

export function heldOldKeys(ks: Pick<KeySourceContext, 'secrets'>): HeldKey[] {
  const csv = ks.secrets.get(SECRET_NAMES.oldKeys) ?? '';
  return csv
    .split(',')
    .filter((t) => t !== '')
    .map((t, i) => holdKey(t, `ENCRYPTION_KEY_OLD item ${i + 1}`));
}
