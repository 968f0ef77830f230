/**
 * The restore actions (runbooks/restore.yaml, runbooks/reencrypt-secrets.yaml; the drill reuses them). Every
 * action takes its target database as a parameter (a connection string), not only DATABASE_URL, and its inputs
 * from earlier steps' data. Heavy modules load inside `run`.
 */
import { z } from 'zod';
import type { AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';
import { parseConnectionString } from '../pg/target.js';
import { ApplyResultSchema, ColumnsParam, DumpRefSchema, InspectionSchema, VerifiedDumpSchema } from './types.js';

const targetParam = z.string().optional();

/** The target database URL, or a usage error naming DATABASE_URL (the runbooks pass `${settings.DATABASE_URL}`). */
async function requireTarget<P extends { target?: string | undefined }>(params: P): Promise<P & { target: string }> {
  if (params.target) return params as P & { target: string };
  const { UsageError } = await import('../core/errors.js');
  throw new UsageError('the target database is not set (DATABASE_URL)', 'set DATABASE_URL to the postgres:// URL of the database to restore into, in the environment of this command');
}
/** The plan's name of a target: its `host:port/database` label, however the connection string is spelled. */
const labelOf = (conninfo: unknown): string => {
  if (typeof conninfo !== 'string' || conninfo === '') return 'the target';
  try {
    return parseConnectionString(conninfo).label;
  } catch {
    return 'the target';
  }
};

export const restoreSelectAction = defineAction({
  name: 'restore.select',
  description: 'choose the dump (path, name, bucket object, latest, or a list) and fetch it from the bucket with its SHA-256 checked',
  readOnly: true,
  rerunOnResume: true,
  params: z.object({ dump: z.string().optional(), target: z.string().optional(), targetRequired: z.boolean().default(false) }).strict(),
  describe: (p) => `choose the dump ${p.dump ? `"${p.dump}"` : '(from a list)'}; fetch it when it is in the bucket`,
  async run(params, ctx) {
    // Before a large download or decryption: a restore without a target fails now, not an hour later.
    if (params.targetRequired) await requireTarget(params);
    const { runSelect } = await import('./select.js');
    return runSelect(params, ctx);
  },
});

export const restoreVerifyAction = defineAction({
  name: 'restore.verify',
  description: 'decrypt into the private folder and prove the dump whole (age authentication, manifest SHA-256, or a full read)',
  rerunOnResume: true,
  params: z.object({ dump: DumpRefSchema, fullRead: z.enum(['auto', 'always', 'never']).default('auto') }).strict(),
  describe: () => 'decrypt the dump into the private folder and verify it in full',
  async run(params, ctx) {
    const { runVerify } = await import('./verify.js');
    return runVerify(params, ctx);
  },
});

export const restoreKeyEraAction = defineAction({
  name: 'restore.key-era',
  description: 'find the key era of the data and obtain the keys that open it (fingerprint or trial decryption)',
  rerunOnResume: true,
  params: z
    .object({
      dump: VerifiedDumpSchema.optional(),
      target: z.string().optional(),
      columns: ColumnsParam,
      era: z.string().optional(),
    })
    .strict(),
  describe: (p) => `find the key era of ${p.target && !p.dump ? `the database ${labelOf(p.target)}` : 'the dump'} and obtain its key`,
  async run(params, ctx) {
    const { runKeyEra } = await import('./key-era-run.js');
    return runKeyEra(params, ctx);
  },
});

export const restoreInspectAction = defineAction({
  name: 'restore.inspect',
  description: 'inspect the target: server, size, rows, sessions to end, data lost, deleted accounts; decide the mode',
  readOnly: true,
  rerunOnResume: true,
  params: z
    .object({
      target: targetParam,
      dump: VerifiedDumpSchema.optional(),
      mode: z.enum(['auto', 'swap', 'in-place']).default('auto'),
      tables: z.array(z.string()).default(['tenants', 'users', 'mfa_totp', 'oidc_signing_keys', 'webhooks', 'sessions', 'audit_log']),
      auditTable: z.string().default('audit_log'),
      deletionAction: z.string().default('user.deleted'),
    })
    .strict(),
  describe: (p) => `inspect ${labelOf(p.target)}`,
  async run(params, ctx) {
    const [{ inspectTarget, confirmationDetails, describeSession }, { swapName }, { formatBytes }] = await Promise.all([import('./inspect.js'), import('./names.js'), import('./format.js')]);
    const inspection = await inspectTarget(await requireTarget(params), ctx);
    const details = confirmationDetails(inspection, params.dump, swapName(inspection.database, 'before', ctx.runId));
    ctx.output(`target ${inspection.label}: PostgreSQL ${inspection.serverVersion}, system ${inspection.systemIdentifier}${inspection.exists ? `, ${inspection.sizeBytes !== null ? formatBytes(inspection.sizeBytes) : '?'}` : ' (database does not exist)'}`, 'info');
    const rows = Object.entries(inspection.rowCounts).map(([t, n]) => `${t} ${n}`).join(', ');
    if (rows) ctx.output(`rows now: ${rows}`, 'info');
    if (inspection.newestAuditEvent) ctx.output(`newest audit event: ${inspection.newestAuditEvent.action} at ${inspection.newestAuditEvent.at}`, 'info');
    for (const s of inspection.sessions) ctx.output(`session to end: ${describeSession(s)}`, 'info');
    ctx.output(`mode: ${inspection.mode} (${inspection.modeReason})`, 'info');
    if (inspection.deletedAccounts.length > 0) {
      ctx.output(`GDPR: ${inspection.deletedAccounts.length} account(s) deleted after the dump was taken come back with it and must be erased again: ${inspection.deletedAccounts.map((d) => d.id).join(', ')}`, 'warn');
    }
    return {
      message: `${inspection.label}: ${inspection.exists ? `${inspection.sessions.length} session(s), mode ${inspection.mode}` : 'does not exist yet'}`,
      data: { token: inspection.label, details, mode: inspection.mode, inspection, record: { target: { label: inspection.label, serverVersion: inspection.serverVersion, systemIdentifier: inspection.systemIdentifier, mode: inspection.mode, deletedAccountsAfterDump: inspection.deletedAccounts.length } } },
    };
  },
});

export const restoreApplyAction = defineAction({
  name: 'restore.apply',
  description: 'restore the dump into the target (swap, or in-place after a safety dump); the old database stays intact on failure',
  destructive: true,
  params: z
    .object({
      target: targetParam,
      dump: VerifiedDumpSchema,
      inspection: InspectionSchema,
      jobs: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
      noOwner: z.boolean().default(false),
      deferAppStart: z.boolean().default(false),
    })
    .strict(),
  describe: (p) => `restore the dump into ${labelOf(p.target)}`,
  async run(params, ctx) {
    const { runApply } = await import('./apply.js');
    return runApply(await requireTarget(params), ctx);
  },
});

export const restoreCheckAction = defineAction({
  name: 'restore.check',
  description: 'check the restored database: row counts, audit trigger rejecting UPDATE, migration version, extensions',
  params: z.object({ target: targetParam, dump: VerifiedDumpSchema, auditTable: z.string().default('audit_log') }).strict(),
  describe: (p) => `check ${labelOf(p.target)} against the manifest`,
  async run(params, ctx) {
    const { runCheck } = await import('./check.js');
    return runCheck(await requireTarget(params), ctx);
  },
});

export const restoreReencryptAction = defineAction({
  name: 'restore.reencrypt',
  description: 'run reencrypt-secrets through AUTH_SERVICE_EXEC, then check every secret opens under ENCRYPTION_KEY alone',
  params: z.object({ target: targetParam, command: z.string().optional(), columns: ColumnsParam }).strict(),
  describe: (p) => `reencrypt-secrets against ${labelOf(p.target)} (AUTH_SERVICE_EXEC), then verify`,
  async run(params, ctx) {
    const { runReencrypt } = await import('./reencrypt.js');
    return runReencrypt(await requireTarget(params), ctx);
  },
});

export const restoreVerifySecretsAction = defineAction({
  name: 'restore.verify-secrets',
  description: 'check that every encrypted value opens under ENCRYPTION_KEY alone',
  readOnly: true,
  params: z.object({ target: targetParam, columns: ColumnsParam }).strict(),
  describe: (p) => `check every secret of ${labelOf(p.target)} opens under ENCRYPTION_KEY alone`,
  async run(params, ctx) {
    const [{ verifySecretsUnderCurrentKey }, { parseConnectionString }] = await Promise.all([import('./verify-secrets.js'), import('../pg/target.js')]);
    const census = await verifySecretsUnderCurrentKey(ctx, parseConnectionString((await requireTarget(params)).target), params.columns, 'run reencrypt-secrets with the older key in ENCRYPTION_KEY_OLD, then check again');
    return { message: `${census.total} encrypted values open under ENCRYPTION_KEY alone`, data: { values: census.total, perColumn: census.perColumn } };
  },
});

export const restoreAfterAction = defineAction({
  name: 'restore.after',
  description: 'live checks (AUTH_SERVICE_URL), the sessions note, the lost-data window, the kept database',
  params: z
    .object({
      target: targetParam,
      dump: VerifiedDumpSchema,
      inspection: InspectionSchema,
      result: ApplyResultSchema,
      authServiceUrl: z.string().optional(),
      readyTimeoutMs: z.number().int().positive().default(120_000),
      signingKeysTable: z.string().default('oidc_signing_keys'),
    })
    .strict(),
  describe: (p) => `live checks${p.authServiceUrl ? ` against ${p.authServiceUrl}` : ''}, notes, lost-data window`,
  async run(params, ctx) {
    const { runAfter } = await import('./after.js');
    return runAfter(await requireTarget(params), ctx);
  },
});

export const restoreActions: readonly AnyAction[] = [
  restoreSelectAction,
  restoreVerifyAction,
  restoreKeyEraAction,
  restoreInspectAction,
  restoreApplyAction,
  restoreCheckAction,
  restoreReencryptAction,
  restoreVerifySecretsAction,
  restoreAfterAction,
];

