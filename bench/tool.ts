/**
 * How the benchmark runs obexal-runbook: the compiled tool (`node dist/cli/main.js`, what a user runs after
 * `npm install`), headless with `--yes --json`, each run in an environment made only of the practice stack's
 * variables and what a program needs to run (PATH, HOME, locale).
 *
 * dist/ is used only when it is current with src/ (dist/.stamp no older than the newest file under src/, the rule
 * bin/launch.mjs applies). Otherwise the sources run through bin/obexal-runbook and tsx, and the results say so:
 * tsx's loader runs in a second thread of the tool's process (its own V8 heap) and starts an esbuild child, so the
 * tool's memory then includes tens of MB that an installed tool does not have. The benchmark measures that
 * overhead (`--version` both ways) so that the figures can be read either way. The choice is made once, at the
 * start: `node dist/cli/main.js` is run directly (not through bin/launch.mjs), so that a source file saved
 * during the run does not switch later runs to tsx.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/core/package-root.js';
import { TOOL_VERSION } from '../src/core/version.js';
import { runMeasured, type MeasuredRun } from './measure.js';

export interface ToolCommand {
  file: string;
  prefixArgs: string[];
  extraEnv: Record<string, string>;
  ranFrom: 'dist' | 'source';
  version: string;
  note?: string;
  /** Peak RSS of `obexal-runbook --version` (the tool's floor) as run, and through dist/ when it exists. */
  idleRssBytes?: number;
  idleRssDistBytes?: number;
  /** NODE_OPTIONS given to every run of the tool (--tool-node-options). */
  nodeOptions?: string;
}

function runNpmBuild(): Promise<{ ok: boolean; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.once('error', () => resolve({ ok: false, tail: output }));
    child.once('close', (code) => resolve({ ok: code === 0, tail: output }));
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The same rule as bin/launch.mjs: dist/ runs only when its stamp is no older than every source file. */
export function distIsCurrent(): boolean {
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'cli', 'main.js'))) return false;
  const stamp = statSync(join(PACKAGE_ROOT, 'dist', '.stamp'), { throwIfNoEntry: false });
  return stamp !== undefined && stamp.mtimeMs >= newestMtime(join(PACKAGE_ROOT, 'src'));
}

/** The Node flags of the executable's shebang (`#!/usr/bin/env -S node <flags> --`): the tool runs as users run it. */
export function shebangNodeFlags(): string[] {
  const first = readFileSync(join(PACKAGE_ROOT, 'bin', 'obexal-runbook'), 'utf8').split('\n')[0] ?? '';
  return first
    .replace(/^#!\S*env -S node/, '')
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '' && word !== '--');
}

/** Where bin/launch.mjs keeps V8's compile cache of the built tool: the runs below use it as users' runs do. */
function compileCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'obexal-runbook', 'compile-cache');
}

function fromDist(): Pick<ToolCommand, 'file' | 'prefixArgs' | 'extraEnv'> {
  return {
    file: process.execPath,
    prefixArgs: [...shebangNodeFlags(), '--', join(PACKAGE_ROOT, 'dist', 'cli', 'main.js')],
    extraEnv: { NODE_COMPILE_CACHE: compileCacheDir() },
  };
}

function fromSource(): Pick<ToolCommand, 'file' | 'prefixArgs' | 'extraEnv'> {
  return {
    file: process.execPath,
    prefixArgs: [...shebangNodeFlags(), '--', join(PACKAGE_ROOT, 'bin', 'obexal-runbook')],
    extraEnv: { OBEXAL_RUNBOOK_FROM_SOURCE: '1' },
  };
}

async function idleRss(launch: Pick<ToolCommand, 'file' | 'prefixArgs' | 'extraEnv'>): Promise<number | undefined> {
  const run = await runMeasured({
    file: launch.file,
    args: [...launch.prefixArgs, '--version'],
    env: { ...baseEnv(), ...launch.extraEnv },
    cwd: PACKAGE_ROOT,
    sampleMs: 10,
  });
  return run.exitCode === 0 ? run.memory.rootPeakBytes : undefined;
}

export async function prepareTool(
  build: boolean,
  say: (line: string) => void,
  nodeOptions?: string,
): Promise<ToolCommand> {
  let note: string | undefined;
  if (build) {
    say('building the tool (npm run build)…');
    const result = await runNpmBuild();
    if (!result.ok) {
      note = `npm run build failed: ${result.tail.trim().split('\n').slice(-3).join(' / ')}`;
      say(`  ${note}`);
    }
  }
  const distExists = existsSync(join(PACKAGE_ROOT, 'dist', 'cli', 'main.js'));
  let tool: ToolCommand;
  if (distIsCurrent()) {
    tool = { ...fromDist(), ranFrom: 'dist', version: TOOL_VERSION };
    if (note) tool.note = note;
  } else {
    const why = distExists ? 'dist/ is older than src/' : 'there is no dist/';
    tool = {
      ...fromSource(),
      ranFrom: 'source',
      version: TOOL_VERSION,
      note: `${note ? `${note}; ` : ''}${why}: ran the sources through tsx, whose loader thread and esbuild child add to the tool's memory (see idle RSS)`,
    };
  }
  if (nodeOptions) {
    tool.extraEnv = { ...tool.extraEnv, NODE_OPTIONS: nodeOptions };
    tool.nodeOptions = nodeOptions;
  }
  tool.idleRssBytes = await idleRss(tool);
  if (tool.ranFrom === 'source' && distExists)
    tool.idleRssDistBytes = await idleRss({
      ...fromDist(),
      extraEnv: nodeOptions ? { NODE_OPTIONS: nodeOptions } : {},
    });
  say(
    `tool: ${tool.ranFrom === 'dist' ? 'dist/ (current)' : 'sources through tsx'}${nodeOptions ? `, NODE_OPTIONS=${nodeOptions}` : ''}${tool.note ? ` (${tool.note})` : ''}`,
  );
  return tool;
}

/** The base environment of every measured child: nothing from ours but what finds programs and reads text. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  if (process.env.PATH) env.PATH = process.env.PATH;
  if (process.env.HOME) env.HOME = process.env.HOME;
  return env;
}

export function runTool(
  tool: ToolCommand,
  args: string[],
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<MeasuredRun> {
  return runMeasured({
    file: tool.file,
    args: [...tool.prefixArgs, ...args],
    env: { ...baseEnv(), ...tool.extraEnv, ...env },
    cwd: PACKAGE_ROOT,
    timeoutMs,
  });
}

/** The NDJSON events of a `--json` run. */
export function parseEvents(stdout: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not an event line
    }
  }
  return events;
}

/** Seconds per step from `step-finished` events (steps that ran, skipped ones left out). */
export function stepSeconds(events: Record<string, unknown>[]): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const event of events) {
    if (event.type !== 'step-finished' || event.outcome === 'skipped') continue;
    steps[String(event.stepId)] = Number(event.durationMs) / 1000;
  }
  return steps;
}
