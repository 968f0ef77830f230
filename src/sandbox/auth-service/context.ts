/** What the HTTP handlers share: the database, the keys, the pending MFA challenges, the issuer URL. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { KeyRing } from './config.js';
import type { MfaChallenges } from './mfa-challenges.js';

export interface ServiceContext {
  pool: pg.Pool;
  keys: KeyRing;
  challenges: MfaChallenges;
  /** The issuer URL (ISSUER, or http://host:port once listening). */
  issuer: () => string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, context: ServiceContext) => Promise<void>;

export const SESSION_COOKIE = 'obexal_session';
export const CSRF_COOKIE = 'obexal_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const TENANT_HEADER = 'x-obexal-tenant';
