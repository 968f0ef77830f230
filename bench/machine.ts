/** What the figures were taken on: CPU, memory, system, and the versions of everything in the pipeline. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { withClient } from '../src/pg/client.js';
import { parseConnectionString } from '../src/pg/target.js';

const execFileAsync = promisify(execFile);

async function firstLine(file: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, { timeout: 10_000 });
    return stdout.split('\n')[0]?.trim() ?? '';
  } catch {
    return 'not found';
  }
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? process.platform;
  } catch {
    return process.platform;
  }
}

/** cgroup v2 CPU quota, when the container has one (e.g. "200000 100000" = 2 CPUs). */
function cpuQuota(): string | undefined {
  try {
    const text = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim();
    const [quota, period] = text.split(' ');
    if (quota === 'max' || !quota || !period) return undefined;
    return (Number(quota) / Number(period)).toFixed(2);
  } catch {
    return undefined;
  }
}

/** 1, 5 and 15-minute load averages: other work on the machine inflates every figure (runs vary ~15% unloaded). */
export function loadAverages(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}

export async function describeMachine(
  databaseUrl: string,
  pgDump: string,
  pgRestore: string,
): Promise<Record<string, unknown>> {
  const server = await withClient(parseConnectionString(databaseUrl), async (client) => {
    const { rows } = await client.query<{ v: string }>('SELECT version() AS v');
    return rows[0]?.v ?? '';
  });
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    cpuQuota: cpuQuota() ?? 'none',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: release(),
    node: process.version,
    postgresqlServer: server.split(',')[0] ?? server,
    pgDump: await firstLine(pgDump, ['--version']),
    pgRestore: await firstLine(pgRestore, ['--version']),
    age: await firstLine('age', ['--version']),
    loadAverageAtStart: loadAverages(),
  };
}
