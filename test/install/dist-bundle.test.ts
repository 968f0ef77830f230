/**
 * dist/cli/main.js as `npm run build` leaves it: esbuild's bundle of the command line (scripts/bundle-dist.mjs),
 * its chunks beside it. A command loads the bundle's files and nothing of node_modules, and no file imports one of
 * Node's own modules with `import` (an ES import of node:http loaded Node's whole fetch implementation).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ROOT, testHome } from '../helpers/cli.js';
import { assertDistCurrent } from '../helpers/dist.js';
import { tempDir } from '../helpers/temp.js';

const CLI_DIR = join(ROOT, 'dist', 'cli');

/** The file: URLs a command loads (modules and CommonJS files alike), through a preload of module hooks. */
async function filesLoaded(args: string[], env: Record<string, string>): Promise<string[]> {
  const dir = tempDir('obexal-dist-bundle-');
  const out = join(dir, 'loaded.txt');
  const preload = join(dir, 'loaded.mjs');
  writeFileSync(
    preload,
    [
      "import { registerHooks } from 'node:module';",
      "import { writeFileSync } from 'node:fs';",
      'const urls = [];',
      'registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });',
      `process.on('exit', () => writeFileSync(${JSON.stringify(out)}, urls.join('\\n')));`,
    ].join('\n'),
  );
  await execa(process.execPath, ['--import', preload, '--', join(CLI_DIR, 'main.js'), ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'));
}

test('dist/cli holds main.js and its chunks; none imports a Node built-in with import', () => {
  assertDistCurrent();
  const files = readdirSync(CLI_DIR).filter((name) => name === 'main.js' || /^chunk-[A-Z0-9]+\.js$/.test(name));
  assert.ok(files.length > 10, `main.js and its chunks: ${files.join(', ')}`);
  for (const name of files) {
    const text = readFileSync(join(CLI_DIR, name), 'utf8');
    assert.doesNotMatch(text, /(from\s*|import\()"(node:)?(http|https|fs|crypto|net|stream|zlib)"/, name);
  }
});

test('status loads the bundle only: no file of node_modules, no module of tsc', async () => {
  assertDistCurrent();
  const home = testHome('obexal-dist-bundle-home-');
  const loaded = await filesLoaded(['status'], home.env);
  assert.ok(loaded.length > 1, loaded.join('\n'));
  const outside = loaded.filter((url) => !/\/dist\/cli\/(main|chunk-[A-Z0-9]+)\.js$/.test(url));
  assert.deepEqual(outside, []);
});
