/**
 * restore.after: the live checks against AUTH_SERVICE_URL when it is set (ready, and its JWKS lists the restored
 * database's signing keys), the notes an on-call engineer must pass on (sessions are gone; the window of data
 * lost), and where the previous database is kept until an explicit step drops it (personal data: retention).
 */
import { StepFailedError } from '../core/errors.js';
import { waitUntilReady } from '../core/live-service.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { withClient } from '../pg/client.js';
import { parseConnectionString } from '../pg/target.js';
import { lostDataWindow } from './apply.js';
import { formatSpan } from '../core/format.js';
import { formatTime } from './format.js';
import type { ApplyResult, Inspection, VerifiedDump } from './types.js';

export interface AfterParams {
  target: string;
  dump: VerifiedDump;
  inspection: Inspection;
  result: ApplyResult;
  authServiceUrl?: string | undefined;
  readyTimeoutMs: number;
  /** Default: PROFILE_SIGNING_KEYS_TABLE, else oidc_signing_keys (as the drill's JWKS check). */
  signingKeysTable?: string | undefined;
  /** How the served JWKS must match the restored keys (default: LIVE_JWKS_STRICTNESS, else any). */
  jwksStrictness?: 'exact' | 'any' | undefined;
}

/**
 * The restored database's signing keys as the drill's JWKS check reads them (active and retired, from
 * PROFILE_SIGNING_KEYS_TABLE), or undefined when it has no signing keys table (nothing to match).
 */
async function restoredKids(params: AfterParams, ctx: ActionContext): Promise<string[] | undefined> {
  const target = parseConnectionString(params.target);
  const table = params.signingKeysTable ?? ctx.settings.get('PROFILE_SIGNING_KEYS_TABLE') ?? 'oidc_signing_keys';
  const exists = await withClient(
    target,
    async (client) =>
      (await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table])).rows[0]?.ok,
    ctx.signal,
  );
  if (!exists) return undefined;
  const { readSigningKids } = await import('../drill/target.js');
  return readSigningKids(target, table, ctx.signal);
}

/** Ready, then the same JWKS check as the drill's (src/drill/checks.ts), at the restore's strictness. */
async function liveChecks(params: AfterParams, ctx: ActionContext, base: string): Promise<string[]> {
  const readyMs = await waitUntilReady(
    base,
    params.readyTimeoutMs,
    ctx.signal,
    'check that the application started (APP_START_COMMAND) and its logs',
  );
  const { checkJwks, jwksStrictness, OBEXAL_ENDPOINTS } = await import('../drill/checks.js');
  const strictness = jwksStrictness(params.jwksStrictness, ctx.settings.get('LIVE_JWKS_STRICTNESS'), 'any');
  const kids = await restoredKids(params, ctx);
  const verdict = await checkJwks(base, OBEXAL_ENDPOINTS, kids, ctx.signal, strictness);
  const keys = typeof verdict.details?.keys === 'number' ? verdict.details.keys : 0;
  if (!verdict.passed) {
    throw new StepFailedError(
      `the live service at ${base}: ${verdict.reason}`,
      keys === 0 || !kids
        ? 'the service cannot read the signing keys of the restored database: check ENCRYPTION_KEY in its environment'
        : 'the service is not running against the restored database: check its DATABASE_URL and restart it',
    );
  }
  const matched = typeof verdict.details?.matched === 'number' ? verdict.details.matched : 0;
  return [
    `ready after ${formatSpan(readyMs)}`,
    `JWKS lists ${keys} key(s)${kids ? `, ${matched} of the restored database's ${kids.length}` : ''}`,
  ];
}

type Replaced = Pick<Inspection, 'newestAuditEvent' | 'deletedAccounts'>;

