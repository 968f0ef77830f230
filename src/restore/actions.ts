/**
 * The restore actions (runbooks/restore.yaml, runbooks/reencrypt-secrets.yaml; the drill reuses them). Every
 * action takes its target database as a parameter (a connection string), not only DATABASE_URL, and its inputs
 * from earlier steps' data. Heavy modules load inside `run`.
 */
import { z } from 'zod';
import type { ActionContext, AnyAction } from '../engine/action.js';
import { defineAction } from '../engine/action.js';
import { DatabasePropertiesSchema } from './db-properties-schema.js';
import {
  ApplyResultSchema,
  ColumnsParam,
  DumpRefSchema,
  InspectionSchema,
  VerifiedDumpSchema,
  type EncryptedColumnSpec,
} from './types.js';
import { parseConnectionString } from '../pg/target.js';

const targetParam = z.string().optional();

/** The target database URL, or a usage error naming DATABASE_URL (the runbooks pass `${settings.DATABASE_URL}`). */
async function requireTarget<P extends { target?: string | undefined }>(params: P): Promise<P & { target: string }> {
  if (params.target) return params as P & { target: string };
  const { UsageError } = await import('../core/errors.js');
  throw new UsageError(
    'the target database is not set (DATABASE_URL)',
    'set DATABASE_URL to the postgres:// URL of the database to restore into, in the environment of this command',
  );
}
/** The step's encrypted columns, else the schema profile's (PROFILE_ENCRYPTED_COLUMNS, else the Obexal defaults). */
type WithColumns<P> = P & { columns: EncryptedColumnSpec[] };
async function withColumns<P extends { columns?: EncryptedColumnSpec[] | undefined }>(
  params: P,
  ctx: ActionContext,
): Promise<WithColumns<P>> {
  if (params.columns) return params as WithColumns<P>;
  const { resolveProfile } = await import('../profile/config.js');
  const profile = resolveProfile(ctx.settings);
  if (profile.encryptedColumnsProblem) ctx.output(profile.encryptedColumnsProblem, 'warn');
  return { ...params, columns: profile.encryptedColumns };
}
/** The target's connection string aimed at another database of the same server (the swap's copy). */
async function onOtherDatabase(target: string, database: string | undefined): Promise<string> {
  if (!database) return target;
  const [{ parseConnectionString, targetUrl }, { onDatabase }] = await Promise.all([
    import('../pg/target.js'),
    import('./server.js'),
  ]);
  return targetUrl(onDatabase(parseConnectionString(target), database));
}
const NoOwnerParam = z.union([z.boolean(), z.enum(['auto', 'yes', 'no'])]).default('auto');
const CopyRefSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && 'database' in v ? v : undefined),
  z
    .object({
      database: z.string(),
      oid: z.number().int(),
      pgRestoreMs: z.number().optional(),
      jobs: z.number().int().optional(),
    })
    .passthrough()
    .optional(),
);
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
  description:
    'choose the dump (path, name, bucket object, latest, or a list); a bucket object is fetched by restore.verify',
  readOnly: true,
  rerunOnResume: true,
  params: z
    .object({ dump: z.string().optional(), target: z.string().optional(), targetRequired: z.boolean().default(false) })
    .strict(),
  describe: (p) => `choose the dump ${p.dump ? `"${p.dump}"` : '(from a list)'}`,
  async run(params, ctx) {
    // Before a large download or decryption: a restore without a target fails now, not an hour later.
    if (params.targetRequired) await requireTarget(params);
    const { runSelect } = await import('./select.js');
    return runSelect(params, ctx);
  },
});

