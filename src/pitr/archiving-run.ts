/** pitr.enable-archiving: run the planned ALTER SYSTEM statements, then reload or restart, then prove it took. */
import { splitCommand } from '../core/command-template.js';
import { baseChildEnv } from '../core/exec.js';
import { StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { withClient } from '../pg/client.js';
import { runDeploymentCommand } from '../restore/app-commands.js';
import { applyStatements, archiveCommandFor, planArchiving, restartRequiredError } from './archiving.js';
import { pitrContext } from './context.js';
import { inspectSource } from './source.js';

async function waitForServer(run: () => Promise<unknown>, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      await run();
      return;
    } catch {
      if (signal.aborted)
        throw new StepFailedError(
          'stopped while waiting for the server to come back',
          'check the server: it was restarting',
        );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new StepFailedError(
    'the server did not answer within a minute of its restart',
    'check the server and its log; run pitr-setup again once it answers',
  );
}

export async function enableArchiving(token: string, ctx: ActionContext): Promise<ActionResult> {
  const pitr = await pitrContext(ctx, { source: true, requirePassphrase: true });
  const source = pitr.source!;
  if (source.label !== token)
    throw new StepFailedError(
      `the cluster ${source.label} is not the one confirmed (${token})`,
      'run pitr-setup again',
    );
  const plan = planArchiving(
    source,
    archiveCommandFor(pitr.runner.program, pitr.settings.configFile, pitr.settings.stanza),
  );
  if (plan.statements.length === 0) return { message: 'WAL archiving through pgBackRest was already on' };
  await withClient(pitr.target, (client) => applyStatements(client, plan), ctx.signal);
  for (const statement of plan.statements) ctx.output(`ran: ${statement}`);
  if (!plan.restartNeeded) return { message: 'archive_command set and the configuration reloaded (no restart needed)' };
  const restart = pitr.settings.restartCommand;
  if (!restart) throw restartRequiredError(source.label);
  ctx.output('restarting the server (PITR_RESTART_COMMAND)', 'warn');
  await runDeploymentCommand(ctx, {
    setting: 'PITR_RESTART_COMMAND',
    argv: splitCommand(restart, 'PITR_RESTART_COMMAND'),
    env: baseChildEnv(ctx.settings.env),
  });
  await waitForServer(() => withClient(pitr.target, (c) => c.query('SELECT 1')), ctx.signal);
  const after = await withClient(pitr.target, (client) => inspectSource(client, pitr.target), ctx.signal);
  if (after.archiveMode === 'off' || after.walLevel === 'minimal') {
    throw new StepFailedError(
      `after the restart ${source.label} still has archive_mode ${after.archiveMode}, wal_level ${after.walLevel}`,
      'check PITR_RESTART_COMMAND restarts this cluster',
    );
  }
  return {
    message: `WAL archiving on (archive_mode ${after.archiveMode}, wal_level ${after.walLevel}) after a restart`,
  };
}
