// Shared by the executables: run the compiled module when dist/ is up to date with src/, else the TypeScript
// source through tsx (a developer's tree edited since the last `npm run build`). An installed package (the
// tarball, `npm install -g`) has dist/ and no src/: it always runs the compiled module and never needs tsx.
// Node's own type stripping does not serve here: it reads neither .tsx files nor the `.js` names that NodeNext
// imports give the .ts files. OBEXAL_RUNBOOK_FROM_SOURCE=1 forces the source.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtIsCurrent(built) {
  if (process.env.OBEXAL_RUNBOOK_FROM_SOURCE === '1' || !existsSync(built)) return false;
  if (!existsSync(join(root, 'src'))) return true;
  const stamp = statSync(join(root, 'dist', '.stamp'), { throwIfNoEntry: false });
  return stamp !== undefined && stamp.mtimeMs >= newestSource(join(root, 'src'));
}

/**
 * V8's compiled code of the tool's modules kept between runs (a cron backup starts the same few hundred files every
 * night): about 15-20% of a command's start-up CPU. In the user's own cache folder (0700), never a shared /tmp.
 */
function useCompileCache() {
  if (process.env.OBEXAL_RUNBOOK_COMPILE_CACHE === '0') return;
  try {
    const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    const dir = join(base, 'obexal-runbook', 'compile-cache');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    enableCompileCache(dir);
  } catch {
    // No writable cache folder (a read-only home): the modules are compiled as without a cache, nothing else changes.
  }
}

/** `module` is relative to src/ without extension, e.g. `cli/main`. */
export async function launch(module) {
  if (module === 'cli/main') (await import('./startup-line.mjs')).startStartupLine();
  const built = join(root, 'dist', `${module}.js`);
  if (builtIsCurrent(built)) {
    useCompileCache();
    await import(pathToFileURL(built).href);
    return;
  }
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      `error: ${existsSync(built) ? 'dist/ is older than src/' : 'dist/ is missing'} and tsx is not installed\n` +
        "  what to do: run `npm run build` (or `npm install` with the development dependencies) in the tool's folder\n",
    );
    process.exit(2);
  }
  register();
  await import(pathToFileURL(join(root, 'src', `${module}.ts`)).href);
}
