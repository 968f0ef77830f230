/**
 * drill.preflight: the drill's start (its time is where the RTO clock starts). Checks that the drill server is
 * not the backup source and that its role may create databases (or, with no DRILL_DATABASE_URL, that this host can
 * make a throwaway cluster), that DRILL_AUTH_SERVICE_START reads, and obtains the drill account (headless with a
 * secret missing: exit 3 before anything is created).
 */
import { z } from 'zod';
import { ResumeRefusedError, StepFailedError, UsageError } from '../../core/errors.js';
import { defineAction, type ActionContext, type ActionResult } from '../../engine/action.js';
import type { PgTarget } from '../../pg/target.js';
import type { DrillAccount } from '../credentials.js';
import type { DrillServerMode } from '../throwaway-cluster.js';
import { keepParam } from './database.js';

/** The drill's building blocks, loaded on demand (the start-up stays lazy). */
async function loadPreflightModules() {
  const [target, authService, credentials, pgClient, exec, cluster] = await Promise.all([
    import('../target.js'),
    import('../auth-service.js'),
    import('../credentials.js'),
    import('../../pg/client.js'),
    import('../../core/exec.js'),
    import('../throwaway-cluster.js'),
  ]);
  return { target, authService, credentials, pgClient, exec, cluster };
}

type PreflightModules = Awaited<ReturnType<typeof loadPreflightModules>>;

/** What every drill start knows before it looks at the drill server. */
interface DrillStart {
  startedAt: string;
  database: string;
  serverMode: DrillServerMode;
  command: string[];
}

/** The drill account, its e-mail checked for the shape of an address. */
async function checkedDrillAccount(ctx: ActionContext, m: PreflightModules): Promise<DrillAccount> {
  const account = await m.credentials.obtainDrillAccount(ctx);
  if (!account.email.includes('@'))
    throw new UsageError(
      `DRILL_EMAIL "${account.email}" is not an e-mail address`,
      "set DRILL_EMAIL to the drill account's e-mail",
    );
  return account;
}

function serviceCommandLine(m: PreflightModules, command: string[]): string {
  return `auth-service command: ${m.exec.describeCommand(command[0] as string, command.slice(1))}`;
}

/** The start of a drill on a throwaway cluster made on the spot (no DRILL_DATABASE_URL). */
async function clusterPreflight(
  ctx: ActionContext,
  m: PreflightModules,
  start: DrillStart,
  keep: boolean,
): Promise<ActionResult> {
  const { cluster } = m;
  const { startedAt, database, serverMode, command } = start;
  if (keep) {
    throw new UsageError(
      'keep: yes needs a drill server that outlives the drill, and a throwaway cluster goes with it',
      'set DRILL_DATABASE_URL to a drill server to keep the drill database, or answer keep: no',
    );
  }
  const major = await cluster.assertClusterPossible();
  ctx.output(
    `no DRILL_DATABASE_URL: the drill makes ${cluster.CLUSTER_LABEL} (PostgreSQL ${major}, this ` +
      `host's server programs), removed by the teardown`,
  );
  if (ctx.dryRun)
    return {
      message: `would make ${cluster.CLUSTER_LABEL} (PostgreSQL ${major}) and create ${database} in it`,
      data: { startedAt, database, serverMode },
    };
  const account = await checkedDrillAccount(ctx, m);
  ctx.output(serviceCommandLine(m, command));
  ctx.output(`drill account ${account.email} in tenant ${account.tenant}`);
  return {
    message: `drill starts: throwaway ${database} in ${cluster.CLUSTER_LABEL}; drill account ${account.email}`,
    data: {
      startedAt,
      database,
      serverMode,
      server: cluster.CLUSTER_LABEL,
      tenant: account.tenant,
      email: account.email,
      record: {
        drillStart: startedAt,
        drillAccount: { tenant: account.tenant, email: account.email, sources: account.sources },
        drillServer: { label: cluster.CLUSTER_LABEL, mode: serverMode, postgresMajor: major },
      },
    },
  };
}

/** The drill server's role must be able to create the throwaway database. */
async function assertMayCreateDatabases(ctx: ActionContext, m: PreflightModules, server: PgTarget): Promise<void> {
  const mayCreate = await m.pgClient.withClient(
    server,
    async (client) =>
      (
        await client.query<{ ok: boolean }>(
          'SELECT (rolcreatedb OR rolsuper) AS ok FROM pg_roles WHERE rolname = current_user',
        )
      ).rows[0]?.ok === true,
    ctx.signal,
  );
  if (!mayCreate) {
    throw new StepFailedError(
      `the role ${server.user} on ${server.label} may not create databases`,
      `grant it CREATEDB (ALTER ROLE ${server.user} CREATEDB), or use a drill server where it may`,
    );
  }
}

