/**
 * Password login, MFA completion and the current user, as Obexal answers them. A wrong password and an unknown
 * account get the same answer (and cost the same argon2id verification).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decryptSecret } from '../../../keys/secret-value.js';
import {
  claimTotpStep,
  createSession,
  findLoginAccount,
  profileOfSession,
  profileOfUser,
  SESSION_TTL_SECONDS,
  tenantIdOf,
  totpSecretOf,
} from '../accounts.js';
import { writeAuditEvent } from '../audit.js';
import { SESSION_COOKIE, TENANT_HEADER, type Handler, type ServiceContext } from '../context.js';
import {
  clientIp,
  HttpError,
  parseCookies,
  readJsonObject,
  sendJson,
  serializeCookie,
  stringField,
  userAgent,
} from '../http/respond.js';
import { verifyPassword } from '../password.js';
import { matchTotpStep } from '../totp.js';
import { requireCsrf } from './csrf.js';

function requestContext(req: IncomingMessage): { ip: string | null; userAgent: string | null } {
  return { ip: clientIp(req), userAgent: userAgent(req) };
}

const invalidCredentials = (): HttpError =>
  new HttpError(401, 'invalid_credentials', 'the email or the password is not correct');

export const postLogin: Handler = async (req, res, context) => {
  const header = req.headers[TENANT_HEADER];
  const tenantSlug = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!tenantSlug) throw new HttpError(400, 'tenant_required', 'send the tenant slug in the X-Obexal-Tenant header');
  const body = await readJsonObject(req);
  const email = stringField(body, 'email', 320).trim();
  const password = stringField(body, 'password', 4096);
  const request = requestContext(req);

  const account = await findLoginAccount(context.pool, tenantSlug, email);
  const passwordOk = await verifyPassword(account?.passwordHash, password);
  if (!account || !passwordOk || account.status !== 'active') {
    const reason = account && passwordOk ? 'user_disabled' : 'invalid_credentials';
    await writeAuditEvent(context.pool, {
      action: 'auth.login.failed',
      tenantId: account?.tenantId ?? (await tenantIdOf(context.pool, tenantSlug)),
      target: account ? `user:${account.userId}` : null,
      actorUserId: account?.userId ?? null,
      actorEmail: email,
      ...request,
      metadata: { method: 'password', reason, account_known: account !== undefined },
    });
    throw invalidCredentials();
  }

  const subject = { userId: account.userId, tenantId: account.tenantId, email: account.email };
  const audit = {
    tenantId: account.tenantId,
    target: `user:${account.userId}`,
    actorUserId: account.userId,
    actorEmail: account.email,
    ...request,
  };
  if (account.totpEnrolled) {
    const mfaToken = context.challenges.create(subject);
    await writeAuditEvent(context.pool, {
      action: 'auth.login.succeeded',
      ...audit,
      metadata: { method: 'password', mfa_required: true, mfa_methods: ['totp'] },
    });
    sendJson(res, 200, { mfaRequired: true, mfaToken, methods: ['totp'] });
    return;
  }
  const session = await createSession(context.pool, account.userId, request);
  await writeAuditEvent(context.pool, {
    action: 'auth.login.succeeded',
    ...audit,
    metadata: { method: 'password', mfa_required: false, session_id: session.sessionId },
  });
  await answerWithSession(res, context, account.userId, session.token, { mfaRequired: false });
};

export const postMfa: Handler = async (req, res, context) => {
  requireCsrf(req);
  const body = await readJsonObject(req);
  const mfaToken = stringField(body, 'mfaToken', 256);
  const code =
    typeof body.code === 'number' ? String(body.code).padStart(6, '0') : stringField(body, 'code', 16).trim();
  const request = requestContext(req);

  const challenge = context.challenges.take(mfaToken);
  if (!challenge) {
    throw new HttpError(
      401,
      'mfa_challenge_invalid',
      'the MFA challenge is unknown, expired, used or exhausted: sign in again',
    );
  }
  const audit = {
    tenantId: challenge.tenantId,
    target: `user:${challenge.userId}`,
    actorUserId: challenge.userId,
    actorEmail: challenge.email,
    ...request,
  };

  let failure: string | undefined;
  try {
    failure = await totpFailure(context, challenge.userId, code);
  } catch (error) {
    // not the user's fault: the attempt is given back
    context.challenges.failed(mfaToken, { ...challenge, attemptsLeft: challenge.attemptsLeft + 1 });
    throw error;
  }

  if (failure !== undefined) {
    const reason = failure;
    const attemptsLeft = context.challenges.failed(mfaToken, challenge);
    await writeAuditEvent(context.pool, {
      action: 'auth.mfa.failed',
      ...audit,
      metadata: { method: 'totp', reason, attempts_left: attemptsLeft },
    });
    throw new HttpError(
      401,
      'invalid_mfa_code',
      attemptsLeft > 0
        ? `the code is not valid: ${attemptsLeft} attempt(s) left`
        : 'the code is not valid and no attempt is left: sign in again',
      { attemptsLeft },
    );
  }

  const session = await createSession(context.pool, challenge.userId, request);
  await writeAuditEvent(context.pool, {
    action: 'auth.mfa.succeeded',
    ...audit,
    metadata: { method: 'totp', session_id: session.sessionId },
  });
  await answerWithSession(res, context, challenge.userId, session.token);
};

/** Why the code is refused (`not_enrolled`, `invalid_code`, `code_reused`), or undefined when it is accepted. */
async function totpFailure(context: ServiceContext, userId: string, code: string): Promise<string | undefined> {
  const secretEnc = await totpSecretOf(context.pool, userId);
  if (secretEnc === undefined) return 'not_enrolled';
  const step = matchTotpStep(decryptSecret(secretEnc, context.keys.all).plaintext, code);
  if (step === undefined) return 'invalid_code';
  return (await claimTotpStep(context.pool, userId, step)) ? undefined : 'code_reused';
}

async function answerWithSession(
  res: ServerResponse,
  context: ServiceContext,
  userId: string,
  token: string,
  wrapper?: Record<string, unknown>,
): Promise<void> {
  const profile = await profileOfUser(context.pool, userId);
  const cookie = serializeCookie(SESSION_COOKIE, token, { httpOnly: true, maxAgeSeconds: SESSION_TTL_SECONDS });
  sendJson(res, 200, wrapper ? { ...wrapper, user: profile } : profile, { 'set-cookie': cookie });
}

export const getMe: Handler = async (req, res, context) => {
  const token = parseCookies(req).get(SESSION_COOKIE);
  const profile = token ? await profileOfSession(context.pool, token) : undefined;
  if (!profile) throw new HttpError(401, 'unauthenticated', 'no valid session: sign in first');
  sendJson(res, 200, profile);
};
