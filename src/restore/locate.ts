/**
 * Turns what the operator named (a path, a file in BACKUP_DIR, a bucket object, `local:`/`bucket:` from the
 * list, `latest`) into one dump and its manifest, when there is one that describes exactly this dump.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { StepFailedError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { parseManifestText, type StoredBackup } from '../backup/inventory.js';
import { DUMP_NAME, manifestNameForDump, type Manifest } from '../backup/manifest.js';
import type { Catalog } from './catalog.js';

export interface LocatedDump {
  origin: 'local' | 'bucket';
  name: string;
  /** Local file (origin local). */
  path?: string;
  /** Object name under S3_PREFIX (origin bucket). */
  objectName?: string;
  size: number;
  manifest: Manifest | null;
  manifestNote?: string;
}

export class DumpNotFoundError extends StepFailedError {}

function notFound(what: string, where: string[]): DumpNotFoundError {
  return new DumpNotFoundError(
    `dump ${what} not found (looked in ${where.join(', ')})`,
    'give the path of a .dump.age file, its name in BACKUP_DIR or in the bucket, or `latest`; run ' +
      '`obexal-runbook restore` on a terminal to choose from a list',
  );
}

/** A manifest describes this dump only when it names it. */
function checkNames(
  manifest: Manifest | undefined,
  dumpName: string,
  where: string,
): { manifest: Manifest | null; note?: string } {
  if (!manifest) return { manifest: null };
  if (manifest.dump.name !== dumpName)
    return { manifest: null, note: `the manifest ${where} describes ${manifest.dump.name}, not ${dumpName}` };
  return { manifest };
}

async function readLocalManifest(path: string): Promise<{ manifest?: Manifest; problem?: string }> {
  if (!existsSync(path)) return {};
  const parsed = parseManifestText(await readFile(path, 'utf8'));
  return 'manifest' in parsed ? { manifest: parsed.manifest } : { problem: `${path}: ${parsed.problem}` };
}

/** The manifest of a local dump: beside it, else in BACKUP_DIR. */
async function manifestForLocal(
  path: string,
  backupDir: string | undefined,
): Promise<{ manifest: Manifest | null; note?: string }> {
  const name = basename(path);
  const manifestName = manifestNameForDump(name);
  if (!manifestName)
    return {
      manifest: null,
      note: `${name} does not follow the obexal-<time>.dump[.age] naming: no manifest can be matched to it`,
    };
  const places = [join(dirname(path), manifestName), ...(backupDir ? [join(resolve(backupDir), manifestName)] : [])];
  const problems: string[] = [];
  for (const place of [...new Set(places)]) {
    const found = await readLocalManifest(place);
    if (found.problem) problems.push(found.problem);
    if (found.manifest) return checkNames(found.manifest, name, place);
  }
  return {
    manifest: null,
    note:
      problems.length > 0
        ? `manifest unusable: ${problems.join('; ')}`
        : `no manifest ${manifestName} beside the dump${backupDir ? ' or in BACKUP_DIR' : ''}`,
  };
}

function fromBackup(backup: StoredBackup, backupDir: string | undefined): LocatedDump {
  const dump = backup.dump as NonNullable<StoredBackup['dump']>;
  const checked = checkNames(backup.manifest, dump.name, backup.manifestFrom ?? backup.location);
  const base: LocatedDump = { origin: backup.location, name: dump.name, size: dump.size, manifest: checked.manifest };
  const note = checked.note ?? backup.manifestProblem ?? (backup.manifest ? undefined : 'no manifest for this dump');
  if (note) base.manifestNote = note;
  if (backup.location === 'local') base.path = join(resolve(backupDir ?? '.'), dump.name);
  else base.objectName = dump.name;
  return base;
}

export async function locateDump(
  text: string,
  settings: Pick<Settings, 'get'>,
  loadCatalog: () => Promise<Catalog>,
): Promise<LocatedDump> {
  const backupDir = settings.get('BACKUP_DIR');
  const listed = /^(local|bucket):(.+)$/.exec(text);
  if (listed) {
    const catalog = await loadCatalog();
    const inventory = listed[1] === 'local' ? catalog.local : catalog.bucket;
    const backup = inventory?.backups.find((b) => b.dump?.name === listed[2]);
    if (!backup) throw notFound(text, [listed[1] === 'local' ? `BACKUP_DIR ${backupDir ?? '(unset)'}` : 'the bucket']);
    return fromBackup(backup, backupDir);
  }
  const candidates = [resolve(text), ...(backupDir && !text.includes('/') ? [join(resolve(backupDir), text)] : [])];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const info = statSync(path);
    if (!info.isFile()) throw new DumpNotFoundError(`${path} is not a file`, 'give the path of the dump file itself');
    const { manifest, note } = await manifestForLocal(path, backupDir);
    const located: LocatedDump = { origin: 'local', name: basename(path), path, size: info.size, manifest };
    if (note) located.manifestNote = note;
    return located;
  }
  const where = [`the current folder`, ...(backupDir ? [`BACKUP_DIR ${backupDir}`] : [])];
  if (!settings.get('S3_BUCKET') || text.startsWith('/') || text.startsWith('.')) throw notFound(text, where);
  const catalog = await loadCatalog();
  if (!catalog.bucket) throw notFound(text, [...where, `the bucket (${catalog.bucketProblem ?? 'not reachable'})`]);
  const wanted = basename(text);
  const backup = catalog.bucket.backups.find((b) => b.dump?.name === wanted || b.dumps.some((d) => d.name === wanted));
  if (!backup?.dump) throw notFound(text, [...where, 'the bucket']);
  return fromBackup(backup, backupDir);
}

/** True when a name looks like one of our dumps (for early checks). */
export function isDumpName(name: string): boolean {
  return DUMP_NAME.test(name);
}
