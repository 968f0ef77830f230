import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, testHome } from '../helpers/cli.js';

function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (match) env[match[1] as string] = (match[2] as string).replace(/'\\''/g, "'");
  }
  return env;
}

async function pidsMatching(pattern: string): Promise<string[]> {
  const result = await execa('pgrep', ['-f', pattern], { reject: false });
  return String(result.stdout).split('\n').filter(Boolean);
}

test(
  'practice up writes an environment that reaches every part of the sandbox; practice down leaves nothing',
  { timeout: 180_000 },
  async () => {
    const home = testHome();
    const envFile = join(home.dir, 'practice.env');
    const up = await runCli(['practice', 'up', '--env-file', envFile], { TMPDIR: process.env.TMPDIR, HOME: home.dir });
    assert.equal(up.exitCode, 0, up.stderr);
    try {
      assert.equal(statSync(envFile).mode & 0o777, 0o600);
      const env = parseEnvFile(readFileSync(envFile, 'utf8'));
      for (const name of [
        'DATABASE_URL',
        'BACKUP_DIR',
        'BACKUP_RECIPIENTS_FILE',
        'BACKUP_IDENTITY_FILE',
        'S3_BUCKET',
        'S3_ENDPOINT',
        'AUTH_SERVICE_URL',
        'AUTH_SERVICE_EXEC',
        'DRILL_AUTH_SERVICE_START',
        'DRILL_DATABASE_URL',
        'DRILL_EMAIL',
        'DRILL_PASSWORD',
        'DRILL_TOTP_SECRET',
        'ENCRYPTION_KEY_COMMAND',
        'OBEXAL_RUNBOOK_CONFIG_DIR',
      ]) {
        assert.ok(env[name], `${name} is in the environment file`);
      }
      for (const url of [env.DATABASE_URL!, env.S3_ENDPOINT!, env.AUTH_SERVICE_URL!, env.DRILL_DATABASE_URL!]) {
        assert.match(new URL(url).hostname, /^(127\.0\.0\.1|localhost)$/, 'every target is on loopback');
      }
      const jwks = (await (await fetch(`${env.AUTH_SERVICE_URL}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
      assert.ok(jwks.keys.length >= 2, 'the auth-service serves the seeded signing keys');
      const bucket = await fetch(`${env.S3_ENDPOINT}/${env.S3_BUCKET}`);
      assert.ok(bucket.status < 500, 'the bucket answers');
      const era = JSON.parse(env.ENCRYPTION_KEY_COMMAND!) as string[];
      assert.ok(existsSync(era[1]!.replace('{era}', 'era-1')), 'the vault holds the era key');
      const again = await runCli(['practice', 'up', '--env-file', envFile], { HOME: home.dir });
      assert.equal(again.exitCode, 2, 'a second sandbox is refused while one runs');
    } finally {
      const env = existsSync(envFile) ? parseEnvFile(readFileSync(envFile, 'utf8')) : {};
      const down = await runCli(['practice', 'down'], { HOME: home.dir });
      assert.equal(down.exitCode, 0, down.stderr);
      const dir = env.BACKUP_DIR ? join(env.BACKUP_DIR, '..') : undefined;
      if (dir) assert.equal(existsSync(dir), false, 'the sandbox folder is removed');
      if (dir) assert.deepEqual(await pidsMatching(dir), [], 'no process of the sandbox remains');
      if (env.AUTH_SERVICE_URL)
        await assert.rejects(fetch(`${env.AUTH_SERVICE_URL}/healthz`), 'the auth-service is gone');
    }
  },
);
