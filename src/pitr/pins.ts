/**
 * Pins for physical backups (a pre-migration or pre-rotation backup kept past RETENTION_DAYS). pgBackRest 2.45 has
 * no pin of its own and expires full backups by age (`repo1-retention-full-type=time`), so a pin works by widening
 * the retention that backup's own `expire` uses: to the age of the oldest full backup still pinned, plus a day.
 * Pins are kept in the tool's state folder (`pitr-pins.json`), never in the repository.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const DAY_MS = 24 * 3600_000;
const FULL_LABEL = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})F/;

export interface PhysicalPin {
  /** The backup's label; its full backup (the label's first part) is what retention must keep. */
  label: string;
  until: string;
  reason: string;
}

export function pinsFile(configDir: string): string {
  return join(configDir, 'pitr-pins.json');
}

export async function readPins(file: string): Promise<PhysicalPin[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '[]';
    throw error;
  });
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? (parsed as PhysicalPin[]) : [];
}

export async function addPin(file: string, pin: PhysicalPin, now = new Date()): Promise<void> {
  const live = (await readPins(file)).filter((p) => p.until > now.toISOString() && p.label !== pin.label);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(`${file}.partial`, `${JSON.stringify([...live, pin], null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.partial`, file);
}

/** When the full backup a label belongs to was started (pgBackRest labels carry it, in UTC). */
export function fullBackupTime(label: string): Date | undefined {
  const m = FULL_LABEL.exec(label);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

/** The retention (days of full backups) that keeps every live pin: RETENTION_DAYS, or more. */
export function retentionWithPins(retentionDays: number, pins: PhysicalPin[], now = new Date()): number {
  let days = retentionDays;
  for (const pin of pins) {
    const started = fullBackupTime(pin.label);
    if (!started || pin.until <= now.toISOString()) continue;
    days = Math.max(days, Math.ceil((now.getTime() - started.getTime()) / DAY_MS) + 1);
  }
  return days;
}