export const restoreVerifyAction = defineAction({
  name: 'restore.verify',
  description:
    'fetch (from the bucket, in the same pass) and decrypt into the private folder, and prove the dump whole ' +
    '(age authentication, manifest SHA-256, or a full read)',
  rerunOnResume: true,
  params: z.object({ dump: DumpRefSchema, fullRead: z.enum(['auto', 'always', 'never']).default('auto') }).strict(),
  describe: () => 'fetch and decrypt the dump into the private folder and verify it in full',
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
  describe: (p) =>
    `find the key era of ${p.target && !p.dump ? `the database ${labelOf(p.target)}` : 'the dump'} and obtain its key`,
  async run(params, ctx) {
    const { runKeyEra } = await import('./key-era-run.js');
    return runKeyEra(await withColumns(params, ctx), ctx);
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
      // Unset: the schema profile's (PROFILE_INSPECT_TABLES, PROFILE_AUDIT_TABLE, PROFILE_DELETION_ACTION).
      tables: z.array(z.string()).optional(),
      auditTable: z.string().optional(),
      deletionAction: z.string().optional(),
    })
    .strict(),
  describe: (p) => `inspect ${labelOf(p.target)}`,
  async run(params, ctx) {
    const [{ inspectTarget, confirmationDetails, describeSession }, { swapName }, { formatBytes }] = await Promise.all([
      import('./inspect.js'),
      import('./names.js'),
      import('../core/format.js'),
    ]);
    const inspection = await inspectTarget(await requireTarget(params), ctx);
    const details = confirmationDetails(inspection, params.dump, swapName(inspection.database, 'before', ctx.runId));
    const size = inspection.sizeBytes !== null ? formatBytes(inspection.sizeBytes) : '?';
    ctx.output(
      `target ${inspection.label}: PostgreSQL ${inspection.serverVersion}, ` +
        `system ${inspection.systemIdentifier}${inspection.exists ? `, ${size}` : ' (database does not exist)'}`,
      'info',
    );
    const rows = Object.entries(inspection.rowCounts)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    if (rows) ctx.output(`rows now: ${rows}`, 'info');
    if (inspection.newestAuditEvent)
      ctx.output(
        `newest audit event: ${inspection.newestAuditEvent.action} at ${inspection.newestAuditEvent.at}`,
        'info',
      );
    for (const note of inspection.notChecked ?? []) ctx.output(`not checked: ${note}`, 'info');
    for (const s of inspection.sessions) ctx.output(`session to end: ${describeSession(s)}`, 'info');
    ctx.output(`mode: ${inspection.mode} (${inspection.modeReason})`, 'info');
    if (inspection.deletedAccounts.length > 0) {
      ctx.output(
        `GDPR: ${inspection.deletedAccounts.length} account(s) deleted after the dump was taken ` +
          `come back with it and must be erased ` +
          `again: ${inspection.deletedAccounts.map((d) => d.id).join(', ')}`,
        'warn',
      );
    }
    const state = inspection.exists
      ? `${inspection.sessions.length} session(s), mode ${inspection.mode}`
      : 'does not exist yet';
    return {
      message: `${inspection.label}: ${state}`,
      data: {
        token: inspection.label,
        details,
        mode: inspection.mode,
        inspection,
        record: {
          target: {
            label: inspection.label,
            serverVersion: inspection.serverVersion,
            systemIdentifier: inspection.systemIdentifier,
            mode: inspection.mode,
            deletedAccountsAfterDump: inspection.deletedAccounts.length,
          },
        },
      },
    };
  },
});

/** What the copy and the restore itself both take: the target, the verified dump, how pg_restore runs. */
const restoreJobParams = {
  target: targetParam,
  dump: VerifiedDumpSchema,
  inspection: InspectionSchema,
  jobs: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
  noOwner: z.boolean().default(false),
  role: z.string().nullish(),
};

export const restoreApplyAction = defineAction({
  name: 'restore.apply',
  description:
    'restore the dump into the target (swap, or in-place after a safety dump); the old database ' +
    'stays intact on failure',
  destructive: true,
  params: z
    .object({
      ...restoreJobParams,
      deferAppStart: z.boolean().default(false),
      /** Swap mode: the copy restore.copy made (`${steps.copy}`'s data). */
      copy: CopyRefSchema,
    })
    .strict(),
  describe: (p) =>
    p.copy || p.inspection?.mode === 'swap'
      ? `end the sessions on ${labelOf(p.target)} and swap the checked copy in (rename)`
      : `restore the dump into ${labelOf(p.target)} in place (safety dump, one transaction)`,
  async run(params, ctx) {
    const { runApply } = await import('./apply.js');
    return runApply(await requireTarget(params), ctx);
  },
});

