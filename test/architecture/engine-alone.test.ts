/**
 * Importing only the engine loads no module outside src/engine and src/core: the action catalogue, the sandbox and
 * the UI reach it only through what its caller passes. Traced with the module hook the headless test uses.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

/** The src/ modules a fresh process resolves when it imports `entries` (repository-relative paths). */
async function modulesLoadedBy(entries: string[]): Promise<string[]> {
  const trace = join(tempDir('obexal-trace-'), 'modules.txt');
  const script = entries.map((entry) => `await import(${JSON.stringify(join(ROOT, entry))});`).join('\n');
  await execa(process.execPath, ['--import', 'tsx', '--import', './test/helpers/trace-imports.mjs', '-e', script], {
    cwd: ROOT,
    env: { TSX_TSCONFIG_PATH: 'tsconfig.test.json', TRACE_IMPORTS_FILE: trace },
  });
  const urls = readFileSync(trace, 'utf8').split('\n');
  const prefix = `file://${ROOT}/`;
  return [...new Set(urls.filter((u) => u.startsWith(`${prefix}src/`)).map((u) => u.slice(prefix.length)))].sort();
}

test('importing every module of src/engine loads no module outside src/engine and src/core', async () => {
  const engine = readdirSync(join(ROOT, 'src/engine'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `src/engine/${f}`);
  const loaded = await modulesLoadedBy(engine);
  assert.ok(loaded.includes('src/engine/engine.ts'), 'the trace works (positive control)');
  const outside = loaded.filter((m) => !m.startsWith('src/engine/') && !m.startsWith('src/core/'));
  assert.deepEqual(outside, []);
});

test('the trace sees what the command line pulls in (the catalogue loads the domain modules)', async () => {
  const loaded = await modulesLoadedBy(['src/cli/action-catalogue.ts']);
  assert.ok(loaded.some((m) => m.startsWith('src/backup/')));
  assert.ok(loaded.some((m) => m.startsWith('src/restore/')));
});
