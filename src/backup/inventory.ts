/**
 * What backups exist in one place (BACKUP_DIR, or the bucket under S3_PREFIX): dumps grouped with their
 * manifests by the timestamp in their names, with the time, reason, pin, source and verification the
 * manifest records. Only names that follow our naming are backups; anything else is listed as ignored and
 * never touched. No AWS SDK here (bucket-inventory.ts reads the bucket).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StepFailedError } from '../core/errors.js';
import {
  DUMP_NAME,
  MANIFEST_NAME,
  ManifestSchema,
  parseCompactUtc,
  type BackupReason,
  type Manifest,
} from './manifest.js';

export type BackupLocation = 'local' | 'bucket';

/** A dump or manifest being written (or left by a run that died): ours only. */
export const PARTIAL_NAME = /^obexal-(\d{8}T\d{6}Z)\.(?:dump(?:\.zst)?(?:\.age)?|manifest\.json)\.partial$/;

export interface StoredFile {
  name: string;
  size: number;
  modifiedAt?: Date;
  /** The `sha256` object metadata (bucket, when it was read). */
  sha256?: string;
}

export interface StoredBackup {
  location: BackupLocation;
  /** The compact UTC timestamp shared by the dump and manifest names. */
  stamp: string;
  /** The dump the manifest names (or the only dump of this stamp). */
  dump?: StoredFile;
  /** Every dump of this stamp (normally one; `.dump` and `.dump.age` together would be two). */
  dumps: StoredFile[];
  manifestFile?: StoredFile;
  /** The manifest of this location, or the other location's when this one has none. */
  manifest?: Manifest;
  manifestFrom?: BackupLocation;
  /** Why a manifest file that exists could not be used. */
  manifestProblem?: string;
  /** When the backup was taken: the manifest's start time, else the name's timestamp. */
  takenAt: Date;
  timeFrom: 'manifest' | 'file name';
  reason?: BackupReason;
  pinUntil?: Date;
  /** `<system identifier>/<database>` from the manifest. */
  source?: string;
  /** A dump, its manifest, and the dump's size (and SHA-256 metadata, when read) match the manifest. */
  complete: boolean;
  /** Complete, and the manifest says this location's copy was verified (local: `verified.local`; bucket:
   * `verified.bucket`). */
  verified: boolean;
}

export interface Inventory {
  location: BackupLocation;
  /** Where: the folder, or s3://bucket/prefix. */
  where: string;
  /** Oldest first (by takenAt). */
  backups: StoredBackup[];
  partials: StoredFile[];
  /** Names that are not ours (never touched). Sub-folders and dot files are not listed. */
  ignored: string[];
  /** BACKUP_DIR does not exist (nothing local). */
  missing?: boolean;
}

export type NameKind = { kind: 'dump' | 'manifest' | 'partial'; stamp: string } | { kind: 'foreign' };

export function classifyName(name: string): NameKind {
  let m = DUMP_NAME.exec(name);
  if (m) return validStamp(m[1]) ? { kind: 'dump', stamp: m[1] as string } : { kind: 'foreign' };
  m = MANIFEST_NAME.exec(name);
  if (m) return validStamp(m[1]) ? { kind: 'manifest', stamp: m[1] as string } : { kind: 'foreign' };
  m = PARTIAL_NAME.exec(name);
  if (m) return validStamp(m[1]) ? { kind: 'partial', stamp: m[1] as string } : { kind: 'foreign' };
  return { kind: 'foreign' };
}

function validStamp(stamp: string | undefined): boolean {
  if (!stamp) return false;
  const date = parseCompactUtc(stamp);
  return (
    !Number.isNaN(date.getTime()) &&
    date
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z') === stamp
  );
}

/** Parses manifest text; the problem as text when it is not a manifest of ours. */
export function parseManifestText(
  text: string,
): { manifest: Manifest; raw: Record<string, unknown> } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: 'not valid JSON' };
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      problem: `not a valid manifest (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema'})`,
    };
  }
  return { manifest: parsed.data, raw: raw as Record<string, unknown> };
}

export interface GroupInput {
  location: BackupLocation;
  where: string;
  files: StoredFile[];
  /** The manifests of this location that could be read, by manifest file name. */
  manifests: Map<string, Manifest>;
  manifestProblems: Map<string, string>;
  /** Manifests of the other location by stamp, used when this location has none. */
  fallbackManifests?: Map<string, Manifest>;
}

type StampGroup = { dumps: StoredFile[]; manifestFile?: StoredFile };

