/**
 * restore.key-era (DESIGN §4 "Key eras"): which era the data was encrypted in, which is current, and the keys
 * that open it. The proof is a trial decryption of the encrypted values taken from the data itself (the
 * verified dump, or a database restored by other means): a key for an older era is accepted only when its
 * fingerprint is the era's or it opens values the current key does not. Every value must open under the
 * current key or an accepted one before the step succeeds; keys stay in ctx.secrets only.
 */
import { AnswerRequiredError, InvalidAnswerError, StepFailedError, UsageError } from '../core/errors.js';
import type { ActionContext } from '../engine/action.js';
import { confirmChangedAnswer } from '../engine/earlier-answer.js';
import type { ChoiceOption } from '../engine/events.js';
import { ERA_LABEL, type KeyEra, type KeyEraRegister } from '../eras/register.js';
import { shortFingerprint } from '../keys/fingerprint.js';
import {
  describeEra,
  holdOldKeys,
  keyFromCommand,
  obtainCurrentKey,
  obtainEraKey,
  oldKeysFromSettings,
  type EraDescription,
  type HeldKey,
  type KeyVerdict,
} from '../keysource/encryption-keys.js';
import { templateUses } from '../keysource/secret-command.js';
import { countOpened, describeUnreadable, takeCensus, type Census } from './key-census.js';
import type { StoredValue } from './encrypted-values.js';
import type { EncryptedColumnSpec } from './types.js';

export interface KeyEraInputs {
  register: KeyEraRegister | undefined;
  /** Eras the manifest names (undefined: no manifest). */
  manifestEras: { label: string; fingerprint: string }[] | undefined;
  /** The era chosen by the operator when there is no manifest. */
  era?: string | undefined;
  columns: readonly EncryptedColumnSpec[];
  /** A fresh stream of the data's encrypted values (called once or twice). */
  values: () => AsyncIterable<StoredValue>;
  /** "the dump" or "the database". */
  dataName: string;
}

export interface AcceptedKey {
  era: string;
  key: HeldKey;
  how: string;
}

export interface KeyEraOutcome {
  dumpEras: string[];
  currentEra: string;
  needsReencrypt: boolean;
  census: Census;
  accepted: AcceptedKey[];
  /** The operator's dump-era answer (an era's label or "unknown"), when asked: a resumed run offers it again. */
  eraAnswer?: string;
}

function byStartDesc(a: KeyEra, b: KeyEra): number {
  return Date.parse(b.start) - Date.parse(a.start);
}

function describeFromRegister(
  register: KeyEraRegister | undefined,
  ref: { label: string; fingerprint?: string },
): EraDescription {
  const known =
    register?.eras.find((e) => (ref.fingerprint ? e.fingerprint === ref.fingerprint : e.label === ref.label)) ??
    register?.eras.find((e) => e.label === ref.label);
  return {
    label: ref.label,
    ...(ref.fingerprint ? { fingerprint: ref.fingerprint } : known ? { fingerprint: known.fingerprint } : {}),
    ...(known ? { start: known.start, end: known.end } : {}),
  };
}

/** A dump-era answer that is not an era of the register is a usage error (exit 2), never taken as no answer. */
function refuseEraAnswer(answer: string, eras: readonly KeyEra[]): never {
  const expected = `one of: ${[...eras.map((e) => e.label), 'unknown'].join(', ')}`;
  if (!ERA_LABEL.test(answer)) {
    const why = 'is not an era label (lower-case letters, digits and dashes)';
    throw new UsageError(`the dump-era answer "${answer}" ${why}`, `answer dump-era with ${expected}`);
  }
  throw new UsageError(
    `the dump-era answer "${answer}" is not an era of the key-era register`,
    `answer dump-era with ${expected}`,
  );
}

/** The era the run being resumed was told (its `dump-era` answer), when it was asked. */
function earlierEraAnswer(ctx: ActionContext): string | undefined {
  const data = ctx.previous?.data;
  if (!data) return undefined;
  if (typeof data.eraAnswer === 'string') return data.eraAnswer;
  // A journal written before eraAnswer was kept: the era the step found (no manifest: the one answered).
  const eras = data.dumpEras;
  return Array.isArray(eras) && typeof eras[0] === 'string' ? eras[0] : undefined;
}

