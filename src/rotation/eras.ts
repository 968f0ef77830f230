/**
 * The rotation's steps on the key-era register: obtain the two keys (rotation.new-key), open the new era
 * (rotation.open-era: both eras are open while the rotation is under way), and close the old one with its end and
 * the date until which its key stays in the vault (rotation.close-era). Each is idempotent: a resumed or re-run
 * rotation continues from what the register says. Every change lands in the run's signed record.
 */
import { StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { addEra, closeEra, findEraByLabel, type KeyEra } from '../eras/register.js';
import { keyFingerprint, shortFingerprint } from '../keys/fingerprint.js';
import { parseEncryptionKey } from '../keys/secret-value.js';
import { describeEra } from '../keysource/encryption-keys.js';
import { heldRotationKeys, holdRotationKeys, keyOfEra, newEraLabel, obtainNewKey, type KeySource } from './keys.js';
import { readRotationState, requireRegister, saveRegister } from './register-state.js';

export interface NewKeyParams {
  source?: string | undefined;
  era?: string | undefined;
}

/** Where the new key comes from: the step's answer, else the vault headless, else asked. */
async function keySourceOf(params: NewKeyParams, ctx: ActionContext): Promise<KeySource> {
  return params.source === 'generate' || params.source === 'vault'
    ? params.source
    : ctx.interactor.mode === 'headless'
      ? 'vault'
      : ((await ctx.interactor.choose(
          {
            kind: 'choice',
            name: 'key-source',
            message: 'Where does the new ENCRYPTION_KEY come from?',
            options: [
              { value: 'generate', label: 'Generate it here, shown once for me to store in the vault' },
              { value: 'vault', label: 'It is already in the vault (ENCRYPTION_KEY_COMMAND, or I paste it)' },
            ],
          },
          ctx.signal,
        )) as KeySource);
}

export async function runNewKey(params: NewKeyParams, ctx: ActionContext): Promise<ActionResult> {
  const state = await readRotationState(ctx);
  const register = requireRegister(state);
  const old = state.old!;
  const oldKey = await keyOfEra(ctx, old, 'old');
  ctx.output(
    `key of the current era "${old.label}" held (${oldKey.source}, ` +
      `fingerprint ${shortFingerprint(oldKey.fingerprint)})`,
    'info',
  );
  if (state.next) {
    if (params.era && params.era !== state.next.label) {
      throw new UsageError(
        `a rotation to era "${state.next.label}" is under way; this run names "${params.era}"`,
        `finish that rotation first (run again without era, or with era: ${state.next.label}), or ` +
          `go back by removing era "${state.next.label}" from key-eras.json`,
      );
    }
    const nextKey = await keyOfEra(ctx, state.next, 'new');
    holdRotationKeys(ctx, nextKey, oldKey);
    ctx.output(
      `continuing: the key of era "${state.next.label}" is held (${nextKey.source}, fingerprint matches)`,
      'info',
    );
    return {
      message: `continuing the rotation to "${state.next.label}"; both keys held (fingerprints checked)`,
      data: {
        era: state.next.label,
        fingerprint: state.next.fingerprint,
        oldEra: old.label,
        oldFingerprint: old.fingerprint,
        source: 'vault (continuing)',
        continuing: true,
      },
    };
  }
  const source = await keySourceOf(params, ctx);
  const label = await newEraLabel(ctx, register, params.era);
  const next = await obtainNewKey(ctx, register, label, source);
  holdRotationKeys(ctx, next.key, oldKey);
  ctx.output(
    `new key for era "${label}": fingerprint ${shortFingerprint(next.key.fingerprint)} ` +
      `(${next.how}); the vault: ${next.vault}`,
    'info',
  );
  return {
    message: `new key for era "${label}" (${next.how}), fingerprint ${shortFingerprint(next.key.fingerprint)}`,
    data: {
      era: label,
      fingerprint: next.key.fingerprint,
      oldEra: old.label,
      oldFingerprint: old.fingerprint,
      source,
      vault: next.vault,
      continuing: false,
    },
  };
}

export interface OpenEraParams {
  era: string;
  fingerprint: string;
}

export async function runOpenEra(params: OpenEraParams, ctx: ActionContext): Promise<ActionResult> {
  const { next } = heldRotationKeys(ctx);
  if (keyFingerprint(parseEncryptionKey(next, 'the new key')) !== params.fingerprint) {
    throw new StepFailedError(
      `the key held is not the one of era "${params.era}"`,
      'run the rotation again from its start (the new-key step must come right before)',
    );
  }
  const state = await readRotationState(ctx);
  const register = requireRegister(state);
  const existing = findEraByLabel(register, params.era);
  if (existing) {
    if (existing.fingerprint !== params.fingerprint)
      throw new StepFailedError(
        `the register already has an era "${params.era}" with another key`,
        'choose another label for the new era',
      );
    if (existing.end !== null)
      throw new StepFailedError(
        `era "${params.era}" is already closed in the register`,
        'a closed era cannot be reopened: rotate to a new era',
      );
    ctx.output(
      `era "${params.era}" is already open since ${existing.start} (a resumed rotation): nothing to change`,
      'info',
    );
    return {
      message: `era "${params.era}" open since ${existing.start} (unchanged)`,
      data: { era: params.era, start: existing.start, changed: false },
    };
  }
  const start = new Date().toISOString();
  const updated = addEra(register, { label: params.era, fingerprint: params.fingerprint, start });
  const where = await saveRegister(ctx, updated);
  ctx.output(
    `era "${params.era}" opened at ${start}; both eras are open until the rotation closes "${state.old!.label}"`,
    'info',
  );
  ctx.output(`key-era register written: ${where.join(', ')}`, 'info');
  const opened = { label: params.era, fingerprint: params.fingerprint, start, beside: state.old!.label };
  return {
    message: `era "${params.era}" opened beside "${state.old!.label}"`,
    data: { era: params.era, start, changed: true, record: { keyEraOpened: opened } },
  };
}

export interface CloseEraParams {
  era: string;
  newEra: string;
}

/** Until when the closing era's key stays in the vault: its newest dump's expiry (pins, retention, a hold). */
async function keepKeyDecision(era: KeyEra, end: Date, ctx: ActionContext) {
  const [{ readCatalog }, { parseRetentionDays }, { keepKeyUntil }] = await Promise.all([
    import('../restore/catalog.js'),
    import('../backup/config.js'),
    import('./keep-key.js'),
  ]);
  const retentionDays = parseRetentionDays(ctx.settings.get('RETENTION_DAYS'));
  const catalog = await readCatalog(ctx.settings, ctx.signal);
  if (catalog.bucketProblem)
    ctx.output(
      `the bucket could not be listed (${catalog.bucketProblem}): only the local dumps' pins are counted`,
      'warn',
    );
  const decision = keepKeyUntil(
    era,
    end,
    retentionDays,
    [catalog.local, catalog.bucket].filter((i) => i !== undefined),
  );
  ctx.output(
    `${decision.dumps.length} dump(s) of era "${era.label}" still exist (locally or in the bucket); ` +
      `its key must stay in the vault until ${decision.keepKeyUntil}: ${decision.because}`,
    'info',
  );
  const { readLocalHold } = await import('../backup/hold.js');
  const hold = await readLocalHold(ctx.settings.require('BACKUP_DIR')).catch(() => undefined);
  if (hold)
    ctx.output(
      `a retention hold is active (${hold.reason}): nothing is pruned while it lasts, so keep the ` +
        `key longer than that date until it is released`,
      'warn',
    );
  return decision;
}

export async function runCloseEra(params: CloseEraParams, ctx: ActionContext): Promise<ActionResult> {
  const state = await readRotationState(ctx);
  const register = requireRegister(state);
  const era = findEraByLabel(register, params.era);
  const next = findEraByLabel(register, params.newEra);
  if (!era || !next)
    throw new StepFailedError(
      `the register lacks era "${era ? params.newEra : params.era}"`,
      'the key-era register changed during the rotation: check key-eras.json',
    );
  if (next.end !== null)
    throw new StepFailedError(`the new era "${next.label}" is closed in the register`, 'check key-eras.json');
  const end = era.end ? new Date(era.end) : new Date();
  const decision = await keepKeyDecision(era, end, ctx);
  if (era.end !== null && era.keepKeyUntil === decision.keepKeyUntil) {
    ctx.output(`era "${era.label}" is already closed (${era.end}): nothing to change`, 'info');
    return {
      message: `era "${era.label}" closed at ${era.end}; keep its key until ${decision.keepKeyUntil}`,
      data: { era: era.label, end: era.end, keepKeyUntil: decision.keepKeyUntil, changed: false },
    };
  }
  const updated = closeEra(register, era.label, end.toISOString(), decision.keepKeyUntil);
  const where = await saveRegister(ctx, updated);
  ctx.output(`key-era register written: ${where.join(', ')}`, 'info');
  const closed = {
    label: era.label,
    fingerprint: era.fingerprint,
    start: era.start,
    end: end.toISOString(),
    keepKeyUntil: decision.keepKeyUntil,
    because: decision.because,
    dumps: decision.dumps.length,
    current: next.label,
  };
  return {
    message:
      `${describeEra({ ...era, end: end.toISOString() })} closed; keep its key in the vault ` +
      `until ${decision.keepKeyUntil}`,
    data: {
      era: era.label,
      end: end.toISOString(),
      keepKeyUntil: decision.keepKeyUntil,
      changed: true,
      record: { keyEraClosed: closed },
    },
  };
}