/** Files by the stamp in their names; partial files and names that are not ours apart. */
function groupByStamp(files: readonly StoredFile[]): {
  byStamp: Map<string, StampGroup>;
  partials: StoredFile[];
  ignored: string[];
} {
  const byStamp = new Map<string, StampGroup>();
  const partials: StoredFile[] = [];
  const ignored: string[] = [];
  for (const file of files) {
    const kind = classifyName(file.name);
    if (kind.kind === 'foreign') {
      ignored.push(file.name);
      continue;
    }
    if (kind.kind === 'partial') {
      partials.push(file);
      continue;
    }
    const group = byStamp.get(kind.stamp) ?? { dumps: [] };
    if (kind.kind === 'dump') group.dumps.push(file);
    else group.manifestFile = file;
    byStamp.set(kind.stamp, group);
  }
  return { byStamp, partials, ignored };
}

/** Groups names into backups, partials and ignored names, and works out time, pin, source and verification. */
export function groupInventory(input: GroupInput): Inventory {
  const { byStamp, partials, ignored } = groupByStamp(input.files);
  const backups: StoredBackup[] = [];
  for (const [stamp, group] of byStamp) {
    const own = group.manifestFile ? input.manifests.get(group.manifestFile.name) : undefined;
    const fallback = input.fallbackManifests?.get(stamp);
    const manifest = own ?? fallback;
    const dump =
      (manifest && group.dumps.find((d) => d.name === manifest.dump.name)) ??
      (group.dumps.length === 1 ? group.dumps[0] : undefined);
    const takenAtManifest = manifest ? new Date(manifest.startedAt) : undefined;
    const useManifestTime = takenAtManifest !== undefined && !Number.isNaN(takenAtManifest.getTime());
    const backup: StoredBackup = {
      location: input.location,
      stamp,
      dumps: group.dumps,
      takenAt: useManifestTime ? (takenAtManifest as Date) : parseCompactUtc(stamp),
      timeFrom: useManifestTime ? 'manifest' : 'file name',
      complete: false,
      verified: false,
    };
    if (dump) backup.dump = dump;
    if (group.manifestFile) backup.manifestFile = group.manifestFile;
    const problem = group.manifestFile ? input.manifestProblems.get(group.manifestFile.name) : undefined;
    if (problem) backup.manifestProblem = problem;
    if (manifest) {
      backup.manifest = manifest;
      backup.manifestFrom = own ? input.location : input.location === 'local' ? 'bucket' : 'local';
      backup.reason = manifest.reason;
      backup.source = `${manifest.source.systemIdentifier}/${manifest.source.database}`;
      if (manifest.pin) {
        const until = new Date(manifest.pin.until);
        if (!Number.isNaN(until.getTime())) backup.pinUntil = until;
      }
      backup.complete =
        own !== undefined &&
        dump !== undefined &&
        dump.name === manifest.dump.name &&
        dump.size === manifest.dump.size &&
        (dump.sha256 === undefined || dump.sha256.toLowerCase() === manifest.dump.sha256);
      backup.verified =
        backup.complete && (input.location === 'local' ? manifest.verified.local : manifest.verified.bucket);
    }
    backups.push(backup);
  }
  backups.sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime() || a.stamp.localeCompare(b.stamp));
  partials.sort((a, b) => a.name.localeCompare(b.name));
  ignored.sort();
  return { location: input.location, where: input.where, backups, partials, ignored };
}

/** Reads BACKUP_DIR without changing anything. An absent folder holds nothing. */
export async function localInventory(dir: string): Promise<Inventory> {
  const where = resolve(dir);
  let entries;
  try {
    entries = await readdir(where, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { location: 'local', where, backups: [], partials: [], ignored: [], missing: true };
    throw new StepFailedError(
      `cannot read BACKUP_DIR ${where}: ${code ?? String(error)}`,
      'check BACKUP_DIR and that this user may read it',
    );
  }
  const files: StoredFile[] = [];
  const manifests = new Map<string, Manifest>();
  const manifestProblems = new Map<string, string>();
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const path = join(where, entry.name);
    const info = await stat(path).catch(() => undefined);
    if (!info) continue; // removed meanwhile
    files.push({ name: entry.name, size: info.size, modifiedAt: info.mtime });
    if (classifyName(entry.name).kind === 'manifest') {
      const parsed = parseManifestText(await readFile(path, 'utf8').catch(() => ''));
      if ('manifest' in parsed) manifests.set(entry.name, parsed.manifest);
      else manifestProblems.set(entry.name, parsed.problem);
    }
  }
  return groupInventory({ location: 'local', where, files, manifests, manifestProblems });
}

/** The newest verified backup (never a `pre-restore` one), optionally of one source. */
export function newestVerified(inventory: Inventory, source?: string): StoredBackup | undefined {
  const candidates = inventory.backups.filter(
    (b) => b.verified && b.reason !== 'pre-restore' && (source === undefined || b.source === source),
  );
  return candidates.at(-1);
}