export const restorePreflightAction = defineAction({
  name: 'restore.preflight',
  description:
    'what the restoring role may do: ownership kept or --no-owner, extensions it may not create, ' +
    'objects it may not drop',
  // Not run again on resume: its decision (ownership) stands for the steps that took it, the restore included.
  readOnly: true,
  params: z
    .object({
      target: targetParam,
      dump: VerifiedDumpSchema.optional(),
      selected: DumpRefSchema.optional(),
      inspection: InspectionSchema,
      noOwner: NoOwnerParam,
      role: z.string().nullish(),
      needsReencrypt: z.boolean().default(false),
    })
    .strict(),
  describe: (p) => `check what the restoring role may do on ${labelOf(p.target)}`,
  async run(params, ctx) {
    const { runPreflight } = await import('./privileges.js');
    const noOwner = params.noOwner === true ? 'yes' : params.noOwner === false ? 'no' : params.noOwner;
    return runPreflight({ ...(await requireTarget(params)), noOwner, role: params.role ?? undefined }, ctx);
  },
});

export const restoreCopyAction = defineAction({
  name: 'restore.copy',
  description:
    "swap mode: restore the dump into <db>__restore_<run id> (template0, the database's owner and " +
    'locale); production is not touched',
  params: z
    .object({
      ...restoreJobParams,
      needsReencrypt: z.boolean().default(false),
    })
    .strict(),
  describe: (p) => `restore the dump into a copy beside ${labelOf(p.target)} (nothing of production changes)`,
  async run(params, ctx) {
    const { runCopy } = await import('./copy.js');
    return runCopy({ ...(await requireTarget(params)), role: params.role ?? undefined }, ctx);
  },
  async stillDone(params, previous, ctx) {
    const { copyStillDone } = await import('./copy.js');
    return copyStillDone(await requireTarget(params), previous, ctx);
  },
});

export const restoreStopAppAction = defineAction({
  name: 'restore.stop-app',
  description: 'APP_STOP_COMMAND, just before the swap (started again if the run ends before the swap)',
  params: z.object({ target: targetParam, copy: z.string(), copyOid: z.number().int() }).strict(),
  describe: () => 'stop the application (APP_STOP_COMMAND)',
  async run(params, ctx) {
    const { runStopApp } = await import('./app-steps.js');
    return runStopApp(await requireTarget(params), ctx);
  },
  async stillDone(params, previous, ctx) {
    const { stopAppStillDone } = await import('./app-steps.js');
    return stopAppStillDone(await requireTarget(params), previous, ctx);
  },
});

export const restoreStartAppAction = defineAction({
  name: 'restore.start-app',
  description: 'APP_START_COMMAND, once the restored database is in place with its properties',
  params: z
    .object({
      target: targetParam,
      stopped: z.boolean().default(false),
      keptAs: z.string().nullish(),
      afterReencrypt: z.boolean().optional(),
    })
    .strict(),
  describe: () => 'start the application (APP_START_COMMAND)',
  async run(params, ctx) {
    const { runStartApp } = await import('./app-steps.js');
    return runStartApp(await requireTarget(params), ctx);
  },
});

export const restorePropertiesAction = defineAction({
  name: 'restore.properties',
  description:
    "the database's own properties (owner, settings, role settings, grants, comment, connection " +
    'limit) on the restored database',
  params: z
    .object({
      target: targetParam,
      properties: DatabasePropertiesSchema.nullish(),
      createdOwner: z.string().nullish(),
      archive: z.object({ name: z.string(), owner: z.string().nullable(), statements: z.array(z.string()) }).nullish(),
    })
    .strict(),
  describe: (p) => `apply the database-level properties to ${labelOf(p.target)}`,
  async run(params, ctx) {
    const { runProperties } = await import('./properties.js');
    return runProperties(await requireTarget(params), ctx);
  },
});