function eraChoices(eras: readonly KeyEra[], earlier: string | undefined): ChoiceOption[] {
  const options = [
    ...eras.map((e) => ({ value: e.label, label: describeEra(e) })),
    { value: 'unknown', label: 'I do not know: try the keys I can give' },
  ];
  return options.map((o) => (o.value === earlier ? { ...o, label: `${o.label}  ← the run's choice` } : o));
}

/** The operator's answer; headless without one, the resumed run's answer (undefined: none, try every era). */
async function askEra(
  ctx: ActionContext,
  eras: readonly KeyEra[],
  dataName: string,
  earlier: string | undefined,
): Promise<string | undefined> {
  try {
    return await ctx.interactor.choose(
      {
        kind: 'choice',
        name: 'dump-era',
        message: earlier
          ? `Without a manifest, which key era was ${dataName} taken in? (the run chose the one highlighted)`
          : `Without a manifest, which key era was ${dataName} taken in?`,
        options: eraChoices(eras, earlier),
        default: earlier ?? 'unknown',
      },
      ctx.signal,
    );
  } catch (error) {
    if (!(error instanceof AnswerRequiredError) || ctx.interactor.mode !== 'headless') throw error;
    if (error instanceof InvalidAnswerError) refuseEraAnswer(error.answer, eras);
    if (earlier) return earlier;
    ctx.output(
      'no dump-era answer: trying ENCRYPTION_KEY_OLD and the vault command for each era of the register',
      'info',
    );
    return undefined;
  }
}

/** The era the operator names: a resumed run offers the run's and confirms a change in words. */
async function chooseEra(
  ctx: ActionContext,
  register: KeyEraRegister | undefined,
  current: string,
  dataName: string,
): Promise<string | undefined> {
  const eras = (register?.eras ?? []).filter((e) => e.label !== current).sort(byStartDesc);
  if (eras.length === 0) return undefined;
  const offered = earlierEraAnswer(ctx);
  const earlier = offered && eraChoices(eras, undefined).some((o) => o.value === offered) ? offered : undefined;
  const chosen = await askEra(ctx, eras, dataName, earlier);
  let answer = chosen;
  if (earlier && chosen !== undefined && chosen !== earlier) {
    const describe = (label: string) => {
      const era = eras.find((e) => e.label === label);
      return era ? describeEra(era) : '"I do not know" (try the keys given)';
    };
    const change = { name: 'dump-era', earlier, chosen, describe };
    const { value, changed } = await confirmChangedAnswer(ctx.interactor, change, ctx.signal);
    ctx.output(`key era: ${changed ? 'changed to' : "kept the run's choice,"} ${describe(value)}`, 'info');
    answer = value;
  }
  return answer;
}

/** True when the data holds at least one encrypted value (reads only up to the first). */
async function holdsEncryptedValue(values: AsyncIterable<StoredValue>): Promise<boolean> {
  for await (const value of values) if (value) return true;
  return false;
}

const EMPTY_CENSUS: Census = {
  total: 0,
  perKey: [0],
  unreadable: {},
  unreadableTotal: 0,
  examples: {},
  samples: [],
  samplesComplete: true,
  perColumn: {},
};

/** The outcome when the data holds no encrypted value: no key asked for, nothing to re-encrypt. */
function noValuesOutcome(ctx: ActionContext, inputs: KeyEraInputs): KeyEraOutcome {
  const columns = inputs.columns.map((c) => `${c.table}.${c.column}`).join(', ');
  const where = columns ? `${columns} absent or empty` : 'PROFILE_ENCRYPTED_COLUMNS=none';
  const line =
    `not checked: key era: no encrypted values in ${inputs.dataName} (${where}): no ENCRYPTION_KEY is ` + `needed`;
  ctx.output(line, 'info');
  const dumpEras = inputs.manifestEras?.map((e) => e.label) ?? [];
  return { dumpEras, currentEra: 'not needed', needsReencrypt: false, census: EMPTY_CENSUS, accepted: [] };
}

