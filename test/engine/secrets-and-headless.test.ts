import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, runCli, testHome } from '../helpers/cli.js';
import { scanForSecrets } from '../helpers/secret-scan.js';

test('secrets never reach stdout, stderr, the journal, the record or NDJSON, in any encoding', async () => {
  const home = testHome();
  const key = 'q7Zk3V9yL2mN8pR4tW6xB1cD5fG0hJ3kM7nP9rS2uV4=';
  const password = 'p@ss w0rd/ü';
  const env = {
    ...home.env,
    ENCRYPTION_KEY: key,
    DATABASE_URL: `postgres://obexal:${encodeURIComponent(password)}@db.example:5432/obexal`,
  };
  const text = await runCli([join(ROOT, 'test/fixtures/runbooks/secrets.yaml'), '--verbose'], env);
  const json = await runCli([join(ROOT, 'test/fixtures/runbooks/secrets.yaml'), '--json'], env);
  assert.equal(text.exitCode, 1, 'the step exits 14 on purpose');
  assert.match(text.stdout, /key=\[redacted\]/, 'the output is shown, redacted');
  assert.match(text.stdout, /obexal:\[redacted\]@db\.example/);
  const findings = scanForSecrets([home.dir], [key, password], {
    textStdout: text.stdout,
    textStderr: text.stderr,
    jsonStdout: json.stdout,
    jsonStderr: json.stderr,
  });
  assert.deepEqual(findings, []);
});

test('the secret scanner finds a secret when one is there (the scan itself can fail)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scan-'));
  const findings = scanForSecrets([dir], ['hunter22'], { a: `x${Buffer.from('hunter22').toString('base64')}y` });
  assert.equal(findings.length, 1);
});

test('headless never loads Ink or React, and never waits for input', async () => {
  const home = testHome();
  const trace = join(home.dir, 'modules.txt');
  const result = await runCli(
    [join(ROOT, 'runbooks/examples/sample.yaml')],
    {
      ...home.env,
      // From the sources, where every module is its own file: the bundle in dist/ names only its chunks (and they
      // follow the same lazy imports, so what the sources prove holds for it).
      OBEXAL_RUNBOOK_FROM_SOURCE: '1',
      NODE_OPTIONS: `--import ${join(ROOT, 'test/helpers/trace-imports.mjs')}`,
      TRACE_IMPORTS_FILE: trace,
    },
    { timeoutMs: 30_000 },
  );
  assert.equal(result.exitCode, 3, 'a missing answer ends the run at once');
  const modules = readFileSync(trace, 'utf8');
  assert.match(modules, /node_modules\/yaml\//, 'the trace works (positive control)');
  assert.doesNotMatch(modules, /node_modules\/(ink|react|ink-[a-z-]+)\//);
  assert.doesNotMatch(modules, /\/src\/ui\/|\/dist\/ui\//);
});
