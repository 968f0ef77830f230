/**
 * Redaction in linear time (issue 17 item 2): a long run of letters and digits made the password pattern backtrack
 * over every start position (a 100 KB line took minutes, and SIGTERM went unanswered meanwhile).
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { BIN, testHome } from '../helpers/cli.js';
import { redact } from '../../src/core/redact.js';

test('connection-string and keyword passwords are still masked, and nothing else', () => {
  const cases: Array<[string, string]> = [
    ['postgres://user:pa55@host/db', 'postgres://user:[redacted]@host/db'],
    ['x postgres://u:p@h/db and s3://a:b@c', 'x postgres://u:[redacted]@h/db and s3://a:[redacted]@c'],
    ['postgres://:pw@h', 'postgres://:[redacted]@h'],
    ['ab+c://u:p:q@h', 'ab+c://u:[redacted]@h'],
    ['host=a password=secret dbname=x', 'host=a password=[redacted] dbname=x'],
    ["password = 'se cret' x", 'password = [redacted] x'],
    ["password='unterminated rest", 'password=[redacted] rest'],
    ['PASSWORD=x', 'PASSWORD=[redacted]'],
    ['http://host/path', 'http://host/path'],
    ['a://b:@c', 'a://b:@c'],
    ['1://u:p@h', '1://u:p@h'],
    ['nopassword=x', 'nopassword=x'],
  ];
  for (const [input, expected] of cases) assert.equal(redact(input), expected, input);
});

/**
 * Redacts the texts that `build` (JavaScript source of an expression) makes, in a child process that is stopped after
 * `limitMs` (a backtracking pattern cannot be interrupted inside the process that runs it).
 */
async function redactInChild(
  build: string,
  limitMs: number,
): Promise<{ finished: boolean; unchanged: boolean[]; outputs: string[] }> {
  const module = new URL('../../src/core/redact.ts', import.meta.url).href;
  const code = `
    const { redact } = await import(${JSON.stringify(module)});
    const inputs = ${build};
    const outputs = inputs.map((t) => redact(t));
    console.log(JSON.stringify({ unchanged: outputs.map((o, i) => o === inputs[i]), outputs: outputs.map((o) => o.slice(0, 40)) }));
  `;
  const result = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    reject: false,
    timeout: limitMs,
    killSignal: 'SIGKILL',
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.test.json' },
  });
  if (result.exitCode !== 0) return { finished: false, unchanged: [], outputs: [String(result.stderr).slice(0, 500)] };
  return { finished: true, ...(JSON.parse(String(result.stdout)) as { unchanged: boolean[]; outputs: string[] }) };
}

test('megabyte-long lines of letters and digits are redacted at once, not in quadratic time', async () => {
  const build = `(() => {
    const run = 'a1B2c3'.repeat(200000);
    return [run, run + '://' + run, run + ':' + run + '@', "password='".repeat(100000), 'password=' + run];
  })()`;
  // A generous bound (the old pattern needed hours for these): it tells "linear" from "quadratic".
  const out = await redactInChild(build, 60_000);
  assert.ok(out.finished, `redaction of 1 MB lines did not finish: ${out.outputs[0] ?? ''}`);
  assert.deepEqual(out.unchanged.slice(0, 3), [true, true, true], 'no password form in them: unchanged');
  assert.equal(out.outputs[4], 'password=[redacted]');
});

test('SIGTERM while huge pg_restore-like error lines are redacted ends the run with 143 and cleanup', async () => {
  const home = testHome();
  const runbook = join(home.dir, 'huge-output.yaml');
  // Each line quotes a 300 KB value of letters and digits, as a pg_restore error quoting a large value would.
  const script =
    'v=$(head -c 230000 /dev/urandom | base64 -w0 | tr -d "/="); ' +
    'for i in $(seq 1 40); do echo "pg_restore: error: COPY failed for table \\"users\\": value \\"$v\\"" >&2; done; ' +
    'exec sleep 985';
  writeFileSync(
    runbook,
    [
      'name: huge-output',
      'title: Huge output',
      'steps:',
      '  - id: flood',
      '    title: A command that prints huge lines',
      '    action: shell',
      '    onInterrupt: "nothing is half-done"',
      '    with:',
      `      command: ["sh", "-c", ${JSON.stringify(script)}]`,
      '',
    ].join('\n'),
  );
  const child = execa(process.execPath, ['--', BIN, runbook], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...home.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    // Not a duration assertion: a stuck run is stopped so that the test ends (and fails) instead of hanging.
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  for (let i = 0; i < 200 && !out.includes('> flood:'); i++) await delay(50);
  await delay(700);
  child.kill('SIGTERM');
  const result = await child;
  assert.equal(result.exitCode, 143, `${out.slice(0, 2000)}\n${String(result.stderr).slice(-2000)}`);
  assert.match(out, /flood: INTERRUPTED/);
  const left = await execa('pgrep', ['-f', 'sleep 985'], { reject: false });
  assert.notEqual(left.exitCode, 0, "the step's process must be gone");
});