interface CurrentKey {
  current: HeldKey;
  currentEra: KeyEra | undefined;
  currentLabel: string;
}

/** The current key, refused when it is the key of an era that has ended; its era's label. */
async function obtainCurrent(ctx: ActionContext, inputs: KeyEraInputs): Promise<CurrentKey> {
  const { register } = inputs;
  const open = register ? register.eras.filter((e) => e.end === null).sort(byStartDesc) : [];
  const current = await obtainCurrentKey(ctx, open[0]?.label);
  const currentEra = register?.eras.find((e) => e.fingerprint === current.fingerprint);
  if (currentEra && currentEra.end !== null && open.length > 0) {
    throw new StepFailedError(
      `${current.source} is the key of ${describeEra(currentEra)}, which has ended; the current era ` +
        `is "${open[0]?.label}"`,
      `set ENCRYPTION_KEY to the key the auth-service runs with now (era "${open[0]?.label}"); ` +
        `older keys go in ENCRYPTION_KEY_OLD`,
    );
  }
  if (register && register.eras.length > 0 && !currentEra) {
    ctx.output(
      `${current.source} (fingerprint ${shortFingerprint(current.fingerprint)}) matches no era of ` +
        `the key-era register: was a rotation done outside the key-rotation runbook?`,
      'warn',
    );
  }
  const currentLabel =
    currentEra?.label ??
    inputs.manifestEras?.find((e) => e.fingerprint === current.fingerprint)?.label ??
    'unregistered';
  return { current, currentEra, currentLabel };
}

/**
 * The eras the data was taken in: the manifest's, else the operator's answer (eras undefined: unknown); the
 * answer itself when the operator was asked (a resumed run offers it again).
 */
async function dumpErasOf(
  ctx: ActionContext,
  inputs: KeyEraInputs,
  currentLabel: string,
): Promise<{ eras: EraDescription[] | undefined; answer?: string }> {
  const { register } = inputs;
  const fromManifest = inputs.manifestEras?.map((e) => describeFromRegister(register, e));
  if (fromManifest) return { eras: fromManifest };
  if (inputs.era !== undefined)
    return { eras: inputs.era ? [describeFromRegister(register, { label: inputs.era })] : undefined };
  const answer = await chooseEra(ctx, register, currentLabel, inputs.dataName);
  const label = answer === 'unknown' ? undefined : answer;
  return { eras: label ? [describeFromRegister(register, { label })] : undefined, ...(answer ? { answer } : {}) };
}

function announceEras(
  ctx: ActionContext,
  dataName: string,
  current: CurrentKey,
  dumpEras: EraDescription[] | undefined,
): void {
  const { currentEra, currentLabel } = current;
  const unregistered = `"${currentLabel}" (fingerprint ${shortFingerprint(current.current.fingerprint)}…)`;
  ctx.output(`current era: ${currentEra ? describeEra(currentEra) : unregistered}`, 'info');
  const takenIn = !dumpEras
    ? 'an unknown era (no manifest)'
    : dumpEras.length === 0
      ? 'an unregistered era (the manifest names none): its key is found by trial decryption'
      : dumpEras.map(describeEra).join(' and ');
  ctx.output(`${dataName} was taken in: ${takenIn}`, 'info');
}

/** The keys accepted so far and the sampled values none of the held keys opens yet. */
class KeyTrial {
  remaining: StoredValue[];
  readonly accepted: AcceptedKey[] = [];

  constructor(
    private readonly ctx: ActionContext,
    private readonly current: HeldKey,
    samples: StoredValue[],
    private readonly dataName: string,
  ) {
    this.remaining = samples;
  }

  judgeFor(era: EraDescription | undefined): (key: HeldKey) => KeyVerdict {
    return (key) => this.judge(era, key);
  }

