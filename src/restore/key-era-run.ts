/** restore.key-era's step: gathers the register, the data's encrypted values and the manifest's eras. */
import type pg from 'pg';
import { messageOf, UsageError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import type { KeyEraRegister } from '../eras/register.js';
import { shortFingerprint } from '../keys/fingerprint.js';
import { connect } from '../pg/client.js';
import { parseConnectionString } from '../pg/target.js';
import { findPgRestore } from './archive.js';
import { valuesInDatabase, valuesInDump, type StoredValue } from './encrypted-values.js';
import { selectKeyEra, type KeyEraOutcome } from './key-era.js';
import { Replayable } from './replayable.js';
import type { EncryptedColumnSpec, VerifiedDump } from './types.js';

/** Memory the dump's encrypted values may take to be read from pg_restore once (about 25,000 values). */
export const REPLAY_BUDGET_BYTES = 16 * 1024 * 1024;

export interface KeyEraParams {
  dump?: VerifiedDump | undefined;
  target?: string | undefined;
  columns: EncryptedColumnSpec[];
  era?: string | undefined;
}

export async function readRegisterForRestore(ctx: ActionContext): Promise<KeyEraRegister | undefined> {
  const backupDir = ctx.settings.get('BACKUP_DIR');
  if (!backupDir) return undefined;
  try {
    const { readRegister } = await import('../eras/store.js');
    let s3;
    if (ctx.settings.get('S3_BUCKET')) s3 = (await import('../s3/settings.js')).s3SettingsFromSettings(ctx.settings);
    const read = await readRegister({ backupDir, ...(s3 ? { s3 } : {}) }, { signal: ctx.signal });
    if (read.bucket === 'unreachable')
      ctx.output(
        `the key-era register in the bucket could not be read (${read.bucketError ?? '?'}): using the local copy`,
        'warn',
      );
    if (!read.register)
      ctx.output('there is no key-era register (bucket or BACKUP_DIR): eras are known only from the manifest', 'warn');
    return read.register;
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    ctx.output(`the key-era register could not be read: ${messageOf(error)}`, 'warn');
    return undefined;
  }
}

interface KeyEraData {
  client: pg.Client | undefined;
  replay?: Replayable<StoredValue>;
  values: () => AsyncIterable<StoredValue>;
  dataName: string;
  token: string | undefined;
}

/** Where the encrypted values come from: the verified dump, or a database (its client is closed by the caller). */
async function openKeyEraData(params: KeyEraParams, ctx: ActionContext): Promise<KeyEraData> {
  if (params.dump) {
    const pgRestore = await findPgRestore();
    const file = params.dump.plaintextPath;
    // One pg_restore for the key era's two or three readings of the values, as far as the budget keeps them.
    const replay = new Replayable(() => valuesInDump(pgRestore, file, params.columns, ctx.signal), {
      budgetBytes: REPLAY_BUDGET_BYTES,
      sizeOf: (v) => 2 * (v.key.length + v.value.length) + 128,
    });
    return { client: undefined, values: () => replay.stream(), dataName: 'the dump', token: undefined, replay };
  } else if (params.target) {
    const target = parseConnectionString(params.target);
    const token = target.label;
    const opened = await connect(target, ctx.signal);
    const values = () => valuesInDatabase(opened, params.columns);
    return { client: opened, values, dataName: `the database ${target.label}`, token };
  }
  throw new UsageError(
    'restore.key-era needs a verified dump (dump:) or a database (target:)',
    'fix the step in the runbook',
  );
}

function keyEraMessage(outcome: KeyEraOutcome, dumpEra: string, keyCount: number, dataName: string): string {
  return outcome.needsReencrypt
    ? `data of era ${dumpEra}, current era ${outcome.currentEra}: reencrypt-secrets needed ` +
        `(${keyCount} older key(s) accepted)`
    : outcome.census.total === 0
      ? `${dataName} holds no encrypted values: no key needed, nothing to re-encrypt`
      : `data opens under the current key (era ${outcome.currentEra}): nothing to re-encrypt`;
}

function keyEraResult(outcome: KeyEraOutcome, dataName: string, token: string | undefined): ActionResult {
  const keys = outcome.accepted.map((a) => ({
    era: a.era,
    fingerprint: shortFingerprint(a.key.fingerprint),
    source: a.key.source,
    how: a.how,
  }));
  const perTable = Object.entries(outcome.census.perColumn)
    .map(([where, n]) => `${where}: ${n}`)
    .join(', ');
  const dumpEra = outcome.dumpEras.join('+') || outcome.accepted.map((a) => a.era).join('+') || outcome.currentEra;
  const details = outcome.needsReencrypt
    ? [
        `re-encrypt ${outcome.census.unreadableTotal} of ${outcome.census.total} encrypted values ` +
          `(${perTable}) under the current key (era "${outcome.currentEra}")`,
        `read with the key(s) of era ${keys.map((k) => `"${k.era}"`).join(', ')}; batched, each ` +
          `batch one transaction; safe to re-run`,
      ]
    : [];
  return {
    message: keyEraMessage(outcome, dumpEra, keys.length, dataName),
    data: {
      dumpEra,
      dumpEras: outcome.dumpEras,
      currentEra: outcome.currentEra,
      needsReencrypt: outcome.needsReencrypt,
      values: {
        total: outcome.census.total,
        underCurrentKey: outcome.census.perKey[0] ?? 0,
        perColumn: outcome.census.perColumn,
      },
      keys,
      ...(outcome.eraAnswer ? { eraAnswer: outcome.eraAnswer } : {}),
      ...(token ? { token, details } : {}),
      record: {
        keyEra: { dump: dumpEra, current: outcome.currentEra, needsReencrypt: outcome.needsReencrypt, keys },
      },
    },
  };
}

export async function runKeyEra(params: KeyEraParams, ctx: ActionContext): Promise<ActionResult> {
  const { client, values, dataName, token, replay } = await openKeyEraData(params, ctx);
  try {
    // pg_restore starts on the dump while the register is read.
    replay?.prime();
    const register = await readRegisterForRestore(ctx);
    const outcome = await selectKeyEra(ctx, {
      register,
      manifestEras: params.dump?.manifest?.keyEras,
      era: params.era,
      columns: params.columns,
      values,
      dataName,
    });
    return keyEraResult(outcome, dataName, token);
  } finally {
    await client?.end().catch(() => undefined);
    await replay?.close();
  }
}
