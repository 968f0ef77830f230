/**
 * Practice scenarios (DESIGN §5): once the sandbox runs, bring it to a state worth practising on by running the
 * REAL runbooks headless through the executable, exactly as an operator's cron or terminal would:
 *
 * - `rotated-keys`: a scheduled backup under era-1, then a new key put in the practice vault as era-2 and the
 *   key-rotation runbook (pre-rotation backup, reencrypt-secrets, restarts, live checks, era-1 closed). The
 *   environment handed out carries the NEW ENCRYPTION_KEY and no ENCRYPTION_KEY_OLD: restoring an era-1 dump
 *   needs key-era selection for real (ENCRYPTION_KEY_COMMAND fetches era-1's key from the vault).
 * - `bad-migration`: a pre-migration backup, then the deployment moves to a new image whose migration 6 is
 *   breaking; ROLLBACK_PREVIOUS_IMAGE names the image that ran before, so `rollback` restores the pre-deploy dump.
 * - `pitr`: an HTTPS repository bucket beside the stack, pitr-setup (WAL archiving on, a full backup), an
 *   incremental physical backup, then a "bad migration" deleting every webhook; the time just before it is printed
 *   so that `restore --to <time>` can be practised (see pitr-scenario.ts).
 *
 * Nothing here re-implements a runbook; a runbook that fails stops the scenario with its name and output tail.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { addSecret } from '../../core/redact.js';
import { generateEncryptionKey } from '../../keys/secret-value.js';
import { SCENARIO_MIGRATIONS } from '../schema/migrations.js';
import { readDeployment } from './app.js';
import { PRACTICE_ERA, type PracticeStack } from './stack.js';
import { pitrScenario } from './pitr-scenario.js';
import {
  runTool,
  writeAnswers,
  SCENARIOS,
  type Context,
  type PreparedScenario,
  type ScenarioName,
} from './scenario-tool.js';

export { SCENARIOS, type ScenarioName, type PreparedScenario } from './scenario-tool.js';

export const ROTATED_ERA = 'era-2';
/** The image the bad-migration scenario deploys (the one before it is read from the deployment). */
export const BAD_MIGRATION_IMAGE = 'obexal/auth-service:practice-next';

export interface ScenarioOptions {
  onProgress?: (message: string) => void;
  /** Aborting kills the runbook under way (SIGTERM: it cleans up); abort with 'SIGINT' or 'SIGTERM' as the reason. */
  signal?: AbortSignal;
}

export function parseScenario(text: string | undefined): ScenarioName | undefined {
  if (text === undefined) return undefined;
  if (Object.hasOwn(SCENARIOS, text)) return text as ScenarioName;
  throw new UsageError(`unknown practice scenario "${text}"`, `--scenario ${Object.keys(SCENARIOS).join(' | ')}`);
}

interface DumpSeen {
  name: string;
  reason: string;
  eras: string[];
  startedAt: string;
}

/** The local manifests, oldest first (what the summary points the operator at). */
async function localDumps(stack: PracticeStack): Promise<DumpSeen[]> {
  const dir = stack.env.BACKUP_DIR as string;
  const dumps: DumpSeen[] = [];
  for (const file of (await readdir(dir)).filter((n) => n.endsWith('.manifest.json'))) {
    const manifest = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
      dump: { name: string };
      reason: string;
      keyEras?: { label: string }[];
      startedAt: string;
    };
    dumps.push({
      name: manifest.dump.name,
      reason: manifest.reason,
      eras: (manifest.keyEras ?? []).map((e) => e.label),
      startedAt: manifest.startedAt,
    });
  }
  return dumps.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

