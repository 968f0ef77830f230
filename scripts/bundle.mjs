// `npm run bundle [-- <folder>]`: the whole tool as one ESM file for a server, build/bundle/obexal-runbook.mjs. It
// runs with `node` alone: every dependency is inside; the only native module (@node-rs/argon2) serves the practice
// sandbox, which needs the package install anyway, and is loaded only if called. It differs from the package in
// three places, all written in at build time: the package root is the bundle's own folder, the version is a
// constant, and the built-in runbooks are inside: the first run writes them into
// `<config dir>/bundled-runbooks/<content hash>/`, where the engine reads runbooks from, as from the package.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'build', 'bundle'));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** runbooks/*.yaml (not the examples), by name. */
function builtinRunbooks() {
  const dir = join(root, 'runbooks');
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort();
  return Object.fromEntries(names.map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/** The module that gives the bundle its runbooks folder: written once per content, then only read. */
function embeddedRunbooksModule() {
  const files = builtinRunbooks();
  const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
  return `
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
const FILES = ${JSON.stringify(files)};
function writeAll(dir: string): void {
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text, { mode: 0o600 });
}
function intoConfigDir(): string {
  const env = process.env;
  const config = env.OBEXAL_RUNBOOK_CONFIG_DIR ? resolve(env.OBEXAL_RUNBOOK_CONFIG_DIR)
    : join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'obexal-runbook');
  const dir = join(config, 'bundled-runbooks', ${JSON.stringify(hash)});
  if (existsSync(dir)) return dir;
  const partial = dir + '.partial-' + process.pid;
  mkdirSync(partial, { recursive: true, mode: 0o700 });
  writeAll(partial);
  try {
    renameSync(partial, dir);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(dir)) throw error; // else another run wrote the same folder meanwhile
  }
  return dir;
}
export function embeddedRunbooksDir(): string {
  try {
    return intoConfigDir();
  } catch {
    // No writable configuration folder (a read-only home): a private folder for this run only.
    const dir = mkdtempSync(join(tmpdir(), 'obexal-runbook-runbooks-'));
    writeAll(dir);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
}
`;
}

/** Replaces `from` in one source file, failing the build when the text is no longer there. */
function rewrite(file, from, to) {
  const source = readFileSync(file, 'utf8');
  if (!source.includes(from)) throw new Error(`bundle: ${file} no longer contains ${JSON.stringify(from)}`);
  return { contents: source.replace(from, to), loader: 'ts' };
}

const bundleSpecifics = {
  name: 'obexal-runbook-bundle',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]src[\\/]core[\\/]package-root\.ts$/ }, ({ path }) => {
      const rooted = rewrite(
        path,
        "resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')",
        'dirname(fileURLToPath(import.meta.url))',
      );
      const from = "export const BUILTIN_RUNBOOKS_DIR = join(PACKAGE_ROOT, 'runbooks');";
      if (!rooted.contents.includes(from)) throw new Error(`bundle: ${path} no longer contains ${from}`);
      const contents = rooted.contents.replace(from, 'export const BUILTIN_RUNBOOKS_DIR = embeddedRunbooksDir();');
      return { contents: `import { embeddedRunbooksDir } from 'embedded-runbooks';\n${contents}`, loader: 'ts' };
    });
    builder.onResolve({ filter: /^embedded-runbooks$/ }, () => ({ path: 'runbooks', namespace: 'embedded' }));
    builder.onLoad({ filter: /.*/, namespace: 'embedded' }, () => ({
      contents: embeddedRunbooksModule(),
      loader: 'ts',
    }));
    builder.onLoad({ filter: /[\\/]src[\\/]core[\\/]version\.ts$/ }, () => ({
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
  legalComments: 'eof',
  // pg's optional native binding, which pg only tries to require.
  external: ['pg-native'],
  banner: {
    js: [
      '#!/usr/bin/env -S node --max-semi-space-size=2 --expose-gc --',
      "import { createRequire as __obexalCreateRequire } from 'node:module';",
      'const require = __obexalCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  plugins: [bundleSpecifics],
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
console.log(`bundle: ${outfile}`);
