/**
 * The four drill checks of Obexal's guide, through real HTTP against the drill's auth-service:
 * the JWKS lists exactly the restored database's signing keys; a password login answers the MFA challenge; the
 * MFA completion (CSRF token and cookie, TOTP code from the drill account's seed) sets a session; `/v1/auth/me`
 * with that session returns the drill account. Each returns a verdict with a reason; none throws on a failed
 * check. Tokens and cookies are handed back to the caller, which keeps them as secrets (never in the data).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Secret, TOTP } from 'otpauth';
import { UsageError } from '../core/errors.js';
import { addSecret } from '../core/redact.js';
import { describeAnswer, describeRequestError, request, type HttpAnswer } from './http.js';

export interface DrillEndpoints {
  jwks: string;
  openidConfiguration: string;
  csrf: string;
  login: string;
  mfa: string;
  me: string;
  tenantHeader: string;
  csrfHeader: string;
  sessionCookie: string;
}

/** Obexal's own paths, headers and cookie (DESIGN §5). */
export const OBEXAL_ENDPOINTS: DrillEndpoints = {
  jwks: '/.well-known/jwks.json',
  openidConfiguration: '/.well-known/openid-configuration',
  csrf: '/v1/csrf',
  login: '/v1/auth/login',
  mfa: '/v1/auth/mfa',
  me: '/v1/auth/me',
  tenantHeader: 'X-Obexal-Tenant',
  csrfHeader: 'X-CSRF-Token',
  sessionCookie: 'obexal_session',
};

export interface CheckVerdict {
  passed: boolean;
  /** One line: what was seen, and on failure why it fails. */
  reason: string;
  details: Record<string, unknown>;
}

const pass = (reason: string, details: Record<string, unknown> = {}): CheckVerdict => ({
  passed: true,
  reason,
  details,
});
const fail = (reason: string, details: Record<string, unknown> = {}): CheckVerdict => ({
  passed: false,
  reason,
  details,
});

async function call(url: string, run: () => Promise<HttpAnswer>): Promise<HttpAnswer | CheckVerdict> {
  try {
    return await run();
  } catch (error) {
    return fail(describeRequestError(error, url));
  }
}

function isVerdict(value: HttpAnswer | CheckVerdict): value is CheckVerdict {
  return 'passed' in value;
}

/**
 * How a served JWKS must match the database's signing keys: `exact` (the drill's default: every active or retired
 * key and no other, so a service on another database fails) or `any` (the restore's default: at least one of them,
 * a service that also serves a key it made at start passes). LIVE_JWKS_STRICTNESS sets it for every check.
 */
export type JwksStrictness = 'exact' | 'any';
export const JWKS_STRICTNESS_SETTING = 'LIVE_JWKS_STRICTNESS';

/** The strictness a check uses: the step's own, else LIVE_JWKS_STRICTNESS, else the check's default. */
export function jwksStrictness(
  own: JwksStrictness | undefined,
  setting: string | undefined,
  fallback: JwksStrictness,
): JwksStrictness {
  if (own) return own;
  if (setting === undefined || setting === '') return fallback;
  if (setting === 'exact' || setting === 'any') return setting;
  throw new UsageError(
    `${JWKS_STRICTNESS_SETTING}=${setting} is not a strictness`,
    `set ${JWKS_STRICTNESS_SETTING} to exact (the JWKS lists exactly the database's signing keys) or any (at least ` +
      'one of them)',
  );
}

function jwksMismatch(
  served: readonly string[],
  expected: readonly string[],
  strictness: JwksStrictness,
): { missing: string[]; unexpected: string[]; matched: number; ok: boolean } {
  const missing = expected.filter((kid) => !served.includes(kid));
  const unexpected = served.filter((kid) => !expected.includes(kid));
  const matched = expected.length - missing.length;
  const ok = strictness === 'exact' ? missing.length === 0 && unexpected.length === 0 : matched > 0;
  return { missing, unexpected, matched, ok };
}

/**
 * JWKS: at least one key, each with a kid, matching the database's signing keys as `strictness` says (exact: the
 * drill's; any: the restore's). `expectedKids` undefined: the database has no signing keys table, only the keys
 * are checked.
 */
