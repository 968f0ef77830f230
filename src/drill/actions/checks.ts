/**
 * The four drill checks as steps (`continueOnError: true` in the runbook, so that all run and the record says
 * which failed and why). A check that fails returns outcome `failed` with its reason; its data holds the verdict
 * and, when it passed, the time (`at`) the RTO ends at. Tokens and cookies pass between the checks through the
 * run's secret store only.
 */
import { z } from 'zod';
import type { ActionContext, ActionResult } from '../../engine/action.js';
import { defineAction } from '../../engine/action.js';
import { parseConnectionString } from '../../pg/target.js';
import type { CheckVerdict } from '../checks.js';

const url = z.string().url().optional();
const path = z.string().startsWith('/');

async function baseUrlOf(params: { url?: string | undefined }, ctx: ActionContext): Promise<string | undefined> {
  if (params.url) return params.url;
  const { drillState } = await import('../session.js');
  return drillState(ctx.runId).service?.baseUrl;
}

/** The plan's name of the database the kids are read from: the drill's, or the live one (rotation, rollback). */
function databaseLabel(conninfo: string | undefined): string {
  if (!conninfo) return 'the database';
  try {
    return parseConnectionString(conninfo).label;
  } catch {
    // not a connection string yet (a dry run names the step it comes from): shown as it is
    return conninfo;
  }
}

async function routeOutput(ctx: ActionContext): Promise<void> {
  const { drillState } = await import('../session.js');
  drillState(ctx.runId).sink = (line, stream) => ctx.output(line, stream);
}

function result(check: string, verdict: CheckVerdict): ActionResult {
  const at = new Date().toISOString();
  const data = { check, passed: verdict.passed, reason: verdict.reason, at, ...verdict.details };
  return verdict.passed
    ? { message: verdict.reason, data }
    : {
        outcome: 'failed',
        message: verdict.reason,
        hint: 'the record names this check and why it failed; the teardown still runs',
        data,
      };
}

function notRun(check: string, needs: string): ActionResult {
  return result(check, {
    passed: false,
    reason: `not attempted: it needs ${needs}, which did not pass`,
    details: { attempted: false },
  });
}

export const drillCheckJwksAction = defineAction({
  name: 'drill.check-jwks',
  description:
    "check 1: the JWKS lists the database's signing keys (strictness exact: exactly them, the default; any: at " +
    'least one of them; LIVE_JWKS_STRICTNESS sets it for every check)',
  params: z
    .object({
      url,
      database: z.string().min(1),
      path: path.default('/.well-known/jwks.json'),
      signingKeysTable: z.string().optional(),
      strictness: z.enum(['exact', 'any']).optional(),
    })
    .strict(),
  describe: (p, ctx) =>
    `GET ${p.path ?? '/.well-known/jwks.json'}: at least one key, kids ` +
    `${(p.strictness ?? ctx.settings?.get('LIVE_JWKS_STRICTNESS')) === 'any' ? 'including one of' : 'exactly'} those ` +
    `of ${p.signingKeysTable ?? 'the signing keys table (PROFILE_SIGNING_KEYS_TABLE)'} (active and ` +
    `retired) in ${databaseLabel(p.database)}`,
  async run(params, ctx) {
    await routeOutput(ctx);
    const [{ checkJwks, jwksStrictness, OBEXAL_ENDPOINTS }, { readSigningKids }, { parseConnectionString }] =
      await Promise.all([import('../checks.js'), import('../target.js'), import('../../pg/target.js')]);
    const base = await baseUrlOf(params, ctx);
    if (!base) return notRun('jwks', 'the drill auth-service');
    const table = params.signingKeysTable ?? ctx.settings.get('PROFILE_SIGNING_KEYS_TABLE') ?? 'oidc_signing_keys';
    const expected = await readSigningKids(parseConnectionString(params.database), table, ctx.signal);
    ctx.output(
      `the restored database holds ${expected.length} active or retired signing ` +
        `key(s): ${expected.join(', ') || 'none'}`,
    );
    const strictness = jwksStrictness(params.strictness, ctx.settings.get('LIVE_JWKS_STRICTNESS'), 'exact');
    const endpoints = { ...OBEXAL_ENDPOINTS, jwks: params.path };
    return result('jwks', await checkJwks(base, endpoints, expected, ctx.signal, strictness));
  },
});