async function rotatedKeys(ctx: Context): Promise<PreparedScenario> {
  ctx.say(`scenario rotated-keys: a scheduled backup under ${PRACTICE_ERA} (backup runbook)`);
  await runTool(ctx, 'the backup runbook', ['backup', '--yes', '--reason', 'scheduled']);

  ctx.say(`scenario rotated-keys: a new ENCRYPTION_KEY in the practice vault as ${ROTATED_ERA}`);
  const newKey = generateEncryptionKey();
  addSecret(newKey);
  await ctx.stack.vault.writeKey(ROTATED_ERA, newKey);
  const answers = await writeAnswers(ctx, 'scenario-key-rotation.yaml', {
    'key-source': 'vault',
    era: ROTATED_ERA,
    'env-new-key': 'done',
    'env-withdraw-old': 'done',
  });
  ctx.say(
    `scenario rotated-keys: key-rotation runbook ${PRACTICE_ERA} → ${ROTATED_ERA} (backups, ` +
      `reencrypt-secrets, restarts, live checks)`,
  );
  await runTool(ctx, 'the key-rotation runbook', ['key-rotation', '--yes', '--answers', answers]);

  const older = (await localDumps(ctx.stack)).filter((d) => d.eras.length === 1 && d.eras[0] === PRACTICE_ERA);
  const scheduled = older.find((d) => d.reason === 'scheduled') ?? older[0];
  const env = { ...ctx.stack.env, ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_OLD: '' };
  return {
    name: 'rotated-keys',
    env,
    summary: [
      `scenario    rotated-keys: ${PRACTICE_ERA} closed, ${ROTATED_ERA} in force (ENCRYPTION_KEY ` +
        `is ${ROTATED_ERA}'s; ${PRACTICE_ERA}'s key only in the vault)`,
      `            ${PRACTICE_ERA} dumps: ${older.map((d) => `${d.name} (${d.reason})`).join(', ') || 'none'}`,
      ...(scheduled
        ? [
            `            try: CONFIRM=yes obexal-runbook restore ${scheduled.name}   (key-era ` +
              `selection through ENCRYPTION_KEY_COMMAND)`,
          ]
        : []),
    ],
  };
}

async function badMigration(ctx: Context): Promise<PreparedScenario> {
  const appDir = join(ctx.stack.dir, 'app');
  const previousImage = (await readDeployment(appDir)).IMAGE;
  const version = String(SCENARIO_MIGRATIONS.badMigration);
  ctx.say('scenario bad-migration: a pre-deploy backup (backup runbook, reason pre-migration)');
  await runTool(ctx, 'the backup runbook', ['backup', '--yes', '--reason', 'pre-migration']);
  ctx.say(
    `scenario bad-migration: deploying ${BAD_MIGRATION_IMAGE} (was ${previousImage}) and its ` +
      `breaking migration ${version}`,
  );
  await runTool(ctx, 'practice app deploy', ['practice', 'app', 'deploy', appDir, BAD_MIGRATION_IMAGE]);
  await runTool(ctx, 'practice app migrate', ['practice', 'app', 'migrate', appDir, version]);
  const preDeploy = (await localDumps(ctx.stack)).filter((d) => d.reason === 'pre-migration').at(-1);
  return {
    name: 'bad-migration',
    env: { ...ctx.stack.env, ROLLBACK_PREVIOUS_IMAGE: previousImage },
    summary: [
      `scenario    bad-migration: ${BAD_MIGRATION_IMAGE} deployed with breaking ` +
        `migration ${version} (users.display_name renamed)`,
      `            pre-deploy dump ${preDeploy?.name ?? '?'}; ROLLBACK_PREVIOUS_IMAGE=${previousImage}`,
      '            try: CONFIRM=yes obexal-runbook rollback',
    ],
  };
}

/**
 * Without a scenario, the interactive sandbox starts with one verified backup already taken (the backup runbook,
 * headless), so that a drill or a restore can be practised at once, before or after a backup of one's own.
 */
export async function takeFirstBackup(stack: PracticeStack, options: ScenarioOptions = {}): Promise<string[]> {
  const ctx: Context = {
    stack,
    name: 'first-backup' as ScenarioName,
    say: options.onProgress ?? (() => undefined),
    signal: options.signal,
  };
  ctx.say('taking a first verified backup (backup runbook), so that a drill or a restore can be practised at once');
  await runTool(ctx, 'the first backup', ['backup', '--yes', '--reason', 'manual']);
  const dumps = await localDumps(stack);
  return [`backup      ${dumps.map((d) => d.name).join(', ') || 'none'} (verified, local and in the bucket)`];
}

/** Prepares `name` on a running stack. The stack is left as it is when this throws (see prepareScenarioOrStop). */
export async function prepareScenario(
  stack: PracticeStack,
  name: ScenarioName,
  options: ScenarioOptions = {},
): Promise<PreparedScenario> {
  const ctx: Context = { stack, name, say: options.onProgress ?? (() => undefined), signal: options.signal };
  const prepared =
    name === 'rotated-keys'
      ? await rotatedKeys(ctx)
      : name === 'pitr'
        ? await pitrScenario(ctx)
        : await badMigration(ctx);
  ctx.say(`scenario ${name} ready`);
  return prepared;
}

/** Prepares `name`; on any failure (or interruption) stops the whole sandbox before rethrowing: nothing is left. */
export async function prepareScenarioOrStop(
  stack: PracticeStack,
  name: ScenarioName,
  options: ScenarioOptions = {},
): Promise<PreparedScenario> {
  try {
    return await prepareScenario(stack, name, options);
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