export async function checkJwks(
  baseUrl: string,
  endpoints: DrillEndpoints,
  expectedKids: readonly string[] | undefined,
  signal: AbortSignal,
  strictness: JwksStrictness = 'exact',
): Promise<CheckVerdict> {
  const url = `${baseUrl}${endpoints.jwks}`;
  const answer = await call(url, () => request(url, { signal }));
  if (isVerdict(answer)) return answer;
  if (answer.status !== 200) return fail(`${endpoints.jwks} answered ${describeAnswer(answer)}`);
  const keys = (answer.json as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys)) return fail(`${endpoints.jwks} is not a JWK set (no "keys" array)`);
  const kids = keys
    .map((key) => (key && typeof key === 'object' ? (key as { kid?: unknown }).kid : undefined))
    .filter((kid): kid is string => typeof kid === 'string');
  const served = [...new Set(kids)].sort();
  const details = { keys: keys.length, servedKids: served, expectedKids: expectedKids ?? null, strictness };
  if (keys.length === 0) return fail(`${endpoints.jwks} lists no key: the service cannot sign tokens`, details);
  if (kids.length !== keys.length)
    return fail(`${keys.length - kids.length} key(s) of ${endpoints.jwks} have no kid`, details);
  if (expectedKids === undefined)
    return pass(`${keys.length} key(s) (the database has no signing keys table)`, details);
  const expected = [...new Set(expectedKids)].sort();
  if (expected.length === 0)
    return fail('the restored database holds no active or retired signing key, so no JWKS can match it', details);
  const { missing, unexpected, matched, ok } = jwksMismatch(served, expected, strictness);
  if (!ok) return fail(mismatchReason(missing, unexpected, strictness), { ...details, missing, unexpected, matched });
  return pass(
    strictness === 'exact'
      ? `${keys.length} key(s), kids ${served.join(', ')}: exactly the restored database's signing keys`
      : `${keys.length} key(s), ${matched} of the restored database's ${expected.length}`,
    { ...details, matched },
  );
}

function mismatchReason(missing: readonly string[], unexpected: readonly string[], strictness: JwksStrictness) {
  if (strictness === 'any')
    return (
      `the JWKS serves none of the restored database's signing keys (${missing.join(', ')}): the service is ` +
      'not running against the restored database'
    );
  const parts = [
    missing.length > 0 ? `missing ${missing.join(', ')}` : '',
    unexpected.length > 0 ? `not in the restored database: ${unexpected.join(', ')}` : '',
  ].filter(Boolean);
  return (
    `the JWKS does not match the restored database's signing keys (${parts.join('; ')}): the ` +
    `service did not serve the drill database`
  );
}

export interface LoginCredentials {
  tenant: string;
  email: string;
  password: string;
}

export interface LoginResult {
  verdict: CheckVerdict;
  /** The MFA challenge token when the login answered one (a secret: registered for redaction). */
  mfaToken?: string;
}

/** Password login: must answer the MFA challenge (the drill account has TOTP enrolled). */
export async function checkLogin(
  baseUrl: string,
  endpoints: DrillEndpoints,
  credentials: LoginCredentials,
  signal: AbortSignal,
): Promise<LoginResult> {
  const url = `${baseUrl}${endpoints.login}`;
  const answer = await call(url, () =>
    request(url, {
      method: 'POST',
      headers: { [endpoints.tenantHeader]: credentials.tenant },
      body: { email: credentials.email, password: credentials.password },
      signal,
    }),
  );
  if (isVerdict(answer)) return { verdict: answer };
  const details = { status: answer.status, tenant: credentials.tenant, email: credentials.email };
  if (answer.status === 401) {
    return {
      verdict: fail(
        `the login was refused (${describeAnswer(answer)}): wrong DRILL_PASSWORD, or the drill ` +
          `account (${credentials.email} in tenant ${credentials.tenant}) is not in this dump`,
        details,
      ),
    };
  }
  if (answer.status !== 200) return { verdict: fail(`${endpoints.login} answered ${describeAnswer(answer)}`, details) };
  const body = (answer.json ?? {}) as { mfaRequired?: unknown; mfaToken?: unknown; methods?: unknown };
  if (body.mfaRequired !== true) {
    return {
      verdict: fail(
        'the login succeeded without an MFA challenge: the drill account must have TOTP enrolled so ' +
          'that the drill proves an MFA completion',
        details,
      ),
    };
  }
  if (typeof body.mfaToken !== 'string' || body.mfaToken === '')
    return { verdict: fail('the MFA challenge carries no mfaToken', details) };
  addSecret(body.mfaToken);
  const methods = Array.isArray(body.methods) ? body.methods.filter((m): m is string => typeof m === 'string') : [];
  if (methods.length > 0 && !methods.includes('totp'))
    return { verdict: fail(`the MFA challenge offers ${methods.join(', ')}, not totp`, { ...details, methods }) };
  return {
    verdict: pass(
      `password accepted for ${credentials.email}; MFA challenge answered ` +
        `(methods ${methods.join(', ') || 'unspecified'})`,
      { ...details, methods },
    ),
    mfaToken: body.mfaToken,
  };
}

/** The current TOTP code of a base32 seed (RFC 6238: SHA-1, 6 digits, 30 s), as an authenticator app shows it. */
const TOTP_PERIOD_MS = 30_000;

