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
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const cliDir = join(dist, 'cli');

// Chunks of an earlier build (their names change with their content), and tsc's map of the module replaced here.
for (const name of readdirSync(cliDir)) {
  if (/^chunk-[A-Z0-9]+\.js$/.test(name) || name === 'main.js.map') rmSync(join(cliDir, name));
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
  // The dependencies written as CommonJS (pg, the AWS SDK) call require() for Node's own modules.
  banner: {
    js: [
      "import { createRequire as __obexalCreateRequire } from 'node:module';",
      'const require = __obexalCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  plugins: [
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
