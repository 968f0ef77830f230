/**
 * The key-era register's first use and reading, on real files: an operator (a scripted Interactor standing in
 * for the person at the terminal) names the era and pastes the key once; only its fingerprint is stored.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AnswerRequiredError, UsageError } from '../../src/core/errors.js';
import type { SecretStore } from '../../src/engine/action.js';
import type { Interactor } from '../../src/engine/interactor.js';
import { ensureKeyEras } from '../../src/eras/ensure.js';
import { addEra, emptyRegister } from '../../src/eras/register.js';
import { readRegister, writeLocalRegister } from '../../src/eras/store.js';
import { keyFingerprint } from '../../src/keys/fingerprint.js';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/keys/secret-value.js';
import { HeadlessInteractor } from '../../src/report/headless-interactor.js';
import { removeTempDirs, tempDir } from './helpers.js';

after(removeTempDirs);

function operator(answers: { text?: string[]; secret?: string[] }): Interactor & { asked: string[] } {
  const texts = [...(answers.text ?? [])];
  const secrets = [...(answers.secret ?? [])];
  const asked: string[] = [];
  const refuse = (name: string): never => {
    throw new Error(`unexpected prompt ${name}`);
  };
  return {
    mode: 'interactive',
    asked,
    async text(request) {
      asked.push(request.name);
      return texts.shift() ?? refuse(request.name);
    },
    async secret(request) {
      asked.push(request.name);
      const value = secrets.shift() ?? refuse(request.name);
      const problem = request.validate?.(value);
      if (problem) throw new Error(`the prompt would refuse it: ${problem}`);
      return value;
    },
    choose: async (r) => refuse(r.name),
    confirm: async (r) => refuse(r.name),
    checklist: async (r) => refuse(r.name),
  };
}

function store(): SecretStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return { values, get: (n) => values.get(n), set: (n, v) => void values.set(n, v) };
}

function dir(): string {
  return tempDir('obexal-eras-');
}

const signal = new AbortController().signal;

describe('creating the key-era register', () => {
  it('asks the label (again when invalid) and the key once, and stores only the fingerprint', async () => {
    const backupDir = dir();
    const key = generateEncryptionKey();
    const human = operator({ text: ['Not Valid!', 'era-prod-1'], secret: [key] });
    const secrets = store();
    const lines: string[] = [];
    const result = await ensureKeyEras({
      location: { backupDir },
      interactor: human,
      encryptionKey: undefined,
      secrets,
      signal,
      output: (t) => lines.push(t),
    });
    assert.deepEqual(human.asked, ['era-label', 'era-label', 'ENCRYPTION_KEY']);
    const fingerprint = keyFingerprint(parseEncryptionKey(key));
    assert.deepEqual(result.created, { label: 'era-prod-1', fingerprint });
    assert.deepEqual(result.eras, [{ label: 'era-prod-1', fingerprint }]);
    assert.equal(secrets.values.get('ENCRYPTION_KEY'), key, 'held for the run only, and registered for redaction');
    const file = join(backupDir, 'key-eras.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(key) && !text.includes(Buffer.from(key, 'base64').toString('hex')));
    assert.ok(lines.some((l) => /key-era register created: era "era-prod-1"/.test(l)));
  });

  it('takes the key from ENCRYPTION_KEY when set, and the suggested label with --yes headless', async () => {
    const backupDir = dir();
    const key = generateEncryptionKey();
    const headless = new HeadlessInteractor({ answers: {}, yes: true, confirm: undefined, confirmTarget: undefined });
    const now = new Date('2026-05-20T10:00:00Z');
    const result = await ensureKeyEras({
      location: { backupDir },
      interactor: headless,
      encryptionKey: key,
      secrets: store(),
      signal,
      output: () => undefined,
      now,
    });
    assert.equal(result.created?.label, 'era-2026-05');
  });

  it('headless with neither the key nor the label: no refusal, the era is unregistered, nothing written', async () => {
    const backupDir = dir();
    const headless = new HeadlessInteractor({ answers: {}, yes: false, confirm: undefined, confirmTarget: undefined });
    const lines: string[] = [];
    const result = await ensureKeyEras({
      location: { backupDir },
      interactor: headless,
      encryptionKey: undefined,
      secrets: store(),
      signal,
      output: (t) => lines.push(t),
    });
    assert.equal(result.unregistered, true);
    assert.deepEqual(result.eras, []);
    assert.ok(lines.some((l) => /no ENCRYPTION_KEY in this environment: the dump is taken anyway/.test(l)));
    assert.equal((await readRegister({ backupDir })).source, 'none');
  });

  it('headless with no key, for a runbook that needs the register (key rotation): exit 3 naming ENCRYPTION_KEY', async () => {
    const backupDir = dir();
    const headless = new HeadlessInteractor({ answers: {}, yes: false, confirm: undefined, confirmTarget: undefined });
    await assert.rejects(
      ensureKeyEras({
        location: { backupDir },
        interactor: headless,
        encryptionKey: undefined,
        secrets: store(),
        signal,
        output: () => undefined,
        whenUnregistered: 'refuse',
      }),
      (e: unknown) =>
        e instanceof AnswerRequiredError &&
        e.exitCode === 3 &&
        /this runbook needs the register, nothing was changed/.test(e.message),
    );
    assert.equal((await readRegister({ backupDir })).source, 'none');
  });

  it('headless with a key that is not 32 bytes of base64: a warning saying why, the era unregistered', async () => {
    const headless = new HeadlessInteractor({
      answers: { 'era-label': 'era-x' },
      yes: false,
      confirm: undefined,
      confirmTarget: undefined,
    });
    const lines: string[] = [];
    const result = await ensureKeyEras({
      location: { backupDir: dir() },
      interactor: headless,
      encryptionKey: 'c2hvcnQ=',
      secrets: store(),
      signal,
      output: (t) => lines.push(t),
    });
    assert.equal(result.unregistered, true);
    assert.ok(lines.some((l) => /ENCRYPTION_KEY decodes to 5 bytes, not 32/.test(l)));
  });

  it('headless with an era-label answer that is not a label: exit 2', async () => {
    const headless = new HeadlessInteractor({
      answers: { 'era-label': 'ERA-1' },
      yes: false,
      confirm: undefined,
      confirmTarget: undefined,
    });
    await assert.rejects(
      ensureKeyEras({
        location: { backupDir: dir() },
        interactor: headless,
        encryptionKey: generateEncryptionKey(),
        secrets: store(),
        signal,
        output: () => undefined,
      }),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /"ERA-1" is not a valid era label/.test(e.message),
    );
  });
});

describe('reading the register', () => {
  const a = keyFingerprint(parseEncryptionKey(generateEncryptionKey()));
  const bKey = generateEncryptionKey();
  const b = keyFingerprint(parseEncryptionKey(bKey));

  it('names both open eras during a rotation, and asks nothing', async () => {
    const backupDir = dir();
    await writeLocalRegister(
      backupDir,
      addEra(addEra(emptyRegister(), { label: 'era-a', fingerprint: a }), { label: 'era-b', fingerprint: b }),
    );
    const lines: string[] = [];
    const result = await ensureKeyEras({
      location: { backupDir },
      interactor: operator({}),
      encryptionKey: bKey,
      secrets: store(),
      signal,
      output: (t) => lines.push(t),
    });
    assert.deepEqual(
      result.eras.map((e) => e.label),
      ['era-a', 'era-b'],
    );
    assert.ok(lines.some((l) => /a key rotation is under way/.test(l)));
    assert.ok(!lines.some((l) => /matches no open era/.test(l)));
  });

  it('warns when the ENCRYPTION_KEY of this environment matches no open era', async () => {
    const backupDir = dir();
    await writeLocalRegister(backupDir, addEra(emptyRegister(), { label: 'era-a', fingerprint: a }));
    const lines: string[] = [];
    await ensureKeyEras({
      location: { backupDir },
      interactor: operator({}),
      encryptionKey: bKey,
      secrets: store(),
      signal,
      output: (t) => lines.push(t),
    });
    assert.ok(lines.some((l) => /matches no open era of the register/.test(l)));
  });

  it('refuses a damaged local register instead of silently making a new one', async () => {
    const backupDir = dir();
    writeFileSync(join(backupDir, 'key-eras.json'), '{"schema":"obexal-key-eras@v1","eras":[{"label":"BAD"}]}');
    await assert.rejects(
      ensureKeyEras({
        location: { backupDir },
        interactor: operator({}),
        encryptionKey: undefined,
        secrets: store(),
        signal,
        output: () => undefined,
      }),
      /key-eras\.json is not valid at eras\.0/,
    );
  });
});
