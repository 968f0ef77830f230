/**
 * What dumps exist to restore from: BACKUP_DIR and the bucket (the backup module's inventories), as choices
 * for the operator and as candidates for `latest` (the newest verified dump of the same source, never a
 * `pre-restore` one). A bucket that cannot be reached is reported and the local folder still serves.
 */
import { messageOf } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { formatBytes } from '../core/format.js';
import type { Inventory, StoredBackup } from '../backup/inventory.js';

export interface Catalog {
  local: Inventory | undefined;
  bucket: Inventory | undefined;
  /** Why the bucket could not be listed (redacted message). */
  bucketProblem?: string;
}

export interface CatalogChoice {
  value: string;
  label: string;
  backup: StoredBackup;
}

export async function readCatalog(settings: Pick<Settings, 'get' | 'env'>, signal: AbortSignal): Promise<Catalog> {
  const { localInventory } = await import('../backup/inventory.js');
  const backupDir = settings.get('BACKUP_DIR');
  const local = backupDir ? await localInventory(backupDir) : undefined;
  if (!settings.get('S3_BUCKET')) return { local, bucket: undefined };
  try {
    const [{ s3SettingsFromSettings }, s3, { bucketInventory, manifestsByStamp }] = await Promise.all([
      import('../s3/settings.js'),
      import('../s3/client.js'),
      import('../backup/bucket-inventory.js'),
    ]);
    const context = s3.openS3(s3SettingsFromSettings(settings), { maxAttempts: 2 });
    try {
      const bucket = await bucketInventory(context, {
        signal,
        ...(local ? { localManifests: manifestsByStamp(local) } : {}),
      });
      return { local, bucket };
    } finally {
      s3.closeS3(context);
    }
  } catch (error) {
    if (signal.aborted) throw error;
    return { local, bucket: undefined, bucketProblem: messageOf(error) };
  }
}

export function refOf(backup: StoredBackup): string | undefined {
  return backup.dump ? `${backup.location}:${backup.dump.name}` : undefined;
}

export function describeBackup(backup: StoredBackup): string {
  const when = backup.takenAt
    .toISOString()
    .replace(/:\d\d\.\d+Z$/, 'Z')
    .replace('T', ' ');
  const size = backup.dump ? formatBytes(backup.dump.size) : 'no dump';
  const eras = backup.manifest?.keyEras.map((e) => e.label).join('+') || 'era ?';
  const state = backup.verified ? 'verified' : backup.manifest ? 'not verified' : 'no manifest';
  return `${when}  ${size.padStart(10)}  ${(backup.reason ?? '?').padEnd(13)}  ${eras}  ${state}  (${backup.location})`;
}

/** Every restorable dump, newest first (local before bucket at the same time). */
export function catalogChoices(catalog: Catalog): CatalogChoice[] {
  const all = [...(catalog.local?.backups ?? []), ...(catalog.bucket?.backups ?? [])].filter(
    (b) => b.dump !== undefined,
  );
  all.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || (a.location === 'local' ? -1 : 1));
  return all.map((backup) => ({ value: refOf(backup) as string, label: describeBackup(backup), backup }));
}

/** The verified, non-pre-restore backups of the catalog, newest first. */
export function verifiedBackups(catalog: Catalog, source?: string): StoredBackup[] {
  return catalogChoices(catalog)
    .map((c) => c.backup)
    .filter((b) => b.verified && b.reason !== 'pre-restore' && (source === undefined || b.source === source));
}

export function sourcesOf(backups: readonly StoredBackup[]): string[] {
  return [...new Set(backups.map((b) => b.source).filter((s): s is string => s !== undefined))];
}
