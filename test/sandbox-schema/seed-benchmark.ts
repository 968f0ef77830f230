/**
 * Measures how long seeding a large sandbox database takes. Run by hand (not part of `npm test`):
 *
 *   node --import tsx test/sandbox-schema/seed-benchmark.ts [targetMb=1024] [--fsync] [--dump]
 *
 * --fsync turns the throwaway cluster's fsync and synchronous_commit back on (the sandbox runs with them off);
 * --dump also times a `pg_dump --format=custom` of the result and counts its bytes (how compressible it is).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { startCluster } from '../../src/pg/cluster.js';
import { createDatabase } from '../../src/pg/databases.js';
import { migrate } from '../../src/sandbox/schema/migrate.js';
import { seed } from '../../src/sandbox/seed/seed.js';
import { generateTotpSecret } from '../../src/sandbox/seed/totp-secret.js';

const targetMb = Number(process.argv.find((a) => /^\d+(\.\d+)?$/.test(a)) ?? 1024);
const fsync = process.argv.includes('--fsync');
const dump = process.argv.includes('--dump');

function dumpSize(url: string): Promise<{ bytes: number; ms: number }> {
  const started = Date.now();
  const child = spawn('pg_dump', ['--format=custom', '--dbname', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve({ bytes, ms: Date.now() - started }) : reject(new Error(`pg_dump exited ${code}`)),
    ),
  );
}

const cluster = await startCluster(
  fsync ? { settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' } } : {},
);
try {
  const url = await createDatabase(cluster, 'bench_seed');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await migrate(client);
  let lastPhase = '';
  const summary = await seed(client, {
    encryptionKey: parseEncryptionKey(generateEncryptionKey()),
    drill: { password: `bench-${Date.now()}`, totpSecret: generateTotpSecret() },
    size: { targetMb },
    onProgress: (phase, done, total) => {
      if (phase !== lastPhase) process.stderr.write(`\n${phase} `);
      lastPhase = phase;
      process.stderr.write(`${Math.round((100 * done) / Math.max(1, total))}% `);
    },
  });
  const size = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
  await client.end();
  const bytes = Number(size.rows[0]?.bytes);
  const result: Record<string, unknown> = {
    targetMb,
    fsync,
    seedSeconds: summary.durationMs / 1000,
    pgDatabaseSizeBytes: bytes,
    pgDatabaseSizeMiB: Math.round(bytes / 1048576),
    counts: summary.counts,
  };
  if (dump) {
    const d = await dumpSize(url);
    result.pgDumpCustomBytes = d.bytes;
    result.pgDumpSeconds = d.ms / 1000;
  }
  process.stderr.write('\n');
  console.log(JSON.stringify(result, null, 2));
} finally {
  await cluster.stop();
}
