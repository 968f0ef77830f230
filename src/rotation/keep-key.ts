/**
 * Until when the key of an ended era must stay in the vault (DESIGN §4): every dump that holds values under it
 * must stay readable as long as retention keeps the dump. A dump of the era is taken at the latest at the era's
 * end, so the retention window ends at the latest at end + RETENTION_DAYS; a pinned dump of the era is kept
 * until its pin expires. The key is kept until the later of the two.
 */
import type { Inventory, StoredBackup } from '../backup/inventory.js';
import { DAY_MS } from '../backup/retention.js';

export interface EraRef {
  label: string;
  fingerprint: string;
}

export interface EraDump {
  /** Where copies of it are: local, bucket or both. */
  locations: ('local' | 'bucket')[];
  name: string;
  takenAt: string;
  pinUntil: string | null;
}

export interface KeepKeyDecision {
  keepKeyUntil: string;
  windowEnd: string;
  /** The pinned dump of the era whose pin ends last, when it ends after the window. */
  longestPin: EraDump | null;
  /** The era's dumps that still exist (local, bucket or both), one entry per dump. */
  dumps: EraDump[];
  because: string;
}

export function belongsToEra(backup: StoredBackup, era: EraRef): boolean {
  return backup.manifest?.keyEras.some((e) => e.fingerprint === era.fingerprint || e.label === era.label) ?? false;
}

export function keepKeyUntil(
  era: EraRef,
  end: Date,
  retentionDays: number,
  inventories: readonly Inventory[],
): KeepKeyDecision {
  const windowEnd = new Date(end.getTime() + retentionDays * DAY_MS);
  const byName = new Map<string, EraDump>();
  for (const inventory of inventories) {
    for (const backup of inventory.backups) {
      if (!backup.dump || !belongsToEra(backup, era)) continue;
      const known = byName.get(backup.dump.name);
      if (known) known.locations.push(inventory.location);
      else
        byName.set(backup.dump.name, {
          locations: [inventory.location],
          name: backup.dump.name,
          takenAt: backup.takenAt.toISOString(),
          pinUntil: backup.pinUntil?.toISOString() ?? null,
        });
    }
  }
  const dumps = [...byName.values()];
  const pinned = dumps
    .filter((d) => d.pinUntil !== null && Date.parse(d.pinUntil) > windowEnd.getTime())
    .sort((a, b) => Date.parse(b.pinUntil as string) - Date.parse(a.pinUntil as string));
  const longestPin = pinned[0] ?? null;
  const until = longestPin ? new Date(longestPin.pinUntil as string) : windowEnd;
  const because = longestPin
    ? `${longestPin.name} (${longestPin.locations.join(' and ')}) is pinned ` +
      `until ${longestPin.pinUntil}, after the era's end plus the ${retentionDays}-day window ` +
      `(${windowEnd.toISOString()})`
    : `the era's end plus the ${retentionDays}-day retention ` +
      `window${dumps.some((d) => d.pinUntil) ? ' (no pin of its dumps ends later)' : ''}`;
  return { keepKeyUntil: until.toISOString(), windowEnd: windowEnd.toISOString(), longestPin, dumps, because };
}
