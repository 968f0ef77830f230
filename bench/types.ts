/** The shape of a benchmark result (printed as a table, written as JSON under bench/results/). */
import type { MemoryPeaks } from './measure.js';

export interface Samples {
  /** Median of `samples` (seconds). */
  seconds: number;
  samples: number[];
  /** Median of the memory peaks over the repetitions (bytes). */
  rootPeakBytes: number;
  /** Median peak of the tool's processes at one instant: its node process + pg_dump/pg_restore/psql (bytes). */
  toolTreePeakBytes: number;
  childrenPeakBytes: number;
  byProgram: Record<string, number>;
  /** Output size in bytes where the operation writes a file (the dump). */
  bytes?: number;
  /** Per-step median durations (seconds) from the tool's own events or record. */
  steps?: Record<string, number>;
}

export type Measured = Samples | { notMeasured: string };

export interface OperationResult {
  id: string;
  label: string;
  baselineLabel: string;
  toolLabel: string;
  baseline: Measured;
  tool: Measured;
  /** tool seconds / baseline seconds (median over median). */
  ratio?: number;
}

/** The fixed cost of one command: medians of wall and CPU (user + system) seconds. */
export interface StartupResult {
  command: string;
  seconds: number;
  samples: number[];
  cpuSeconds?: number;
  cpuSamples?: number[];
}

/** One dump format (issue 14's choice of format): median time and size of the one encrypted file. */
export interface FormatResult {
  id: string;
  label: string;
  seconds: number;
  samples: number[];
  bytes: number;
}

export interface CompressionResult {
  level: number;
  seconds: number;
  samples: number[];
  bytes: number;
}

export interface MemoryRow {
  operation: string;
  /** Peak RSS of the tool's processes (node + the PostgreSQL client programs it runs) at the size and a tenth. */
  atSizeBytes?: number;
  atTenthBytes?: number;
  /** (at size − at tenth) / at tenth. */
  growth?: number;
  /** The node process alone. */
  nodeAtSizeBytes?: number;
  nodeAtTenthBytes?: number;
  notMeasured?: string;
}

export interface TargetResult {
  name: string;
  target: string;
  figure: string;
  met: boolean | null;
  note?: string;
}

export interface DatabaseInfo {
  name: string;
  targetMb: number;
  bytes: number;
  rowCounts: Record<string, number>;
  seedSeconds: number;
}

export interface BenchResult {
  schema: 'obexal-runbook-bench/v1';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  options: { sizeMb: number; repetitions: number };
  machine: Record<string, unknown>;
  tool: {
    version: string;
    ranFrom: string;
    note?: string;
    idleRssBytes?: number;
    idleRssDistBytes?: number;
    nodeOptions?: string;
  };
  databases: DatabaseInfo[];
  operations: OperationResult[];
  startup: StartupResult[] | { notMeasured: string };
  compression: CompressionResult[] | { notMeasured: string };
  formats: FormatResult[] | { notMeasured: string };
  encryption: Record<string, number> | { notMeasured: string };
  reencrypt:
    | { secrets: number; seconds: number; samples: number[]; secretsPerSecond: number; toolSeconds?: number }
    | { notMeasured: string };
  drill:
    { rtoSeconds: number; steps: Record<string, number>; samples: number[]; peak?: Samples } | { notMeasured: string };
  /** The pgBackRest peer: what ran (its lines are in `operations`), or why it did not. */
  pgbackrest: { version: string; processMax: number; clusterBytes: number } | { notMeasured: string };
  memory: MemoryRow[];
  targets: TargetResult[];
  errors: string[];
}

export type { MemoryPeaks };