export const drillCheckLoginAction = defineAction({
  name: 'drill.check-login',
  description: 'check 2: a password login of the drill account answers the MFA challenge',
  params: z
    .object({
      url,
      tenant: z.string().min(1),
      email: z.string().min(1),
      path: path.default('/v1/auth/login'),
      tenantHeader: z.string().default('X-Obexal-Tenant'),
    })
    .strict(),
  describe: (p) =>
    `POST ${p.path ?? '/v1/auth/login'} as the drill account (tenant ` +
    `in ${p.tenantHeader ?? 'X-Obexal-Tenant'}): must answer the MFA challenge`,
  async run(params, ctx) {
    await routeOutput(ctx);
    const [{ checkLogin, OBEXAL_ENDPOINTS }, { obtainDrillAccount }, { DRILL_SECRETS }] = await Promise.all([
      import('../checks.js'),
      import('../credentials.js'),
      import('../session.js'),
    ]);
    const base = await baseUrlOf(params, ctx);
    if (!base) return notRun('login', 'the drill auth-service');
    // Held since drill.preflight; asked again only in a run that did not go through it (a resumed one).
    if (!ctx.secrets.get(DRILL_SECRETS.password)) await obtainDrillAccount(ctx);
    const login = await checkLogin(
      base,
      { ...OBEXAL_ENDPOINTS, login: params.path, tenantHeader: params.tenantHeader },
      { tenant: params.tenant, email: params.email, password: ctx.secrets.get(DRILL_SECRETS.password) as string },
      ctx.signal,
    );
    if (login.mfaToken) ctx.secrets.set(DRILL_SECRETS.mfaToken, login.mfaToken);
    return result('login', login.verdict);
  },
});

export const drillCheckMfaAction = defineAction({
  name: 'drill.check-mfa',
  description: 'check 3: the MFA completion with a TOTP code from the drill account seed sets a session',
  params: z
    .object({
      url,
      csrfPath: path.default('/v1/csrf'),
      path: path.default('/v1/auth/mfa'),
      csrfHeader: z.string().default('X-CSRF-Token'),
      sessionCookie: z.string().default('obexal_session'),
    })
    .strict(),
  describe: (p) =>
    `GET ${p.csrfPath ?? '/v1/csrf'}, then POST ${p.path ?? '/v1/auth/mfa'} ` +
    `with ${p.csrfHeader ?? 'X-CSRF-Token'} and a TOTP code: must set ` +
    `the ${p.sessionCookie ?? 'obexal_session'} cookie`,
  async run(params, ctx) {
    await routeOutput(ctx);
    const [{ checkMfa, OBEXAL_ENDPOINTS }, { DRILL_SECRETS }] = await Promise.all([
      import('../checks.js'),
      import('../session.js'),
    ]);
    const base = await baseUrlOf(params, ctx);
    const mfaToken = ctx.secrets.get(DRILL_SECRETS.mfaToken);
    const seed = ctx.secrets.get(DRILL_SECRETS.totpSecret);
    if (!base) return notRun('mfa', 'the drill auth-service');
    if (!mfaToken) return notRun('mfa', 'the MFA challenge of the password login');
    if (!seed) return notRun('mfa', 'DRILL_TOTP_SECRET');
    const mfa = await checkMfa(
      base,
      {
        ...OBEXAL_ENDPOINTS,
        csrf: params.csrfPath,
        mfa: params.path,
        csrfHeader: params.csrfHeader,
        sessionCookie: params.sessionCookie,
      },
      mfaToken,
      seed,
      ctx.signal,
    );
    if (mfa.sessionCookie) ctx.secrets.set(DRILL_SECRETS.sessionCookie, mfa.sessionCookie);
    return result('mfa', mfa.verdict);
  },
});

export const drillCheckMeAction = defineAction({
  name: 'drill.check-me',
  description: "check 4: /v1/auth/me with the session returns the drill account's profile",
  params: z
    .object({
      url,
      email: z.string().min(1),
      path: path.default('/v1/auth/me'),
      sessionCookie: z.string().default('obexal_session'),
    })
    .strict(),
  describe: (p) =>
    `GET ${p.path ?? '/v1/auth/me'} with the ${p.sessionCookie ?? 'obexal_session'} cookie: must ` +
    `return the drill account (DRILL_EMAIL)`,
  async run(params, ctx) {
    await routeOutput(ctx);
    const [{ checkMe, OBEXAL_ENDPOINTS }, { DRILL_SECRETS }] = await Promise.all([
      import('../checks.js'),
      import('../session.js'),
    ]);
    const base = await baseUrlOf(params, ctx);
    const session = ctx.secrets.get(DRILL_SECRETS.sessionCookie);
    if (!base) return notRun('me', 'the drill auth-service');
    if (!session) return notRun('me', 'the session of the MFA completion');
    return result(
      'me',
      await checkMe(
        base,
        { ...OBEXAL_ENDPOINTS, me: params.path, sessionCookie: params.sessionCookie },
        session,
        params.email,
        ctx.signal,
      ),
    );
  },
});