/** The start of a drill on the configured drill server (DRILL_DATABASE_URL). */
async function configuredPreflight(ctx: ActionContext, m: PreflightModules, start: DrillStart): Promise<ActionResult> {
  const { startedAt, database, serverMode, command } = start;
  const server = m.target.drillServerTarget(ctx.settings.require('DRILL_DATABASE_URL'));

  const separation = await m.target.checkSeparation(server, ctx.settings.get('DATABASE_URL'), ctx.signal);
  for (const note of separation.notes) ctx.output(note, 'warn');
  await assertMayCreateDatabases(ctx, m, server);
  if (ctx.dryRun) {
    return {
      message:
        `drill server ${server.label.replace(/\/[^/]*$/, '')} (compared ` +
        `by ${separation.comparedBy}); would create ${database}`,
      data: { startedAt, database, serverMode },
    };
  }
  const account = await checkedDrillAccount(ctx, m);
  ctx.output(
    `drill server ${server.label.replace(/\/[^/]*$/, '')}: not the backup source (compared ` +
      `by ${separation.comparedBy}); throwaway database ${database}`,
  );
  ctx.output(serviceCommandLine(m, command));
  ctx.output(`drill account ${account.email} in tenant ${account.tenant}`);
  return {
    message:
      `drill starts: throwaway ${database} on ${server.label.replace(/\/[^/]*$/, '')}; drill ` +
      `account ${account.email}`,
    data: {
      startedAt,
      database,
      serverMode,
      server: server.label.replace(/\/[^/]*$/, ''),
      tenant: account.tenant,
      email: account.email,
      separation: { comparedBy: separation.comparedBy, sameServer: separation.sameServer, notes: separation.notes },
      record: {
        drillStart: startedAt,
        drillAccount: { tenant: account.tenant, email: account.email, sources: account.sources },
        drillServer: {
          label: server.label.replace(/\/[^/]*$/, ''),
          mode: serverMode,
          comparedWithProductionBy: separation.comparedBy,
          sameServerAsProduction: separation.sameServer,
        },
      },
    },
  };
}

/** What the plan says of the drill server: the configured one must not be production, else a cluster is made. */
function serverCheck(server: string | undefined): string {
  if (server === 'configured') return 'DRILL_DATABASE_URL is not the backup source';
  return 'DRILL_DATABASE_URL is not the backup source (or that a throwaway cluster can be made)';
}

export const drillPreflightAction = defineAction({
  name: 'drill.preflight',
  description: 'start the drill: check the drill server is not production, the auth-service command, the drill account',
  readOnly: true,
  rerunOnResume: true,
  params: z.object({ server: z.enum(['auto', 'configured', 'cluster']).default('auto'), keep: keepParam }).strict(),
  describe: (p) =>
    `check that ${p.server === 'cluster' ? 'a throwaway cluster can be made' : serverCheck(p.server)}, ` +
    `DRILL_AUTH_SERVICE_START, the drill account`,
  async run(params, ctx) {
    if (ctx.resumed) {
      // The teardown of the stopped run dropped its database and stopped its service, and an RTO measured across
      // two runs means nothing: a drill is always run whole.
      throw new ResumeRefusedError(
        'a drill cannot be resumed: its throwaway database and auth-service went with the run that stopped',
        'start a new drill: obexal-runbook drill',
      );
    }
    const startedAt = new Date().toISOString();
    const m = await loadPreflightModules();
    const template = ctx.settings.require(
      'DRILL_AUTH_SERVICE_START',
      'set DRILL_AUTH_SERVICE_START to the command that starts an auth-service against DATABASE_URL ' +
        'on {port} (e.g. a container of the production image version)',
    );
    const command = m.authService.drillServiceCommand(template, 0);
    const database = m.target.drillDatabaseName(ctx.runId);
    const serverMode = m.cluster.drillServerMode(ctx.settings, params.server);
    const start: DrillStart = { startedAt, database, serverMode, command };
    if (serverMode === 'cluster') return clusterPreflight(ctx, m, start, params.keep);
    return configuredPreflight(ctx, m, start);
  },
});
