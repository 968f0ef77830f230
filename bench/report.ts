/** The printed table and the JSON file under bench/results/. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FOREIGN_PROGRAMS } from './proc-tree.js';
import { isSamples } from './targets.js';
import type { BenchResult, Measured } from './types.js';

function seconds(m: Measured): string {
  if (!isSamples(m)) return 'not measured';
  const size = m.bytes === undefined ? '' : `, ${(m.bytes / 1e6).toFixed(1)} MB`;
  return `${m.seconds.toFixed(2)} s${size}`;
}

const mega = (bytes: number) => (bytes / 1e6).toFixed(0);

/** "152 MB (node 139, pg_dump 13)": the tool's processes at their peak, then each one's own peak. */
function rss(m: Measured, root = 'node'): string {
  if (!isSamples(m)) return '-';
  const own = Object.entries(m.byProgram)
    .filter(([name, bytes]) => bytes > 0 && !FOREIGN_PROGRAMS.has(name))
    .sort((a, b) => b[1] - a[1])
    .map(([name, bytes]) => `${name} ${mega(bytes)}`);
  return `${mega(m.toolTreePeakBytes)} MB (${[`${root} ${mega(m.rootPeakBytes)}`, ...own].join(', ')})`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function renderTable(result: BenchResult): string {
  const rows: string[][] = [['operation', 'baseline', 'obexal-runbook', 'ratio', 'peak RSS of the tool']];
  for (const o of result.operations) {
    rows.push([
      o.label,
      `${o.baselineLabel}: ${seconds(o.baseline)}`,
      seconds(o.tool),
      o.ratio === undefined ? '-' : o.ratio.toFixed(2),
      rss(o.tool, o.id.startsWith('pgbackrest') ? 'root' : 'node'),
    ]);
  }
  if (!('notMeasured' in result.startup)) {
    for (const s of result.startup) {
      const cpu = s.cpuSeconds === undefined ? '' : `, CPU ${s.cpuSeconds.toFixed(2)} s`;
      rows.push([
        `start-up: ${s.command.replace('obexal-runbook ', '')}`,
        '-',
        `${s.seconds.toFixed(2)} s${cpu}`,
        '-',
        '',
      ]);
    }
  }
  if (!('notMeasured' in result.drill))
    rows.push([
      `drill RTO (${result.options.sizeMb} MB)`,
      '-',
      `${result.drill.rtoSeconds.toFixed(1)} s`,
      '-',
      result.drill.peak ? rss(result.drill.peak) : '',
    ]);
  if (!('notMeasured' in result.reencrypt)) {
    const r = result.reencrypt;
    rows.push([
      'reencrypt-secrets',
      '-',
      `${r.secrets} values, ${r.seconds.toFixed(2)} s (${r.secretsPerSecond}/s)`,
      '-',
      '',
    ]);
  }
  if (!('notMeasured' in result.encryption)) {
    const e = result.encryption as Record<string, number>;
    rows.push([
      `age ${e.mebibytes} MiB in memory`,
      '-',
      `encrypt ${e.encryptMBps} MB/s, decrypt ${e.decryptMBps} MB/s`,
      '-',
      '',
    ]);
  }
  const t = result.tool;
  const heading = `obexal-runbook ${t.version} run from ${t.ranFrom === 'dist' ? 'dist/' : 'its sources through tsx'}${t.nodeOptions ? ` with NODE_OPTIONS=${t.nodeOptions}` : ''}; ${result.options.sizeMb} MB; median of ${result.options.repetitions} run(s)`;
  const parts = [heading, table(rows)];
  const peer = result.pgbackrest;
  parts.push(
    'notMeasured' in peer
      ? `pgBackRest peer: ${peer.notMeasured}`
      : `pgBackRest peer: ${peer.version}, process-max=${peer.processMax}, posix repository, the whole cluster (${(peer.clusterBytes / 1e6).toFixed(0)} MB, every database) against pg_dump/pg_restore of the one database`,
  );
  if (Array.isArray(result.compression)) {
    const c = [['pg_dump -Z', 'time', 'size', 'vs -Z6 time', 'vs -Z6 size']];
    const six = result.compression.find((x) => x.level === 6);
    for (const x of result.compression) {
      c.push([
        String(x.level),
        `${x.seconds.toFixed(2)} s`,
        `${(x.bytes / 1e6).toFixed(1)} MB`,
        six ? (x.seconds / six.seconds).toFixed(2) : '-',
        six ? (x.bytes / six.bytes).toFixed(3) : '-',
      ]);
    }
    parts.push(table(c));
  }
  if (Array.isArray(result.formats)) {
    const first = result.formats[0];
    const f = [['dump format (one age file)', 'time', 'size', 'vs first time', 'vs first size']];
    for (const x of result.formats) {
      f.push([
        x.label,
        `${x.seconds.toFixed(2)} s`,
        `${(x.bytes / 1e6).toFixed(1)} MB`,
        first ? (x.seconds / first.seconds).toFixed(2) : '-',
        first ? (x.bytes / first.bytes).toFixed(3) : '-',
      ]);
    }
    parts.push(table(f));
  }
  if (!('notMeasured' in result.drill)) {
    parts.push(
      table([['drill step', 'seconds'], ...Object.entries(result.drill.steps).map(([k, v]) => [k, v.toFixed(2)])]),
    );
  }
  const m = [
    [
      'peak RSS of the tool',
      `at ${result.options.sizeMb} MB`,
      `at a tenth`,
      'growth',
      'node process alone (size / tenth)',
    ],
  ];
  for (const row of result.memory) {
    const at = (b?: number) => (b === undefined ? '-' : `${(b / 1e6).toFixed(1)} MB`);
    m.push([
      row.operation,
      at(row.atSizeBytes),
      at(row.atTenthBytes),
      row.growth === undefined ? (row.notMeasured ?? '-') : `${(row.growth * 100).toFixed(1)}%`,
      `${at(row.nodeAtSizeBytes)} / ${at(row.nodeAtTenthBytes)}`,
    ]);
  }
  const idle = result.tool.idleRssBytes;
  if (idle !== undefined) {
    const dist = result.tool.idleRssDistBytes;
    m.push([
      '(obexal-runbook --version)',
      `${(idle / 1e6).toFixed(1)} MB from ${result.tool.ranFrom}${dist === undefined ? '' : `, ${(dist / 1e6).toFixed(1)} MB from dist/`}`,
      '',
      '',
      '',
    ]);
  }
  parts.push(table(m));
  parts.push(
    table([
      ['target', 'figure', 'met'],
      ...result.targets.map((t) => [
        `${t.name}: ${t.target}`,
        t.figure + (t.note ? ` (${t.note})` : ''),
        t.met === null ? 'n/a' : t.met ? 'MET' : 'MISSED',
      ]),
    ]),
  );
  return parts.join('\n\n');
}

export async function writeResult(result: BenchResult, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  // 2026-11-24T201503Z-1024mb.json: one file per run, in time order.
  const stamp = result.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = join(dir, `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6)}-${result.options.sizeMb}mb.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
