/** The drill's pure parts: database names, the RTO and RPO figures, the history's trend, TOTP interop. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drillHistory, expectedNext, slope, sparkline, trendOf } from '../../src/drill/history.js';
import { summarizeDrill } from '../../src/drill/rto.js';
import { drillDatabaseName, isDrillDatabaseName } from '../../src/drill/target.js';
import { totpCode } from '../../src/drill/checks.js';
import { matchTotpStep } from '../../src/sandbox/auth-service/totp.js';
import { drillServiceCommand, serviceEnvironment } from '../../src/drill/auth-service.js';

describe('drill database name', () => {
  it('is a valid lower-case name that says it is a drill, derived from the run id', () => {
    const name = drillDatabaseName('20261124T191239Z-d4f4b2');
    assert.equal(name, 'obexal_drill_20261124t191239z_d4f4b2');
    assert.ok(isDrillDatabaseName(name));
    assert.ok(!isDrillDatabaseName('obexal'));
    assert.ok(drillDatabaseName('x'.repeat(100)).length <= 63);
  });
});

describe('auth-service command and environment', () => {
  it('replaces {port} inside one argument and never splits it', () => {
    assert.deepEqual(
      drillServiceCommand('docker run --rm -p "127.0.0.1:{port}:8080" obexal/auth-service:1.4 serve', 41234),
      ['docker', 'run', '--rm', '-p', '127.0.0.1:41234:8080', 'obexal/auth-service:1.4', 'serve'],
    );
    assert.throws(() => drillServiceCommand('serve --port {prot}', 1), /\{prot\}/);
  });

  it('gives the child only the base variables, the database, the keys and PORT/HOST', () => {
    const env = serviceEnvironment(
      {
        PATH: '/usr/bin',
        HOME: '/root',
        DRILL_PASSWORD: 'p',
        AWS_SECRET_ACCESS_KEY: 's',
        DOCKER_HOST: 'unix:///run/docker.sock',
        ENCRYPTION_KEY_OLD: 'old',
      },
      { databaseUrl: 'postgres://u:pw@h/obexal_drill_x', encryptionKey: 'k', port: 5555 },
    );
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/root',
      DOCKER_HOST: 'unix:///run/docker.sock',
      DATABASE_URL: 'postgres://u:pw@h/obexal_drill_x',
      ENCRYPTION_KEY: 'k',
      PORT: '5555',
      HOST: '127.0.0.1',
    });
  });
});

describe('TOTP', () => {
  it('computes the code the sandbox auth-service accepts (otpauth, RFC 6238)', () => {
    const seed = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const now = Date.parse('2026-11-24T12:00:10Z');
    assert.notEqual(matchTotpStep(seed, totpCode(seed, now), now), undefined);
    assert.equal(matchTotpStep(seed, totpCode(seed, now - 5 * 60_000), now), undefined);
  });
});

const started = '2026-11-24T12:00:00.000Z';
const at = (s: number) => new Date(Date.parse(started) + s * 1000).toISOString();
const check = (id: string, name: string, passed: boolean, second: number) => ({
  id,
  outcome: passed ? 'ok' : 'failed',
  data: { check: name, passed, reason: passed ? 'fine' : 'refused', at: at(second) },
});

describe('RTO and RPO', () => {
  it('runs from the drill start to the last check passed, and compares with the target', () => {
    const summary = summarizeDrill({
      startedAt: started,
      checks: [
        check('check-jwks', 'jwks', true, 100),
        check('check-login', 'login', true, 130),
        check('check-mfa', 'mfa', true, 125),
        check('check-me', 'me', true, 131),
      ],
      targetText: '2m',
      targetMs: 120_000,
      dump: {
        name: 'obexal-20261124T060000Z.dump.age',
        origin: 'bucket',
        takenAt: '2026-11-24T06:00:00.000Z',
        manifest: { dump: { sha256: 'a'.repeat(64) } },
      },
      restoredAt: '2026-11-24T12:01:00.000Z',
      keyEra: { dumpEra: 'era-1', currentEra: 'era-2', needsReencrypt: true, keys: [] },
      reencrypt: { outcome: 'ok', data: {} },
    });
    assert.equal(summary.rto.ms, 131_000);
    assert.equal(summary.rto.met, false);
    assert.equal(summary.rto.lastCheckPassedAt, at(131));
    assert.deepEqual(summary.failedChecks, []);
    assert.equal(summary.dump?.ageAtRestoreMs, 6 * 3_600_000 + 60_000);
    assert.equal(summary.dump?.sha256, 'a'.repeat(64));
    assert.deepEqual(summary.keyEra, {
      dump: 'era-1',
      current: 'era-2',
      needsReencrypt: true,
      keys: [],
      reencryptSecrets: 'ok',
    });
  });

  it('is not reached when a check failed or did not run, and says which', () => {
    const summary = summarizeDrill({
      startedAt: started,
      checks: [
        check('check-jwks', 'jwks', true, 10),
        check('check-login', 'login', false, 11),
        { id: 'check-me', outcome: 'not-run', data: {} },
      ],
      targetText: '30m',
      targetMs: 1_800_000,
    });
    assert.equal(summary.rto.ms, null);
    assert.equal(summary.rto.met, null);
    assert.deepEqual(summary.failedChecks, ['login', 'check-me']);
    assert.equal(summary.checks['check-me']?.reason, 'did not run');
  });
});

const drillRecord = (runId: string, finishedAt: string, rtoMs: number | null, outcome = 'ok') => ({
  runbook: 'drill',
  runId,
  finishedAt,
  outcome,
  details: {
    drill: {
      rto: { ms: rtoMs, targetMs: 1_800_000, met: rtoMs === null ? null : rtoMs <= 1_800_000 },
      failedChecks: rtoMs === null ? ['login'] : [],
      dump: { name: 'd', ageAtRestoreMs: 3_600_000 },
    },
  },
});

describe('drill history', () => {
  it('lists the drills oldest first, draws the passing RTOs, and sees them getting faster', () => {
    const history = drillHistory([
      drillRecord('c', '2026-09-01T00:00:00Z', 600_000),
      drillRecord('a', '2026-03-01T00:00:00Z', 900_000),
      { runbook: 'backup', runId: 'x', finishedAt: '2026-04-01T00:00:00Z', outcome: 'ok', details: {} },
      drillRecord('b', '2026-06-01T00:00:00Z', null, 'failed'),
      drillRecord('d', '2026-12-01T00:00:00Z', 450_000),
      drillRecord('b2', '2026-06-02T00:00:00Z', 750_000),
    ]);
    assert.deepEqual(
      history.entries.map((e) => e.runId),
      ['a', 'b', 'b2', 'c', 'd'],
    );
    assert.deepEqual(history.rtoSeries, [900_000, 750_000, 600_000, 450_000]);
    assert.equal(history.trend, 'faster');
    assert.equal(history.slopeMsPerDrill, -150_000);
    assert.equal(history.expectedNextMs, 300_000);
    assert.equal(history.lastPassedAt, '2026-12-01T00:00:00Z');
    assert.deepEqual(history.entries[1]?.failedChecks, ['login']);
    assert.equal(sparkline(history.rtoSeries), '█▆▃▁');
  });

  it('is steady, or unknown, with little to go on; the expectation stays within reason', () => {
    assert.equal(trendOf([600_000, 610_000, 600_000]).trend, 'steady');
    assert.equal(trendOf([600_000]).trend, 'unknown');
    assert.equal(expectedNext([]), null);
    assert.equal(expectedNext([400_000, 600_000]), 500_000);
    // A steep fall must not promise less than half the fastest drill.
    assert.equal(expectedNext([1_000_000, 100_000, 10_000]), 5_000);
    assert.equal(slope([1]), null);
    assert.equal(sparkline([]), '');
    assert.equal(drillHistory([]).expectedNextMs, null);
  });
});
