/** The size knob: explicit counts, or a target size in MB turned into counts by measured bytes per row. */
import { UsageError } from '../../core/errors.js';

export interface SeedSize {
  users?: number;
  auditEvents?: number;
  targetMb?: number;
}

export interface ResolvedSeedSize {
  /** Rows in `users`, the drill account included. */
  users: number;
  /** Rows in `audit_log`. */
  auditEvents: number;
}

export const DEFAULT_SEED_SIZE: ResolvedSeedSize = { users: 500, auditEvents: 5_000 };
export const AUDIT_EVENTS_PER_USER = 10;

/**
 * On-disk bytes (heap, TOAST and indexes) per seeded row, measured with pg_database_size on PostgreSQL 15.
 * A user carries its password credential, a 30% share of TOTP and a 25% share of sessions.
 */
export const BYTES_PER_USER = 690;
export const BYTES_PER_AUDIT_EVENT = 510;
/** The empty schema and catalogs of a fresh database. */
export const BASE_DATABASE_BYTES = 8 * 1024 * 1024;

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`${name} must be a whole number of at least ${min}`, `for example --${name} 1000`);
  }
}

export function resolveSeedSize(size: SeedSize = {}): ResolvedSeedSize {
  checkCount('users', size.users, 1);
  checkCount('audit-events', size.auditEvents, 0);
  if (size.targetMb !== undefined && !(Number.isFinite(size.targetMb) && size.targetMb > 0)) {
    throw new UsageError('target-mb must be a positive number of megabytes', 'for example --target-mb 1024');
  }
  if (size.targetMb === undefined) {
    const users = size.users ?? DEFAULT_SEED_SIZE.users;
    const auditEvents =
      size.auditEvents ?? (size.users === undefined ? DEFAULT_SEED_SIZE.auditEvents : users * AUDIT_EVENTS_PER_USER);
    return { users, auditEvents };
  }
  const budget = Math.max(0, size.targetMb * 1024 * 1024 - BASE_DATABASE_BYTES);
  if (size.users !== undefined && size.auditEvents !== undefined) {
    return { users: size.users, auditEvents: size.auditEvents };
  }
  if (size.users !== undefined) {
    const left = Math.max(0, budget - size.users * BYTES_PER_USER);
    return { users: size.users, auditEvents: Math.floor(left / BYTES_PER_AUDIT_EVENT) };
  }
  if (size.auditEvents !== undefined) {
    const left = Math.max(0, budget - size.auditEvents * BYTES_PER_AUDIT_EVENT);
    return { users: Math.max(1, Math.floor(left / BYTES_PER_USER)), auditEvents: size.auditEvents };
  }
  const users = Math.max(1, Math.floor(budget / (BYTES_PER_USER + AUDIT_EVENTS_PER_USER * BYTES_PER_AUDIT_EVENT)));
  return { users, auditEvents: users * AUDIT_EVENTS_PER_USER };
}
