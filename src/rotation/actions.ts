/**
 * The key rotation's own actions (runbooks/key-rotation.yaml). The backup, reencrypt and live-check steps of that
 * runbook reuse the backup, restore and drill actions; only what did not exist lives here. Heavy modules load
 * inside `run`.
 */
import { z } from 'zod';
import { isDuration, parseDuration } from '../core/duration.js';
import type { AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';

const duration = z.string().refine(isDuration, { message: 'expected a duration such as 2m' });

export const rotationPreflightAction = defineAction({
  name: 'rotation.preflight',
  description:
    'check what a key rotation needs (database, restart commands, live URL, drill account) and ' +
    'whether one is under way',
  readOnly: true,
  rerunOnResume: true,
  params: z.object({}).strict(),
  describe: () => 'check the settings of the rotation and read the key-era register',
  async run(_params, ctx) {
    const { runRotationPreflight } = await import('./preflight.js');
    return runRotationPreflight(ctx);
  },
});

export const rotationNewKeyAction = defineAction({
  name: 'rotation.new-key',
  description:
    'hold the key of the current era and the new key (generated and shown once, or from the vault); ' +
    'both only in memory',
  // The keys live in memory only: a resumed run obtains them again (from the vault, checked by fingerprint).
  rerunOnResume: true,
  params: z.object({ source: z.string().optional(), era: z.string().optional() }).strict(),
  describe: (p) => {
    const from = p.source === 'generate' ? 'generated, shown once' : p.source === 'vault' ? 'from the vault' : null;
    return `obtain the new key (${from ?? 'generated or from the vault'}) and the current one`;
  },
  async run(params, ctx) {
    const { runNewKey } = await import('./eras.js');
    return runNewKey(params, ctx);
  },
});

export const rotationOpenEraAction = defineAction({
  name: 'rotation.open-era',
  description: 'open the new key era in the register (bucket and local copy) beside the current one',
  params: z.object({ era: z.string().min(1), fingerprint: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
  describe: (p) => `open era "${p.era}" in the key-era register`,
  async run(params, ctx) {
    const { runOpenEra } = await import('./eras.js');
    return runOpenEra(params, ctx);
  },
});

export const rotationRestartAction = defineAction({
  name: 'rotation.restart',
  description:
    'restart the auth-service (APP_STOP_COMMAND, APP_START_COMMAND) with the new key, and the old ' +
    'one or not, then wait for AUTH_SERVICE_URL',
  params: z
    .object({
      keys: z.enum(['both', 'new-only']),
      newEra: z.string().min(1),
      oldEra: z.string().min(1),
      url: z.string().optional(),
      readyTimeout: duration.default('2m'),
    })
    .strict(),
  describe: (p) =>
    `restart the auth-service ` +
    `with ${p.keys === 'both' ? `the keys of "${p.newEra}" and "${p.oldEra}"` : `the key of "${p.newEra}" alone`}`,
  async run(params, ctx) {
    const { runRestart } = await import('./restart.js');
    return runRestart({ ...params, readyTimeoutMs: parseDuration(params.readyTimeout) }, ctx);
  },
});

export const rotationSigningKeysAction = defineAction({
  name: 'rotation.signing-keys',
  description: 'rotate the OIDC signing keys (rotate-keys [grace_hours] through AUTH_SERVICE_EXEC)',
  params: z
    .object({
      graceHours: z.union([z.string(), z.number()]).transform(String).default('24'),
      target: z.string().min(1),
    })
    .strict(),
  describe: (p) => `rotate-keys ${p.graceHours}: new signing key, keys retired more than ${p.graceHours} h ago purged`,
  async run(params, ctx) {
    const { runSigningKeys } = await import('./signing-keys.js');
    return runSigningKeys(params, ctx);
  },
});

export const rotationCloseEraAction = defineAction({
  name: 'rotation.close-era',
  description:
    'close the old key era: its end, and until when its key stays in the vault (retention window ' +
    'and pins of its dumps)',
  params: z.object({ era: z.string().min(1), newEra: z.string().min(1) }).strict(),
  describe: (p) => `close era "${p.era}" and compute until when its key stays in the vault`,
  async run(params, ctx) {
    const { runCloseEra } = await import('./eras.js');
    return runCloseEra(params, ctx);
  },
});

export const rotationSummaryAction = defineAction({
  name: 'rotation.summary',
  description: 'what the rotation did and what the operator keeps: the old key in the vault until its date',
  params: z
    .object({
      from: z.string(),
      to: z.string(),
      keepKeyUntil: z.string(),
      preRotationDump: z.string().nullish(),
      postRotationDump: z.string().nullish(),
      values: z.number().nullish(),
    })
    .strict(),
  describe: (p) => `summarize the rotation from "${p.from}" to "${p.to}"`,
  async run(params, ctx) {
    const lines = [
      `ENCRYPTION_KEY is now the key of era "${params.to}"; every encrypted ` +
        `value${params.values !== undefined && params.values !== null ? ` (${params.values})` : ''} ` +
        `reads under it alone`,
      `keep the key of era "${params.from}" in the vault until ${params.keepKeyUntil}: the dumps of ` +
        `that era need it until then (never beside the dumps)`,
      `ENCRYPTION_KEY_OLD is no longer needed by the auth-service; a restore of a dump of era ` +
        `"${params.from}" fetches that key from the vault`,
      `wherever this tool runs with ENCRYPTION_KEY in its environment (the backup cron line, CI), ` +
        `set it to the key of era "${params.to}" too`,
    ];
    if (params.preRotationDump) lines.push(`pre-rotation backup: ${params.preRotationDump}`);
    if (params.postRotationDump) lines.push(`post-rotation backup: ${params.postRotationDump}`);
    for (const line of lines) ctx.output(line, 'info');
    const rotation = {
      from: params.from,
      to: params.to,
      keepOldKeyUntil: params.keepKeyUntil,
      preRotationDump: params.preRotationDump ?? null,
      postRotationDump: params.postRotationDump ?? null,
    };
    return {
      message: `rotated from "${params.from}" to "${params.to}"; keep the old key until ${params.keepKeyUntil}`,
      data: { ...rotation, record: { rotation } },
    };
  },
});

export const rotationActions: readonly AnyAction[] = [
  rotationPreflightAction,
  rotationNewKeyAction,
  rotationOpenEraAction,
  rotationRestartAction,
  rotationSigningKeysAction,
  rotationCloseEraAction,
  rotationSummaryAction,
];
