/**
 * A validated runbook kept between runs: reading one (YAML, schema, the semantic checks against the actions) took
 * 25-50 ms of CPU on every run of a cron backup whose runbook never changes. The entry is the runbook as validated,
 * under a key of the build (`npm run build` writes its id into the bundle: another build, another key), the file's
 * path and its bytes; anything else is read and validated as before. Only the built tool caches (run from the
 * sources there is no build id), only runbooks without `uses:` (an included file could change unseen), never an
 * invalid runbook. One entry per runbook file, in `<config dir>/cache/runbooks/` (0600 in 0700 folders).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_RUNBOOK_BYTES } from '../core/input-limits.js';
import type { Runbook } from '../engine/runbook-schema.js';

declare const __OBEXAL_BUILD_ID__: string | undefined;

/** Written into the bundle by scripts/bundle-dist.mjs (a hash of the sources); undefined when run from the sources. */
export const BUILD_ID: string | undefined = typeof __OBEXAL_BUILD_ID__ === 'string' ? __OBEXAL_BUILD_ID__ : undefined;

const sha256 = (...parts: (string | Buffer)[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

interface Entry {
  key: string;
  runbook: Runbook;
}

async function readEntry(path: string, key: string, fileSha256: string): Promise<Runbook | undefined> {
  try {
    const entry = JSON.parse(await readFile(path, 'utf8')) as Partial<Entry>;
    if (entry.key === key && entry.runbook?.sha256 === fileSha256) return entry.runbook;
  } catch {
    // No entry yet, or one that does not parse: the runbook is validated again and the entry rewritten.
  }
  return undefined;
}

async function writeEntry(dir: string, path: string, entry: Entry): Promise<void> {
  const partial = `${path}.${process.pid}.partial`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(partial, JSON.stringify(entry), { mode: 0o600 });
    await rename(partial, path);
  } catch {
    // A cache only (a read-only configuration folder, a full disk): the next run validates the runbook again.
    await rm(partial, { force: true });
  }
}

/** `load(file)` (read and validate), or the runbook an earlier run of this build validated from the same bytes. */
export async function loadRunbookCached(
  file: string,
  configDir: string,
  load: (file: string) => Promise<Runbook>,
  buildId: string | undefined = BUILD_ID,
): Promise<Runbook> {
  if (!buildId) return load(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return load(file); // which says what is wrong with the file
  }
  if (bytes.length > MAX_RUNBOOK_BYTES || /^[\s-]*uses\s*:/m.test(bytes.toString('utf8'))) return load(file);
  const absolute = resolve(file);
  const fileSha256 = sha256(bytes);
  const key = sha256(buildId, '\0', absolute, '\0', fileSha256);
  const dir = join(configDir, 'cache', 'runbooks');
  const path = join(dir, `${sha256(absolute).slice(0, 32)}.json`);
  const cached = await readEntry(path, key, fileSha256);
  if (cached) return cached;
  const runbook = await load(file);
  // Stored only when what was validated is the bytes the key names (the file did not change in between).
  if (runbook.sha256 === fileSha256) await writeEntry(dir, path, { key, runbook });
  return runbook;
}
