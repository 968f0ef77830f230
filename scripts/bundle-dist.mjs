// `npm run build`'s second half: dist/cli/main.js, the module bin/obexal-runbook runs, rebuilt by esbuild from
// src/cli/main.ts with its dependencies inside and split at every dynamic import (`chunk-<hash>.js` beside it).
// Why: Node's ESM loader costs about half a millisecond per file it resolves and reads (package.json lookups,
// URL handling, one module record each); the tsc output of a backup is some 660 files (execa, zod and yaml alone
// 280) and its loading took 0.3-0.45 s of a 20 MB backup's 1.1-1.7 s. Bundled, the same backup loads about 110
// chunks, and `--help` one file (docs/perf-startup.md). Split, a command still loads only the code it reaches, as
// the sources' lazy imports say.
//
// The rest of dist/ stays tsc's (the sandbox auth-service runs from it). The chunks lie in dist/cli/ beside
// main.js, so that src/core/package-root.ts, wherever esbuild puts it, still finds the package two folders up.
// The peer dependencies (s3rver, @node-rs/argon2: the practice sandbox) stay outside, loaded from node_modules as
// before, and so does pg's optional native binding.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const cliDir = join(dist, 'cli');

// Chunks of an earlier build (their names change with their content), and tsc's map of the module replaced here.
for (const name of readdirSync(cliDir)) {
  if (/^chunk-[A-Z0-9]+\.js$/.test(name) || name === 'main.js.map') rmSync(join(cliDir, name));
}

/**
 * Node's own modules through require(), not `import`: an ES import of a built-in module builds a facade that reads
 * every export, getters included, and `node:http`'s WebSocket getter loads Node's whole fetch implementation
 * (undici): `import('node:http')`, which the AWS SDK's HTTP handler does, took 0.13-0.5 s of CPU against 0.01 s for
 * `require('node:http')`. Each built-in becomes a module of its own whose exports are read from require()'s object,
 * except the getters that are costly, make a stream or are deprecated (reading `fs.F_OK` prints a warning): read
 * through the default export, they stay lazy. An import of a name left out fails the build.
 */
const COSTLY_GETTERS = new Set(['WebSocket', 'CloseEvent', 'MessageEvent', 'rootCertificates']);

/** Node wraps a deprecated getter in a function named `deprecated`, which warns once per code (so a read may not). */
function deprecatedGetter(object, name, descriptor) {
  if (descriptor.get.name === 'deprecated') return true;
  const emitWarning = process.emitWarning;
  let warned = false;
  process.emitWarning = () => (warned = true);
  try {
    void object[name];
  } finally {
    process.emitWarning = emitWarning;
  }
  return warned;
}

const exportable = (module, object, name, descriptor) =>
  /^[A-Za-z$][\w$]*$/.test(name) &&
  name !== 'default' &&
  (!descriptor.get ||
    (module !== 'process' && !COSTLY_GETTERS.has(name) && !deprecatedGetter(object, name, descriptor)));

const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(builder) {
    const names = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    builder.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, ({ path, kind }) => {
      if (!names.has(path) || (kind !== 'import-statement' && kind !== 'dynamic-import')) return undefined;
      return { path: path.replace(/^node:/, ''), namespace: 'builtin-through-require' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, ({ path }) => {
      const object = createRequire(import.meta.url)(`node:${path}`);
      const plain = Object.entries(Object.getOwnPropertyDescriptors(object))
        .filter(([name, descriptor]) => exportable(path, object, name, descriptor))
        .map(([name]) => name);
      const lines = [`const m = require(${JSON.stringify(`node:${path}`)});`, 'export default m;'];
      for (const name of plain) lines.push(`export const ${name} = m.${name};`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

/** The sources and package.json as one hash: src/cli/runbook-cache.ts keys its entries with it. */
function buildId() {
  const hash = createHash('sha256');
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).sort();
  for (const name of [...files.map((file) => join('src', file)), 'package.json']) {
    const path = join(root, name);
    if (!statSync(path).isFile()) continue;
    hash.update(`${name}\0`).update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

const result = await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': join(root, 'src', 'cli', 'main.ts') },
  outdir: dist,
  chunkNames: 'cli/chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // The ES module builds where a package has one: esbuild then keeps only what is used (the AWS SDK's S3 client
  // alone is a 1 MB CommonJS file of every command, 50 ms to evaluate; `status` 0.38 -> 0.35 s CPU).
  mainFields: ['module', 'main'],
  target: 'node22',
  // Readable names in a --verbose stack trace; minified, the start-up measured the same.
  minify: false,
  external: ['s3rver', '@node-rs/argon2', 'pg-native'],
  define: { __OBEXAL_BUILD_ID__: JSON.stringify(buildId()) },
  // The dependencies written as CommonJS (pg, the AWS SDK) call require() for Node's own modules.
  banner: {
    js: [
      "import { createRequire as __obexalCreateRequire } from 'node:module';",
      'const require = __obexalCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  plugins: [
    builtinsThroughRequire,
    {
      name: 'obexal-runbook-dist',
      setup(builder) {
        // Ink imports the React devtools only with DEV=true, a development aid: an empty stand-in.
        builder.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'devtools', namespace: 'absent' }));
        builder.onLoad({ filter: /.*/, namespace: 'absent' }, () => ({
          contents: 'export default { initialize() {}, connectToDevTools() {} };',
          loader: 'js',
        }));
      },
    },
  ],
  metafile: true,
  logLevel: 'warning',
});

const misplaced = Object.keys(result.metafile.outputs).filter(
  (file) => dirname(join(root, file)) !== cliDir || !file.endsWith('.js'),
);
if (misplaced.length > 0) {
  throw new Error(`bundle-dist: outputs outside dist/cli would find the wrong package root: ${misplaced.join(', ')}`);
}
const count = Object.keys(result.metafile.outputs).length;
console.log(`bundle-dist: ${relative(root, join(cliDir, 'main.js'))} and ${count - 1} chunks`);