/** What an on-call engineer must pass on: sessions gone, the data lost, accounts to erase again, what is kept. */
function notes(params: AfterParams, replaced: Replaced, window: ReturnType<typeof lostDataWindow>): string[] {
  const newestLost = window.newestEventLost;
  const lines: string[] = [];
  lines.push(
    'sessions are gone: every user signs in again (sessions live in Redis and in the database as it was at the dump)',
  );
  lines.push(
    window.durationMs !== null
      ? `data written from ${formatTime(window.from)} to ${formatTime(window.to)} ` +
          `(${formatSpan(window.durationMs)}) is ` +
          `lost${newestLost ? `; the newest event lost: ${newestLost.action} at ${formatTime(newestLost.at)}` : ''}`
      : "the dump's time is unknown: the window of lost data cannot be given",
  );
  if (replaced.deletedAccounts.length > 0) {
    lines.push(
      `GDPR: erase again the ${replaced.deletedAccounts.length} account(s) deleted after the ` +
        `dump: ${replaced.deletedAccounts.map((d) => d.id).join(', ')}`,
    );
  }
  if (params.result.keptAs) {
    lines.push(
      `the previous database is kept as ${params.result.keptAs}: it holds personal data under ` +
        `retention; drop it with an explicit step once it is no longer needed (DROP DATABASE ` +
        `"${params.result.keptAs}")`,
    );
  }
  if (params.result.safetyDump)
    lines.push(
      `the pre-restore safety dump is ${params.result.safetyDump} (reason pre-restore: retention ` +
        `removes it like any dump)`,
    );
  return lines;
}

/** In place with secrets of an older era, the application starts only now, after reencrypt-secrets. */
async function startDeferredApp(params: AfterParams, ctx: ActionContext): Promise<void> {
  if (params.result.appStartDeferred) {
    const { startAppAfter } = await import('./swap.js');
    params.result.appStartProblem = await startAppAfter(
      ctx,
      params.result.appStartDeferred.stopped,
      'the secrets are under the current key',
    );
  }
  if (params.result.appStartProblem)
    ctx.output(`the application did not start after the restore: ${params.result.appStartProblem}`, 'warn');
}

/** The live checks when AUTH_SERVICE_URL is set; a failure says the restore is done and how to check again. */
async function liveChecksAfter(params: AfterParams, ctx: ActionContext): Promise<string[] | 'not configured'> {
  const base = (params.authServiceUrl ?? '').replace(/\/+$/, '');
  if (!base) {
    ctx.output('AUTH_SERVICE_URL is not set: no live checks (set it to check the running service)', 'warn');
    return 'not configured';
  }
  const live = await liveChecks(params, ctx, base).catch((error: unknown) => {
    if (ctx.signal.aborted || !(error instanceof StepFailedError)) throw error;
    // The restore is done: say so, and how to run these checks again once the cause is fixed.
    const target = parseConnectionString(params.target).label;
    const kept = params.result.keptAs ? ` (the previous database is kept as ${params.result.keptAs})` : '';
    throw new StepFailedError(
      `${target} is the restored database${kept}, but ${error.message}`,
      `${error.hint ?? 'read the messages above'}; then run the live checks again: ` +
        `obexal-runbook ${ctx.runbook} --resume ${ctx.runId}`,
      error,
    );
  });
  for (const line of live) ctx.output(`live check: ${line}`, 'info');
  return live;
}

export async function runAfter(params: AfterParams, ctx: ActionContext): Promise<ActionResult> {
  // Before the change, as apply saw it (a resumed run's inspection sees the restored database instead).
  const replaced = params.result.replaced ?? params.inspection;
  const window = lostDataWindow(params.dump.takenAt, params.result.restoredAt, replaced);
  const lines = notes(params, replaced, window);
  for (const line of lines) ctx.output(line, 'warn');
  await startDeferredApp(params, ctx);
  const live = await liveChecksAfter(params, ctx);
  return {
    message:
      `${live === 'not configured' ? 'no live checks' : 'live checks passed'}; lost data ` +
      `window ${window.durationMs !== null ? formatSpan(window.durationMs) : 'unknown'}`,
    data: {
      notes: lines,
      live,
      record: {
        lostDataWindow: window,
        liveChecks: live,
        deletedAccountsToEraseAgain: replaced.deletedAccounts.map((d) => d.id),
      },
    },
  };
}
