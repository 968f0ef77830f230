// `npm run bundle [-- <folder>]`: the whole tool as one ESM file for a server, build/bundle/obexal-runbook.mjs, with the
// built-in runbooks (YAML, read at run time) in build/bundle/runbooks/ beside it. It runs with `node` alone: every
// dependency is inside; the only native module (@node-rs/argon2) serves the practice sandbox, which needs the
// package install anyway, and is loaded only if called. Start-up differs from the package only in where the
// package root is (the bundle's own folder) and in the version, written in at build time.
import { build } from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'build', 'bundle'));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Replaces `from` in one source file, failing the build when the text is no longer there. */
function rewrite(file, from, to) {
  const source = readFileSync(file, 'utf8');
  if (!source.includes(from)) throw new Error(`bundle: ${file} no longer contains ${JSON.stringify(from)}`);
  return { contents: source.replace(from, to), loader: 'ts' };
}

const bundleSpecifics = {
  name: 'obexal-runbook-bundle',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]src[\\/]cli[\\/]paths\.ts$/ }, ({ path }) =>
      rewrite(path, "resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')", 'dirname(fileURLToPath(import.meta.url))'),
    );
    builder.onLoad({ filter: /[\\/]src[\\/]cli[\\/]version\.ts$/ }, () => ({
      contents: `export const TOOL_VERSION: string = ${JSON.stringify(version)};`,
      loader: 'ts',
    }));
    // Ink imports the React devtools only with DEV=true, a development aid a server never has: an empty stand-in.
    builder.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'devtools', namespace: 'absent' }));
    builder.onLoad({ filter: /.*/, namespace: 'absent' }, () => ({
      contents: 'export default { initialize() {}, connectToDevTools() {} };',
      loader: 'js',
    }));
    // A native addon cannot be inside a JavaScript file: load it on first use, from beside the bundle.
    builder.onResolve({ filter: /^@node-rs\/argon2$/ }, () => ({ path: 'argon2', namespace: 'lazy-native' }));
    builder.onLoad({ filter: /.*/, namespace: 'lazy-native' }, () => ({
      contents: [
        "import { createRequire } from 'node:module';",
        "const load = () => createRequire(import.meta.url)('@node-rs/argon2');",
        'export const Algorithm = { Argon2d: 0, Argon2i: 1, Argon2id: 2 };',
        'export const hash = (...args) => load().hash(...args);',
        'export const verify = (...args) => load().verify(...args);',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'obexal-runbook.mjs');
await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  legalComments: 'linked',
  // pg's optional native binding, which pg only tries to require.
  external: ['pg-native'],
  banner: {
    js: [
      '#!/usr/bin/env -S node --max-semi-space-size=2 --',
      "import { createRequire as __obexalCreateRequire } from 'node:module';",
      'const require = __obexalCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  plugins: [bundleSpecifics],
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
cpSync(join(root, 'runbooks'), join(outDir, 'runbooks'), { recursive: true });
console.log(`bundle: ${outfile} (+ runbooks/)`);