  private judge(era: EraDescription | undefined, key: HeldKey): KeyVerdict {
    const { remaining, dataName } = this;
    if (key.fingerprint === this.current.fingerprint) return { accepted: false, why: 'it is the current key' };
    if (era?.fingerprint && key.fingerprint === era.fingerprint)
      return { accepted: true, how: `fingerprint ${shortFingerprint(key.fingerprint)} matches the era` };
    const opened = countOpened(remaining, key.key);
    if (opened > 0) {
      const differs = era?.fingerprint
        ? ` (its fingerprint ${shortFingerprint(key.fingerprint)} is not the ` +
          `register's ${shortFingerprint(era.fingerprint)})`
        : '';
      return {
        accepted: true,
        how: `opens ${opened} of the ${remaining.length} values tried from ${dataName}${differs}`,
      };
    }
    const expected = era?.fingerprint
      ? `its fingerprint ${shortFingerprint(key.fingerprint)} is not ${era.label}'s ` +
        `(${shortFingerprint(era.fingerprint)}) and `
      : '';
    return {
      accepted: false,
      why: `${expected}it opens none of the ${remaining.length} encrypted values taken from ${dataName}`,
    };
  }

  take(era: string, key: HeldKey, how: string): void {
    this.accepted.push({ era, key, how });
    this.remaining = this.remaining.filter((v) => countOpened([v], key.key) === 0);
    this.ctx.output(`key for era "${era}" accepted (${key.source}): ${how}`, 'info');
  }
}

/** The named older eras' keys, then trial decryption with ENCRYPTION_KEY_OLD for what they leave. */
async function acceptOlderKeys(
  ctx: ActionContext,
  trial: KeyTrial,
  olderEras: EraDescription[],
  candidates: HeldKey[],
  register: KeyEraRegister | undefined,
): Promise<void> {
  for (const era of olderEras) {
    if (trial.remaining.length === 0) break;
    const { key, how } = await obtainEraKey(ctx, era, { judge: trial.judgeFor(era), candidates });
    trial.take(era.label, key, how);
  }
  // Values no named era's key opened (no manifest, or a dump whose manifest misses an era): trial decryption.
  for (const key of candidates) {
    if (trial.remaining.length === 0 || trial.accepted.some((a) => a.key.fingerprint === key.fingerprint)) continue;
    const verdict = trial.judgeFor(undefined)(key);
    if (verdict.accepted)
      trial.take(register?.eras.find((e) => e.fingerprint === key.fingerprint)?.label ?? 'unknown', key, verdict.how);
  }
}

/**
 * No era known (no manifest, or a dump whose era was unregistered): the vault command for each older era of the
 * register, then a prompt.
 */
async function acceptUnknownEraKeys(
  ctx: ActionContext,
  trial: KeyTrial,
  register: KeyEraRegister | undefined,
  currentLabel: string,
): Promise<void> {
  const template = ctx.settings.get('ENCRYPTION_KEY_COMMAND');
  if (template && templateUses(template, 'era')) {
    for (const era of (register?.eras ?? []).filter((e) => e.label !== currentLabel).sort(byStartDesc)) {
      if (trial.remaining.length === 0) break;
      const key = await keyFromCommand(ctx, era.label);
      const verdict = key ? trial.judgeFor(era)(key) : undefined;
      if (key && verdict?.accepted) trial.take(era.label, key, verdict.how);
    }
  }
  if (trial.remaining.length > 0) {
    const { key, how } = await obtainEraKey(
      ctx,
      { label: 'unknown' },
      { judge: trial.judgeFor(undefined), candidates: [], useCommand: false },
    );
    trial.take('unknown', key, how);
  }
}

