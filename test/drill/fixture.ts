/**
 * The drill tests' sandbox: the practice stack (cluster, seeded database, s3rver, vault), one real backup through
 * the CLI (replicated to the bucket), an answers file for the checklist, and the probes that prove nothing of a
 * drill remains: no `obexal_drill_*` database, no auth-service process of the drill, no private folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withClient } from '../../src/pg/client.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { startPracticeStack, type PracticeOptions, type PracticeStack } from '../../src/sandbox/practice/stack.js';
import { interruptAt, recordPathOf, runCli, runIdOf as runIdOfRun, type CliResult } from '../helpers/cli.js';

export const CHECKLIST_ANSWERS = {
  'era-keys-in-vault': 'done',
  'sealed-identity-checked': 'done',
  'drill-account-only': 'done',
};
export const RECORD_NAMESPACE = 'obexal-runbook-record@v1';

export interface DrillSandbox {
  stack: PracticeStack;
  env: Record<string, string>;
  answersFile: string;
  backup: CliResult;
  stop(): Promise<void>;
}

export function writeAnswers(dir: string, name: string, values: Record<string, string>): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    Object.entries(values)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join('\n'),
    { mode: 0o600 },
  );
  return file;
}

export async function startDrillSandbox(options: PracticeOptions = {}): Promise<DrillSandbox> {
  const stack = await startPracticeStack(options);
  try {
    const env = { ...stack.env };
    const backup = await runCli(['backup', '--yes'], env, { timeoutMs: 300_000 });
    if (backup.exitCode !== 0)
      throw new Error(
        `the sandbox backup failed (exit ${backup.exitCode}):\n${backup.stdout.slice(-3000)}\n${backup.stderr}`,
      );
    const answersFile = writeAnswers(stack.dir, 'drill-answers.yaml', CHECKLIST_ANSWERS);
    return { stack, env, answersFile, backup, stop: () => stack.stop() };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

export function drill(
  sandbox: DrillSandbox,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  options: { cancelSignal?: AbortSignal } = {},
): Promise<CliResult> {
  return runCli(
    ['drill', '--yes', '--answers', sandbox.answersFile, ...args],
    { ...sandbox.env, ...env },
    { timeoutMs: 300_000, ...options },
  );
}

export function runIdOf(stdout: string): string {
  return runIdOfRun('drill', stdout);
}

export { recordPathOf };

export type DrillRecord = Record<string, unknown> & {
  outcome: string;
  exitCode: number;
  message?: string;
  steps: { id: string; outcome: string; message?: string; durationMs?: number; data?: Record<string, unknown> }[];
  details: Record<string, unknown> & { drill?: DrillDetails };
};

export interface DrillDetails {
  rto: {
    ms: number | null;
    text: string | null;
    target: string;
    targetMs: number;
    met: boolean | null;
    startedAt: string;
    lastCheckPassedAt: string | null;
    expectedMs?: number | null;
  };
  checks: Record<string, { passed: boolean; reason: string; step: string }>;
  failedChecks: string[];
  dump: { name: string; sha256: string | null; origin: string; takenAt: string; ageAtRestoreMs: number | null } | null;
  keyEra: { dump: string; current: string; needsReencrypt: boolean; reencryptSecrets: string } | null;
}

export function readRecord(path: string): DrillRecord {
  return JSON.parse(readFileSync(path, 'utf8')) as DrillRecord;
}

export function stepOf(record: DrillRecord, id: string): DrillRecord['steps'][number] {
  const step = record.steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id} in the record`);
  return step;
}

/** `ssh-keygen -Y verify` with the allowed-signers line `records pubkey` prints. */
export async function verifyWithSshKeygen(
  sandbox: DrillSandbox,
  recordPath: string,
): Promise<{ status: number | null; output: string }> {
  const pubkey = await runCli(['records', 'pubkey'], sandbox.env);
  if (pubkey.exitCode !== 0) throw new Error(`records pubkey failed: ${pubkey.stderr}`);
  const allowed = join(sandbox.stack.dir, 'allowed_signers');
  writeFileSync(allowed, pubkey.stdout);
  const principal = pubkey.stdout.split(' ')[0] as string;
  const verdict = spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-f', allowed, '-I', principal, '-n', RECORD_NAMESPACE, '-s', `${recordPath}.sig`],
    { input: readFileSync(recordPath) },
  );
  return { status: verdict.status, output: `${verdict.stdout.toString()}${verdict.stderr.toString()}` };
}

/** Databases of drills on the sandbox's server. */
export async function drillDatabases(sandbox: DrillSandbox): Promise<string[]> {
  return withClient(parseConnectionString(sandbox.stack.cluster.url('postgres')), async (client) =>
    (
      await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'obexal\\_drill\\_%' ORDER BY 1`,
      )
    ).rows.map((r) => r.datname),
  );
}

/** Live processes whose environment names the drill database of `runId` (the drill's auth-service). */
export function drillProcesses(runId: string): number[] {
  const database = `obexal_drill_${runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).toString('latin1').includes(database)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Private folders of the run still on disk. */
export function privateFolders(runId: string): string[] {
  const prefix = `obexal-run-${runId.replace(/[^a-z0-9-]/gi, '')}-`;
  return [...new Set([tmpdir(), '/tmp'])].flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => name.startsWith(prefix))
          .map((name) => join(dir, name))
      : [],
  );
}

export async function leftovers(
  sandbox: DrillSandbox,
  runId: string,
): Promise<{ databases: string[]; processes: number[]; folders: string[] }> {
  return { databases: await drillDatabases(sandbox), processes: drillProcesses(runId), folders: privateFolders(runId) };
}

export const NOTHING_LEFT = { databases: [], processes: [], folders: [] };

/** Starts a headless drill, sends SIGINT once `line` is printed (after `delayMs`), and returns its end. */
export async function interruptDrill(
  sandbox: DrillSandbox,
  line: RegExp,
  delayMs: number,
  env: Record<string, string> = {},
): Promise<{ exitCode: number; stdout: string }> {
  const args = ['drill', '--yes', '--answers', sandbox.answersFile];
  const { exitCode, stdout, sent } = await interruptAt(args, { ...sandbox.env, ...env }, line, delayMs);
  assert.ok(sent, `the line ${line} never appeared:\n${stdout.slice(-3000)}`);
  return { exitCode, stdout };
}
