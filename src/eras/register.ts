/**
 * The key-era register (DESIGN §4): which ENCRYPTION_KEY was in force when, by fingerprint only (the tool never
 * stores a key). Pure functions over the `obexal-key-eras@v1` document; reading and writing live in store.ts.
 */
import { z } from 'zod';
import { UsageError } from '../core/errors.js';

export const REGISTER_SCHEMA = 'obexal-key-eras@v1';
export const REGISTER_FILE_NAME = 'key-eras.json';
export const ERA_LABEL = /^[a-z0-9-]+$/;

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO date' });

export const KeyEraSchema = z
  .object({
    label: z.string().regex(ERA_LABEL, { message: 'an era label is lower-case letters, digits and dashes' }),
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/, { message: 'expected a hex SHA-256 fingerprint' }),
    start: isoDate,
    end: isoDate.nullable(),
    keepKeyUntil: isoDate.nullable(),
  })
  .strict();

export const KeyEraRegisterSchema = z
  .object({
    schema: z.literal(REGISTER_SCHEMA),
    eras: z.array(KeyEraSchema),
  })
  .strict()
  .superRefine((register, ctx) => {
    const labels = new Set<string>();
    for (const [index, era] of register.eras.entries()) {
      if (labels.has(era.label))
        ctx.addIssue({
          code: 'custom',
          path: ['eras', index, 'label'],
          message: `era label "${era.label}" is used twice`,
        });
      labels.add(era.label);
    }
  });

export type KeyEra = z.infer<typeof KeyEraSchema>;
export type KeyEraRegister = z.infer<typeof KeyEraRegisterSchema>;

/** What a manifest records of an era. */
export interface EraRef {
  label: string;
  fingerprint: string;
}

export function validateEraLabel(label: string): string {
  const text = label.trim();
  if (!ERA_LABEL.test(text)) {
    throw new UsageError(
      `"${label}" is not a valid era label`,
      'use lower-case letters, digits and dashes, e.g. era-2026-11',
    );
  }
  return text;
}

/** `era-<yyyy-mm>` of a date (UTC), the suggested label for a new era. */
export function suggestEraLabel(date = new Date()): string {
  return `era-${date.toISOString().slice(0, 7)}`;
}

export function emptyRegister(): KeyEraRegister {
  return { schema: REGISTER_SCHEMA, eras: [] };
}

/** A register copy that exists but cannot be read: never replaced by a new one, never a reason to skip a dump. */
export class DamagedRegisterError extends UsageError {
  constructor(source: string, problem: string) {
    super(
      `the key-era register ${source} is not valid${problem}`,
      'fix the file by hand (it holds labels, fingerprints and dates only) or restore it from the ' +
        'bucket or a backup of it',
    );
  }
}

/** Parses a register document; the message names the source and the first problem. */
export function parseRegister(value: unknown, source: string): KeyEraRegister {
  const parsed = KeyEraRegisterSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new DamagedRegisterError(source, `${where}: ${issue?.message ?? 'unknown problem'}`);
  }
  return parsed.data;
}

/** Eras with no end: the key(s) in force now. Two mean a rotation is under way. */
export function openEras(register: KeyEraRegister): KeyEra[] {
  return register.eras.filter((era) => era.end === null);
}

/** Eras in force at `at` (start ≤ at < end). */
export function erasAt(register: KeyEraRegister, at: Date): KeyEra[] {
  const time = at.getTime();
  return register.eras.filter(
    (era) => Date.parse(era.start) <= time && (era.end === null || Date.parse(era.end) > time),
  );
}

/**
 * The era(s) a dump taken now belongs to: the open ones (DESIGN §4: no key is needed at backup time). When no
 * era is open (a register closed by hand), the eras in force at `at`.
 */
export function eraForDump(register: KeyEraRegister, at = new Date()): EraRef[] {
  const open = openEras(register);
  const eras = open.length > 0 ? open : erasAt(register, at);
  return eras.map(({ label, fingerprint }) => ({ label, fingerprint }));
}

export function findEraByFingerprint(register: KeyEraRegister, fingerprint: string): KeyEra | undefined {
  return register.eras.find((era) => era.fingerprint === fingerprint);
}

export function findEraByLabel(register: KeyEraRegister, label: string): KeyEra | undefined {
  return register.eras.find((era) => era.label === label);
}

/** A register with one more open era (a new key put in force). */
export function addEra(
  register: KeyEraRegister,
  era: { label: string; fingerprint: string; start?: string },
): KeyEraRegister {
  const label = validateEraLabel(era.label);
  if (findEraByLabel(register, label))
    throw new UsageError(`the era "${label}" is already in the register`, 'choose another label');
  const existing = findEraByFingerprint(register, era.fingerprint);
  if (existing) {
    throw new UsageError(
      `this key is already registered as era "${existing.label}"`,
      'a new era needs a new ENCRYPTION_KEY',
    );
  }
  const next: KeyEra = {
    label,
    fingerprint: era.fingerprint,
    start: era.start ?? new Date().toISOString(),
    end: null,
    keepKeyUntil: null,
  };
  return { ...register, eras: [...register.eras, next] };
}

/** A register in which era `label` ended at `end`, its key to be kept until `keepKeyUntil`. */
export function closeEra(
  register: KeyEraRegister,
  label: string,
  end: string,
  keepKeyUntil: string | null,
): KeyEraRegister {
  if (!findEraByLabel(register, label))
    throw new UsageError(
      `no era "${label}" in the register`,
      'check the label (`obexal-runbook retention` lists the eras)',
    );
  return { ...register, eras: register.eras.map((era) => (era.label === label ? { ...era, end, keepKeyUntil } : era)) };
}
