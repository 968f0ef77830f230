/** What every benchmark case gets: the databases, the tool, the PostgreSQL client programs, the options. */
import type { BenchDatabases } from './databases.js';
import type { ToolCommand } from './tool.js';

export interface BenchOptions {
  sizeMb: number;
  repetitions: number;
  build: boolean;
  /** Cases to run (all by default). */
  only?: Set<string>;
  resultsDir: string;
  encryptionMiB: number;
  /** NODE_OPTIONS for the tool's runs (e.g. `--max-semi-space-size=2`, to see what a V8 flag does to memory). */
  toolNodeOptions?: string;
}

/** One database the tool's operations run against: its URL and where its backups go. */
export interface SizeTarget {
  label: 'size' | 'tenth' | 'small';
  database: string;
  url: string;
  backupDir: string;
  s3Prefix: string;
}

export interface BenchContext {
  options: BenchOptions;
  dbs: BenchDatabases;
  tool: ToolCommand;
  pgDump: string;
  pgRestore: string;
  say: (line: string) => void;
  /** Problems that did not stop the run (a case that failed); they go into the results. */
  errors: string[];
}

export const CASES = [
  'backup',
  'compression',
  'formats',
  'restore',
  'drill',
  'encryption',
  'reencrypt',
  'tenth',
  'small',
  'startup',
  'pgbackrest',
] as const;

export function wants(ctx: BenchContext, name: (typeof CASES)[number]): boolean {
  return !ctx.options.only || ctx.options.only.has(name);
}
