/** Command line and environment of `npm run bench`. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/core/package-root.js';
import { CASES, type BenchOptions } from './context.js';

export const USAGE = `usage: npm run bench -- [--size-mb N] [--repetitions N] [--only ${CASES.join(',')}] [--no-build] [--results-dir DIR]

  --size-mb N         database size to seed (default 1024; BENCH_SIZE_MB); --size-mb 100 for a quick run
  --repetitions N     runs of each measurement, the median is reported (default 3; BENCH_REPETITIONS)
  --only LIST         run only these cases (comma-separated)
  --no-build          do not run \`npm run build\` first: dist/ is used when it is current with src/, else the
                      sources run through tsx (whose loader adds about 45 MB to the tool's memory)
  --results-dir D     where the JSON goes (default bench/results)
  --encryption-mib N  plaintext through the age streams for the encryption throughput (default 256)
  --tool-node-options "FLAGS"
                      NODE_OPTIONS for every run of the tool, e.g. "--max-semi-space-size=2" (recorded in the JSON)

The databases are seeded afresh on every run (about a minute for 1 GB on 2 cores), so there is nothing to keep.
The default run (1 GB, 3 repetitions) takes about 10-13 minutes on a quiet 2-core machine; see docs/benchmarks.md.`;

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, not ${JSON.stringify(text)}\n${USAGE}`);
  return value;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      'size-mb': { type: 'string' },
      repetitions: { type: 'string', short: 'n' },
      only: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'results-dir': { type: 'string' },
      'encryption-mib': { type: 'string' },
      'tool-node-options': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const options: BenchOptions = {
    sizeMb: positiveNumber('--size-mb', values['size-mb'] ?? env.BENCH_SIZE_MB, 1024),
    repetitions: Math.round(positiveNumber('--repetitions', values.repetitions ?? env.BENCH_REPETITIONS, 3)),
    build: !values['no-build'],
    resultsDir: values['results-dir'] ?? join(PACKAGE_ROOT, 'bench', 'results'),
    encryptionMiB: Math.round(positiveNumber('--encryption-mib', values['encryption-mib'], 256)),
  };
  if (values['tool-node-options']) options.toolNodeOptions = values['tool-node-options'];
  if (values.only) {
    const only = new Set(
      values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    const unknown = [...only].filter((c) => !(CASES as readonly string[]).includes(c));
    if (unknown.length > 0) throw new Error(`unknown case(s) ${unknown.join(', ')}: choose among ${CASES.join(', ')}`);
    options.only = only;
  }
  return options;
}
