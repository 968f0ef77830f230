/**
 * What `pgbackrest info --output=json` says of a stanza, narrowed to what the runbooks use: the backups (label,
 * type, start/stop times, sizes) and the archived WAL range. Parsed with zod; fields we do not use are ignored.
 */
import { z } from 'zod';
import { StepFailedError } from '../core/errors.js';
import { runPgBackRest, type PgBackRestRunner } from './pgbackrest.js';

const BackupSchema = z.object({
  label: z.string(),
  type: z.enum(['full', 'diff', 'incr']),
  error: z.boolean().optional(),
  timestamp: z.object({ start: z.number(), stop: z.number() }),
  info: z.object({ size: z.number(), repository: z.object({ size: z.number(), delta: z.number().optional() }) }),
  archive: z.object({ start: z.string().nullable(), stop: z.string().nullable() }).partial().optional(),
});

const StanzaSchema = z.object({
  name: z.string(),
  status: z.object({ code: z.number(), message: z.string() }),
  backup: z.array(BackupSchema).default([]),
  archive: z.array(z.object({ min: z.string().nullable(), max: z.string().nullable() })).default([]),
  cipher: z.string().optional(),
});

export type PhysicalBackup = z.infer<typeof BackupSchema>;
export type StanzaInfo = z.infer<typeof StanzaSchema>;

export function parseInfo(text: string, stanza: string): StanzaInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StepFailedError(
      'pgbackrest info did not print JSON',
      'run `pgbackrest info` by hand with the same configuration to see why',
    );
  }
  const list = z.array(StanzaSchema).safeParse(parsed);
  if (!list.success)
    throw new StepFailedError(
      'pgbackrest info printed JSON of an unexpected shape',
      'this pgBackRest version may be unsupported (2.45 is tested)',
    );
  const found = list.data.find((s) => s.name === stanza);
  if (!found)
    throw new StepFailedError(
      `the pgBackRest repository has no stanza ${stanza}`,
      'run the pitr-setup runbook first (it creates the stanza)',
    );
  return found;
}

export async function readInfo(runner: PgBackRestRunner): Promise<StanzaInfo> {
  const result = await runPgBackRest({ ...runner, onLine: undefined }, 'info', ['--output=json'], {
    captureStdout: true,
    logLevel: 'warn',
  });
  return parseInfo(result.stdout, runner.stanza);
}

/** Good backups, oldest first. */
export function goodBackups(info: StanzaInfo): PhysicalBackup[] {
  return info.backup.filter((b) => !b.error).sort((a, b) => a.timestamp.stop - b.timestamp.stop);
}

export function backupTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
