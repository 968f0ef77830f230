/**
 * The validated-runbook cache (src/cli/runbook-cache.ts) with the real loader and the built-in backup runbook: a
 * second read of the same bytes by the same build skips the validation and returns the same runbook (deep-equal,
 * strictly: nothing lost in JSON); a changed file, another build, no build id (run from the sources), a runbook with
 * `uses:` and an invalid runbook are read and validated each time; entries are 0600 in 0700 folders.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidRunbookError } from '../../src/core/errors.js';
import { BUILTIN_RUNBOOKS_DIR } from '../../src/core/package-root.js';
import { actionCatalogue } from '../../src/cli/action-catalogue.js';
import { loadRunbookCached } from '../../src/cli/runbook-cache.js';
import { loadRunbookFile } from '../../src/engine/load-runbook.js';
import type { Runbook } from '../../src/engine/runbook-schema.js';
import { tempDir } from '../helpers/temp.js';

function countingLoader(): { load: (file: string) => Promise<Runbook>; calls: () => number } {
  let calls = 0;
  return {
    load: (file) => {
      calls += 1;
      return loadRunbookFile(file, actionCatalogue());
    },
    calls: () => calls,
  };
}

function backupRunbookCopy(): { dir: string; file: string; configDir: string } {
  const dir = tempDir('obexal-runbook-cache-');
  const file = join(dir, 'backup.yaml');
  copyFileSync(join(BUILTIN_RUNBOOKS_DIR, 'backup.yaml'), file);
  return { dir, file, configDir: join(dir, 'config') };
}

test('the same bytes and build: validated once, the same runbook after', async () => {
  const { file, configDir } = backupRunbookCopy();
  const loader = countingLoader();
  const first = await loadRunbookCached(file, configDir, loader.load, 'build-a');
  const second = await loadRunbookCached(file, configDir, loader.load, 'build-a');
  assert.equal(loader.calls(), 1);
  assert.deepStrictEqual(second, first);
  assert.deepStrictEqual(second, await loadRunbookFile(file, actionCatalogue()));
  const cacheDir = join(configDir, 'cache', 'runbooks');
  assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
  for (const name of readdirSync(cacheDir)) assert.equal(statSync(join(cacheDir, name)).mode & 0o777, 0o600);
});

test('a changed file or another build is validated again; without a build id nothing is cached', async () => {
  const { file, configDir } = backupRunbookCopy();
  const loader = countingLoader();
  await loadRunbookCached(file, configDir, loader.load, 'build-a');
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n# a comment changes the bytes\n`);
  const changed = await loadRunbookCached(file, configDir, loader.load, 'build-a');
  assert.equal(loader.calls(), 2);
  assert.equal(changed.sha256, (await loadRunbookFile(file, actionCatalogue())).sha256);
  await loadRunbookCached(file, configDir, loader.load, 'build-b');
  assert.equal(loader.calls(), 3);

  const fresh = backupRunbookCopy();
  await loadRunbookCached(fresh.file, fresh.configDir, loader.load, undefined);
  await loadRunbookCached(fresh.file, fresh.configDir, loader.load, undefined);
  assert.equal(loader.calls(), 5);
  assert.equal(existsSync(join(fresh.configDir, 'cache')), false);
});

test('a runbook with uses: and an invalid runbook are never cached', async () => {
  const { dir, configDir } = backupRunbookCopy();
  const loader = countingLoader();
  const including = join(dir, 'including.yaml');
  writeFileSync(
    including,
    ['name: including', 'title: Includes the backup', 'steps:', '  - uses: backup', '    id: inner', ''].join('\n'),
  );
  for (let i = 0; i < 2; i++) await loadRunbookCached(including, configDir, loader.load, 'build-a').catch(() => null);
  assert.equal(loader.calls(), 2);

  const invalid = join(dir, 'invalid.yaml');
  writeFileSync(
    invalid,
    ['name: invalid', 'title: No steps', 'steps:', '  - id: x', '    action: no.such', ''].join('\n'),
  );
  for (let i = 0; i < 2; i++) {
    await assert.rejects(loadRunbookCached(invalid, configDir, loader.load, 'build-a'), InvalidRunbookError);
  }
  assert.equal(loader.calls(), 4);
});