/** Every value must open under the current key or an accepted one (a full census when only samples were tried). */
async function checkAllOpen(
  ctx: ActionContext,
  inputs: KeyEraInputs,
  census: Census,
  trial: KeyTrial,
  current: HeldKey,
  olderEras: EraDescription[],
): Promise<void> {
  const { remaining, accepted } = trial;
  let final = census;
  if (remaining.length === 0 && !census.samplesComplete) {
    final = await takeCensus(inputs.values(), [current.key, ...accepted.map((a) => a.key.key)], (done) =>
      ctx.progress({ done, unit: 'values', label: 'checking every encrypted value opens' }),
    );
  }
  const unreadable = remaining.length > 0 ? remaining.length : final === census ? 0 : final.unreadableTotal;
  if (unreadable > 0) {
    const detail =
      final !== census
        ? describeUnreadable(final)
        : `${remaining.length} value(s), e.g. ${remaining
            .slice(0, 5)
            .map((v) => `${v.table}.${v.column} ${v.key}`)
            .join(', ')}`;
    throw new StepFailedError(
      `some encrypted values of ${inputs.dataName} open under none of the keys held (${detail}): nothing was changed`,
      `add the ENCRYPTION_KEY ` +
        `of ${olderEras.length > 0 ? olderEras.map((e) => `"${e.label}"`).join(' and ') : 'the era of the dump'} ` +
        `to ENCRYPTION_KEY_OLD (a dump taken during a rotation may need both eras' keys)`,
    );
  }
}

/** Says what the current key leaves unread; true when nothing is (no older key needed). */
function currentKeySuffices(ctx: ActionContext, dataName: string, census: Census): boolean {
  if (census.total === 0) {
    ctx.output(`${dataName} holds no encrypted values: no key of another era is needed`, 'info');
    return true;
  }
  if (census.unreadableTotal === 0) {
    ctx.output(`all ${census.total} encrypted values open under the current key: nothing to re-encrypt`, 'info');
    return true;
  }
  ctx.output(`${census.unreadableTotal} of ${census.total} encrypted values do not open under the current key`, 'info');
  return false;
}

export async function selectKeyEra(ctx: ActionContext, inputs: KeyEraInputs): Promise<KeyEraOutcome> {
  const { register } = inputs;
  // A key is asked for only when the data holds values encrypted with it (DESIGN §4): none, none needed.
  if (!(await holdsEncryptedValue(inputs.values()))) return noValuesOutcome(ctx, inputs);
  const currentKey = await obtainCurrent(ctx, inputs);
  const { current, currentLabel } = currentKey;
  const { eras: dumpEras, answer: eraAnswer } = await dumpErasOf(ctx, inputs, currentLabel);
  const olderEras = (dumpEras ?? []).filter((e) => e.label !== currentLabel && e.fingerprint !== current.fingerprint);
  announceEras(ctx, inputs.dataName, currentKey, dumpEras);

  const census = await takeCensus(inputs.values(), [current.key], (done) =>
    ctx.progress({ done, unit: 'values', label: 'trying the current key on every encrypted value' }),
  );
  const result = (needsReencrypt: boolean, accepted: AcceptedKey[]): KeyEraOutcome => ({
    dumpEras: (dumpEras ?? []).map((e) => e.label),
    currentEra: currentLabel,
    needsReencrypt,
    census,
    accepted,
    ...(eraAnswer ? { eraAnswer } : {}),
  });
  if (currentKeySuffices(ctx, inputs.dataName, census)) return result(false, []);
  for (const era of olderEras) {
    ctx.output(
      `fetch the ENCRYPTION_KEY of ${describeEra(era)} from the ` +
        `vault${era.end ? ` (it must be kept until the dumps of that era expire)` : ''}`,
      'info',
    );
  }

  const trial = new KeyTrial(ctx, current, census.samples, inputs.dataName);
  const candidates = oldKeysFromSettings(ctx).filter((k) => k.fingerprint !== current.fingerprint);
  await acceptOlderKeys(ctx, trial, olderEras, candidates, register);
  if (trial.remaining.length > 0 && (!dumpEras || dumpEras.length === 0))
    await acceptUnknownEraKeys(ctx, trial, register, currentLabel);
  await checkAllOpen(ctx, inputs, census, trial, current, olderEras);
  holdOldKeys(
    ctx,
    trial.accepted.map((a) => a.key),
  );
  return result(true, trial.accepted);
}