export const restoreCheckAction = defineAction({
  name: 'restore.check',
  description:
    "check the restored database: row counts, the archive's tables, triggers, sequences, large objects and " +
    "extensions; the schema profile's audit trigger and migration version",
  params: z
    .object({
      target: targetParam,
      database: z.string().optional(),
      dump: VerifiedDumpSchema,
      auditTable: z.string().optional(),
      /** restore.copy's `rowCounts`: the exact counts it took on this copy, not taken twice. */
      counted: z
        .object({ database: z.string(), oid: z.number().int(), plaintextSha256: z.string(), detail: z.string() })
        .nullish(),
    })
    .strict(),
  describe: (p) => `check ${p.database ? `the copy ${p.database}` : labelOf(p.target)} against the manifest`,
  async run(params, ctx) {
    const { runCheck } = await import('./check.js');
    const { database, ...rest } = await requireTarget(params);
    return runCheck({ ...rest, target: await onOtherDatabase(rest.target, database) }, ctx);
  },
});

export const restoreReencryptAction = defineAction({
  name: 'restore.reencrypt',
  description:
    'run reencrypt-secrets through AUTH_SERVICE_EXEC, then check every secret opens under ENCRYPTION_KEY alone',
  params: z
    .object({
      target: targetParam,
      database: z.string().optional(),
      command: z.string().optional(),
      columns: ColumnsParam,
    })
    .strict(),
  describe: (p) =>
    `reencrypt-secrets against ${p.database ? `the copy ${p.database}` : labelOf(p.target)} ` +
    `(AUTH_SERVICE_EXEC), then verify`,
  async run(params, ctx) {
    const { runReencrypt } = await import('./reencrypt.js');
    const { database, ...rest } = await withColumns(await requireTarget(params), ctx);
    const copyOf = database ? rest.target : undefined;
    return runReencrypt({ ...rest, target: await onOtherDatabase(rest.target, database), copyOf }, ctx);
  },
});

export const restoreVerifySecretsAction = defineAction({
  name: 'restore.verify-secrets',
  description: 'check that every encrypted value opens under ENCRYPTION_KEY alone',
  readOnly: true,
  params: z.object({ target: targetParam, columns: ColumnsParam }).strict(),
  describe: (p) => `check every secret of ${labelOf(p.target)} opens under ENCRYPTION_KEY alone`,
  async run(params, ctx) {
    const [{ verifySecretsUnderCurrentKey }, { parseConnectionString }] = await Promise.all([
      import('./verify-secrets.js'),
      import('../pg/target.js'),
    ]);
    const census = await verifySecretsUnderCurrentKey(
      ctx,
      parseConnectionString((await requireTarget(params)).target),
      (await withColumns(params, ctx)).columns,
      'run reencrypt-secrets with the older key in ENCRYPTION_KEY_OLD, then check again',
    );
    return {
      message: `${census.total} encrypted values open under ENCRYPTION_KEY alone`,
      data: { values: census.total, perColumn: census.perColumn },
    };
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
      signingKeysTable: z.string().optional(),
      /** The drill's JWKS check (src/drill/checks.ts) at this strictness; default LIVE_JWKS_STRICTNESS, else any. */
      jwksStrictness: z.enum(['exact', 'any']).optional(),
    })
    .strict(),
  describe: (p) =>
    `run the live checks${p.authServiceUrl ? ` against ${p.authServiceUrl}` : ''}; notes, lost-data window`,
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
  restorePreflightAction,
  restoreCopyAction,
  restoreStopAppAction,
  restoreApplyAction,
  restorePropertiesAction,
  restoreStartAppAction,
  restoreCheckAction,
  restoreReencryptAction,
  restoreVerifySecretsAction,
  restoreAfterAction,
];
