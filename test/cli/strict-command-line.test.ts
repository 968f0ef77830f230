/**
 * The command line is strict, through the real executable: each command has its own --help, an option a command
 * does not take and a duration without a unit are usage errors (exit 2) before anything runs.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/core/duration.js';
import { UsageError } from '../../src/core/errors.js';
import { runCli, testHome } from '../helpers/cli.js';

const home = testHome('obexal-strict-cli-');
const env = { ...home.env, DATABASE_URL: 'postgres://u@127.0.0.1:1/nothing' };

/** Nothing ran: no run journal and no record. */
function assertNothingRan(): void {
  const runs = join(home.env.OBEXAL_RUNBOOK_CONFIG_DIR!, 'runs');
  assert.ok(!existsSync(runs) || readdirSync(runs).length === 0, 'a run was started');
  assert.ok(!existsSync(join(home.env.BACKUP_DIR!, 'records')), 'a record was written');
}

describe('options a command does not take', () => {
  for (const [args, pattern] of [
    [['backup', '--hold'], /backup does not take --hold/],
    [['status', '--pin', '30d'], /status does not take --pin/],
    [['runs', 'list', '--yes'], /runs does not take --yes/],
    [['retention', '--reason', 'manual'], /retention does not take --reason/],
    [['backup', 'obexal-20260101T000000Z.dump.age'], /backup takes no argument/],
    [['restore', 'a.dump.age', 'b.dump.age'], /unexpected arguments: b\.dump\.age/],
  ] as const) {
    it(`${args.join(' ')}: a usage error (exit 2; status: UNKNOWN, 3) and the command's --help named`, async () => {
      const result = await runCli([...args], env);
      // status speaks the monitoring-plugins convention: a usage error is UNKNOWN (3), with its line on stdout.
      const usage = args[0] === 'status' ? 3 : 2;
      assert.equal(result.exitCode, usage, result.stdout + result.stderr);
      if (args[0] === 'status') assert.match(result.stdout, /^OBEXAL-RUNBOOK UNKNOWN - status does not take --pin/);
      assert.match(result.stderr, pattern);
      assert.match(result.stderr, new RegExp(`what to do: \`obexal-runbook ${args[0]} --help\``));
      assertNothingRan();
    });
  }

  it('an option that no command takes is a usage error too', async () => {
    const result = await runCli(['backup', '--bogus'], env);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /--bogus/);
  });
});

describe('durations need a unit', () => {
  it('--pin 30 is refused with the units to choose from, before the backup writes anything', async () => {
    const own = testHome('obexal-strict-cli-pin-');
    const result = await runCli(['backup', '--pin', '30'], { ...own.env, DATABASE_URL: env.DATABASE_URL });
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /--pin "30" has no unit/);
    assert.match(result.stderr, /--pin "30" has no unit/, 'a failure is also on stderr');
    assert.match(result.stdout, /30d for days/);
    assert.deepEqual(
      readdirSync(own.env.BACKUP_DIR!).filter((n) => n.startsWith('obexal-')),
      [],
    );
  });

  it('parseDuration refuses a bare number (0 alone excepted) and reads units', () => {
    assert.throws(
      () => parseDuration('30', 'RTO_TARGET'),
      (e: unknown) => e instanceof UsageError && /RTO_TARGET "30" has no unit/.test(e.message),
    );
    assert.throws(() => parseDuration('1.5'), UsageError);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
  });
});

describe('per-command --help', () => {
  it('a runbook: its usage, its options and its answers, read from its file', async () => {
    const result = await runCli(['backup', '--help'], env);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^usage: obexal-runbook backup \[options\]/);
    assert.match(result.stdout, /--pin DURATION/);
    assert.doesNotMatch(result.stdout, /--hold/);
    const restore = await runCli(['help', 'restore'], env);
    assert.match(restore.stdout, /^usage: obexal-runbook restore \[dump\] \[options\]/);
    assert.doesNotMatch(restore.stdout, /--pin/);
    const retention = await runCli(['retention', '-h'], env);
    assert.match(retention.stdout, /--hold/);
  });

  it('a command that is not a runbook', async () => {
    const result = await runCli(['records', '--help'], env);
    assert.equal(result.exitCode, 0);
    assert.match(result.stdout, /^usage: obexal-runbook records list \| show <id> \| verify \| pubkey/);
  });

  it('an unknown command: exit 2', async () => {
    const result = await runCli(['bakcup', '--help'], env);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /unknown runbook or command "bakcup"/);
  });

  it('--quiet and --verbose exclude each other', async () => {
    const result = await runCli(['backup', '--quiet', '--verbose'], env);
    assert.equal(result.exitCode, 2);
  });
});
