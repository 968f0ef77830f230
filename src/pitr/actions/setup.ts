/**
 * The pgBackRest set-up and backup steps (runbooks/pitr-setup.yaml, runbooks/physical-backup.yaml). Heavy modules
 * load inside `run`.
 */
import { z } from 'zod';
import { defineAction } from '../../engine/action.js';

export const pitrPreflightAction = defineAction({
  name: 'pitr.preflight',
  description:
    'find pgBackRest, read the PITR settings, and check that the source cluster is on this host (not managed)',
  readOnly: true,
  rerunOnResume: true,
  params: z.object({ passphrase: z.boolean().default(true) }).strict(),
  describe: () =>
    'check pgBackRest, the PITR settings and that the cluster of DATABASE_URL can be protected from this host',
  async run(params, ctx) {
    const [{ pitrContext }, { archiveCommandFor, describePlan, planArchiving }] = await Promise.all([
      import('../context.js'),
      import('../archiving.js'),
    ]);
    const pitr = await pitrContext(ctx, { source: true, requirePassphrase: params.passphrase });
    const source = pitr.source!;
    const plan = planArchiving(
      source,
      archiveCommandFor(pitr.runner.program, pitr.settings.configFile, pitr.settings.stanza),
    );
    ctx.output(
      `cluster ${source.label}: data ${source.dataDir} (owner ${source.osUser.name}), ` +
        `wal_level ${source.walLevel}, archive_mode ${source.archiveMode}`,
    );
    ctx.output(
      `repository: s3://${pitr.settings.repository.bucket}${pitr.settings.repository.path} ` +
        `at ${pitr.settings.repository.host}:${pitr.settings.repository.port}, ` +
        `stanza ${pitr.settings.stanza}`,
    );
    const { osUser, ...shown } = source;
    return {
      message: `${source.label} can be protected by pgBackRest (${pitr.runner.program})`,
      data: {
        source: { ...shown, osUser: osUser.name },
        systemIdentifier: source.systemIdentifier,
        database: source.database,
        token: source.label,
        archiving: describePlan(plan, pitr.settings.restartCommand),
        restartNeeded: plan.restartNeeded,
      },
    };
  },
});

export const pitrConfigureAction = defineAction({
  name: 'pitr.configure',
  description: 'write the pgBackRest stanza configuration (PITR_CONFIG_FILE, 0600, owned by the cluster user)',
  params: z.object({}).strict(),
  describe: (_p, ctx) =>
    `write the pgBackRest ` +
    `configuration ${ctx.settings?.get('PITR_CONFIG_FILE') ?? '/etc/pgbackrest/obexal-runbook.conf'}`,
  async run(_params, ctx) {
    const [{ pitrContext }, { configLines, renderConfig, writeConfig }] = await Promise.all([
      import('../context.js'),
      import('../config-file.js'),
    ]);
    const pitr = await pitrContext(ctx, { source: true, requirePassphrase: true });
    const source = pitr.source!;
    const lines = configLines(pitr.settings, source, pitr.runner.secrets, pitr.target.user);
    await writeConfig(
      pitr.settings.configFile,
      renderConfig(lines, pitr.settings.stanza, { showSecrets: true }),
      source.osUser,
    );
    for (const line of renderConfig(lines, pitr.settings.stanza, { showSecrets: false }).split('\n'))
      if (line) ctx.output(line);
    return {
      message: `wrote ${pitr.settings.configFile} (0600, owner ${source.osUser.name})`,
      data: { configFile: pitr.settings.configFile },
    };
  },
});

export const pitrArchivingAction = defineAction({
  name: 'pitr.enable-archiving',
  description: 'ALTER SYSTEM for archive_mode/archive_command (and wal_level), then reload or restart the server',
  destructive: true,
  params: z.object({ token: z.string().min(1) }).strict(),
  describe: () =>
    'set archive_mode/archive_command with ALTER SYSTEM (shown at the confirmation), then reload or restart the server',
  async run(params, ctx) {
    const { enableArchiving } = await import('../archiving-run.js');
    return enableArchiving(params.token, ctx);
  },
});

export const pitrStanzaAction = defineAction({
  name: 'pitr.stanza',
  description: 'pgbackrest stanza-create (idempotent) and check (a WAL segment archived and found in the repository)',
  params: z.object({}).strict(),
  describe: () => 'pgbackrest stanza-create, then pgbackrest check',
  async run(_params, ctx) {
    const [{ pitrContext }, { runPgBackRest }] = await Promise.all([
      import('../context.js'),
      import('../pgbackrest.js'),
    ]);
    const pitr = await pitrContext(ctx, { source: true, requirePassphrase: true });
    await runPgBackRest(pitr.runner, 'stanza-create');
    await runPgBackRest(pitr.runner, 'check');
    return { message: `stanza ${pitr.settings.stanza} created and checked: WAL reaches the repository` };
  },
});

export const pitrBackupAction = defineAction({
  name: 'pitr.backup',
  description:
    'a pgBackRest backup (full, diff or incr; auto: full when the newest full is older than PITR_FULL_EVERY)',
  params: z
    .object({
      type: z.enum(['auto', 'full', 'diff', 'incr']).default('auto'),
      reason: z
        .enum(['scheduled', 'pre-migration', 'pre-rotation', 'pre-restore', 'manual', 'setup'])
        .default('scheduled'),
      pin: z.string().default(''),
    })
    .strict(),
  describe: (p) => {
    const autoType = '<full when the newest full is older than PITR_FULL_EVERY, else incr>';
    return (
      `pgbackrest backup --type=${p.type === 'auto' || !p.type ? autoType : p.type}` +
      (p.pin ? `, pinned for ${p.pin}` : '')
    );
  },
  async run(params, ctx) {
    const { runPhysicalBackup } = await import('../backup-run.js');
    return runPhysicalBackup(params, ctx);
  },
});
