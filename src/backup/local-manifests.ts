/** The manifests in BACKUP_DIR, read leniently (a file that does not parse is skipped, not fatal). */
import type { DumpCompression } from '../core/backup-values.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_NAME, ManifestSchema, type Manifest } from './manifest.js';

export async function readLocalManifests(backupDir: string): Promise<{ name: string; manifest: Manifest }[]> {
  let names: string[];
  try {
    names = await readdir(backupDir);
  } catch {
    return [];
  }
  const found: { name: string; manifest: Manifest }[] = [];
  for (const name of names.filter((n) => MANIFEST_NAME.test(n)).sort()) {
    try {
      const parsed = ManifestSchema.safeParse(JSON.parse(await readFile(join(backupDir, name), 'utf8')));
      if (parsed.success) found.push({ name, manifest: parsed.data });
    } catch {
      // unreadable: retention and status judge it; here it only means no estimate from it
    }
  }
  return found;
}

/** Size of the newest dump of the same source, for the free-space estimate. */
export async function previousDumpBytes(
  backupDir: string,
  systemIdentifier: string,
  database: string,
): Promise<number | undefined> {
  const same = (await readLocalManifests(backupDir)).filter(
    ({ manifest }) => manifest.source.systemIdentifier === systemIdentifier && manifest.source.database === database,
  );
  same.sort((a, b) => Date.parse(b.manifest.finishedAt) - Date.parse(a.manifest.finishedAt));
  return same[0]?.manifest.dump.size;
}

/**
 * Bytes to have free before dumping: 1.25 × the last dump of this source when there is one, else the database's
 * size × a ratio (compressed dumps of identity-provider data measured 0.18-0.74 of the database size,
 * uncompressed up to 1.4). A refusal here is only a first line: a disk that fills anyway fails cleanly.
 */
export function estimateDumpBytes(
  databaseBytes: number,
  compression: DumpCompression,
  previous: number | undefined,
): number {
  if (previous !== undefined && previous > 0) return Math.ceil(previous * 1.25);
  const uncompressed = compression.codec === 'gzip' && compression.level === 0;
  return Math.ceil(databaseBytes * (uncompressed ? 1.5 : 0.5));
}