export function totpCode(seedBase32: string, now = Date.now()): string {
  const totp = new TOTP({
    secret: Secret.fromBase32(seedBase32.replace(/\s+/g, '').toUpperCase()),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: now });
}

export interface MfaResult {
  verdict: CheckVerdict;
  /** The session cookie's value (a secret: registered for redaction). */
  sessionCookie?: string;
}

/** MFA completion: CSRF token and cookie, then the TOTP code; must set the session cookie. */
export async function checkMfa(
  baseUrl: string,
  endpoints: DrillEndpoints,
  mfaToken: string,
  totpSeed: string,
  signal: AbortSignal,
): Promise<MfaResult> {
  const csrfUrl = `${baseUrl}${endpoints.csrf}`;
  const csrf = await call(csrfUrl, () => request(csrfUrl, { signal }));
  if (isVerdict(csrf)) return { verdict: csrf };
  const csrfToken = (csrf.json as { csrfToken?: unknown } | undefined)?.csrfToken;
  if (csrf.status !== 200 || typeof csrfToken !== 'string')
    return { verdict: fail(`${endpoints.csrf} gave no CSRF token (${describeAnswer(csrf)})`) };
  if (csrf.cookies.size === 0) return { verdict: fail(`${endpoints.csrf} set no cookie for the CSRF token`) };
  for (const value of csrf.cookies.values()) addSecret(value);

  try {
    totpCode(totpSeed);
  } catch {
    return { verdict: fail('DRILL_TOTP_SECRET is not a base32 TOTP seed') };
  }
  const url = `${baseUrl}${endpoints.mfa}`;
  const submit = () =>
    call(url, () =>
      request(url, {
        method: 'POST',
        headers: { [endpoints.csrfHeader]: csrfToken },
        cookies: csrf.cookies,
        body: { mfaToken, code: totpCode(totpSeed) },
        signal,
      }),
    );
  let answer = await submit();
  if (isVerdict(answer)) return { verdict: answer };
  let waitedMs = 0;
  if (answer.status === 401) {
    // A code is accepted once per 30-second step: when the drill account signed in moments before (a live check
    // just earlier, or the dump taken right after one), this step's code counts as a replay. Like a person with an
    // authenticator app, wait for the next code and try once more (the challenge allows several attempts).
    waitedMs = TOTP_PERIOD_MS - (Date.now() % TOTP_PERIOD_MS) + 500;
    await delay(waitedMs, undefined, { signal });
    answer = await submit();
    if (isVerdict(answer)) return { verdict: answer };
  }
  const details = { status: answer.status, ...(waitedMs > 0 ? { retriedWithNextCodeAfterMs: waitedMs } : {}) };
  if (answer.status === 401) {
    return {
      verdict: fail(
        `the TOTP code was refused twice, also the next step's (${describeAnswer(answer)}): wrong ` +
          `DRILL_TOTP_SECRET, or this host's clock is off`,
        details,
      ),
    };
  }
  if (answer.status !== 200) return { verdict: fail(`${endpoints.mfa} answered ${describeAnswer(answer)}`, details) };
  const session = answer.cookies.get(endpoints.sessionCookie);
  if (!session)
    return { verdict: fail(`the MFA completion answered 200 but set no ${endpoints.sessionCookie} cookie`, details) };
  addSecret(session);
  return {
    verdict: pass(`TOTP code accepted; ${endpoints.sessionCookie} cookie set`, details),
    sessionCookie: session,
  };
}

/** `/v1/auth/me` with the session: must return the drill account's profile. */
export async function checkMe(
  baseUrl: string,
  endpoints: DrillEndpoints,
  sessionCookie: string,
  expectedEmail: string,
  signal: AbortSignal,
): Promise<CheckVerdict> {
  const url = `${baseUrl}${endpoints.me}`;
  const answer = await call(url, () =>
    request(url, { cookies: new Map([[endpoints.sessionCookie, sessionCookie]]), signal }),
  );
  if (isVerdict(answer)) return answer;
  if (answer.status !== 200)
    return fail(`${endpoints.me} answered ${describeAnswer(answer)} with the session the MFA completion set`, {
      status: answer.status,
    });
  const profile = (answer.json ?? {}) as Record<string, unknown>;
  const email = typeof profile.email === 'string' ? profile.email : undefined;
  const details = { status: answer.status, email: email ?? null, fields: Object.keys(profile).sort() };
  if (!email) return fail(`${endpoints.me} returned no email`, details);
  if (email.toLowerCase() !== expectedEmail.toLowerCase())
    return fail(`${endpoints.me} returned the profile of ${email}, not of the drill account ${expectedEmail}`, details);
  return pass(`profile of ${email} (${details.fields.length} field(s))`, details);
}
