/**
 * drill.preflight: the drill's start (its time is where the RTO clock starts). Checks that the drill server is
 * not the backup source and that its role may create databases, that DRILL_AUTH_SERVICE_START reads, and
 * obtains the drill account (headless with a secret missing: exit 3 before anything is created).
 */
import { z } from 'zod';
import { ResumeRefusedError, StepFailedError, UsageError } from '../../core/errors.js';
import { defineAction } from '../../engine/action.js';

export const drillPreflightAction = defineAction({
  name: 'drill.preflight',
  description: 'start the drill: check the drill server is not production, the auth-service command, the drill account',
  readOnly: true,
  rerunOnResume: true,
  params: z.object({}).strict(),
  describe: () => `check that DRILL_DATABASE_URL is not the backup source, DRILL_AUTH_SERVICE_START, the drill account`,
  async run(_params, ctx) {
    if (ctx.resumed) {
      // The teardown of the stopped run dropped its database and stopped its service, and an RTO measured across
      // two runs means nothing: a drill is always run whole.
      throw new ResumeRefusedError('a drill cannot be resumed: its throwaway database and auth-service went with the run that stopped', 'start a new drill: obexal-runbook drill');
    }
    const startedAt = new Date().toISOString();
    const [{ drillServerTarget, checkSeparation, drillDatabaseName }, { drillServiceCommand }, { obtainDrillAccount }, { withClient }, { describeCommand }] = await Promise.all([
      import('../target.js'),
      import('../auth-service.js'),
      import('../credentials.js'),
      import('../../pg/client.js'),
      import('../../core/exec.js'),
    ]);
    const drillUrl = ctx.settings.require('DRILL_DATABASE_URL', 'set DRILL_DATABASE_URL to a server (e.g. postgres://drill@drill-db:5432/postgres) where the drill may create and drop its throwaway database');
    const template = ctx.settings.require('DRILL_AUTH_SERVICE_START', 'set DRILL_AUTH_SERVICE_START to the command that starts an auth-service against DATABASE_URL on {port} (e.g. a container of the production image version)');
    const command = drillServiceCommand(template, 0);
    const server = drillServerTarget(drillUrl);
    const database = drillDatabaseName(ctx.runId);

    const separation = await checkSeparation(server, ctx.settings.get('DATABASE_URL'), ctx.signal);
    for (const note of separation.notes) ctx.output(note, 'warn');
    const mayCreate = await withClient(
      server,
      async (client) => (await client.query<{ ok: boolean }>('SELECT (rolcreatedb OR rolsuper) AS ok FROM pg_roles WHERE rolname = current_user')).rows[0]?.ok === true,
      ctx.signal,
    );
    if (!mayCreate) {
      throw new StepFailedError(`the role ${server.user} on ${server.label} may not create databases`, `grant it CREATEDB (ALTER ROLE ${server.user} CREATEDB), or use a drill server where it may`);
    }
    if (ctx.dryRun) {
      return { message: `drill server ${server.label.replace(/\/[^/]*$/, '')} (compared by ${separation.comparedBy}); would create ${database}`, data: { startedAt, database } };
    }
    const account = await obtainDrillAccount(ctx);
    if (!account.email.includes('@')) throw new UsageError(`DRILL_EMAIL "${account.email}" is not an e-mail address`, 'set DRILL_EMAIL to the drill account\'s e-mail');
    ctx.output(`drill server ${server.label.replace(/\/[^/]*$/, '')}: not the backup source (compared by ${separation.comparedBy}); throwaway database ${database}`);
    ctx.output(`auth-service command: ${describeCommand(command[0] as string, command.slice(1))}`);
    ctx.output(`drill account ${account.email} in tenant ${account.tenant}`);
    return {
      message: `drill starts: throwaway ${database} on ${server.label.replace(/\/[^/]*$/, '')}; drill account ${account.email}`,
      data: {
        startedAt,
        database,
        server: server.label.replace(/\/[^/]*$/, ''),
        tenant: account.tenant,
        email: account.email,
        separation: { comparedBy: separation.comparedBy, sameServer: separation.sameServer, notes: separation.notes },
        record: {
          drillStart: startedAt,
          drillAccount: { tenant: account.tenant, email: account.email, sources: account.sources },
          drillServer: { label: server.label.replace(/\/[^/]*$/, ''), comparedWithProductionBy: separation.comparedBy, sameServerAsProduction: separation.sameServer },
        },
      },
    };
  },
});
