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
import { quoteIdent } from '../pg/ident.js';
import type { ApplyResult, Inspection, VerifiedDump } from './types.js';

export interface AfterParams {
  target: string;
  dump: VerifiedDump;
  inspection: Inspection;
  result: ApplyResult;
  authServiceUrl?: string | undefined;
  readyTimeoutMs: number;
  signingKeysTable: string;
}

async function fetchJson(url: string, signal: AbortSignal): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    headers: { accept: 'application/json' },
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

async function liveChecks(params: AfterParams, ctx: ActionContext, base: string): Promise<string[]> {
  const readyMs = await waitUntilReady(
    base,
    params.readyTimeoutMs,
    ctx.signal,
    'check that the application started (APP_START_COMMAND) and its logs',
  );
  const jwks = await fetchJson(`${base}/.well-known/jwks.json`, ctx.signal);
  const keys = (jwks.body as { keys?: { kid?: string }[] } | undefined)?.keys ?? [];
  if (jwks.status !== 200 || keys.length === 0)
    throw new StepFailedError(
      `${base}/.well-known/jwks.json lists no signing key (HTTP ${jwks.status})`,
      'the service cannot read the signing keys of the restored database: check ENCRYPTION_KEY in its environment',
    );
  const target = parseConnectionString(params.target);
  const kids = await withClient(
    target,
    async (client) => {
      const exists = (
        await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [params.signingKeysTable])
      ).rows[0]?.ok;
      if (!exists) return undefined;
      return (await client.query<{ kid: string }>(`SELECT kid FROM ${quoteIdent(params.signingKeysTable)}`)).rows.map(
        (r) => r.kid,
      );
    },
    ctx.signal,
  );
  const served = new Set(keys.map((k) => k.kid));
  if (kids && !kids.some((kid) => served.has(kid))) {
    throw new StepFailedError(
      `the live service at ${base} serves none of the restored database's signing keys (${kids.join(', ')})`,
      'the service is not running against the restored database: check its DATABASE_URL and restart it',
    );
  }
  return [
    `ready after ${formatSpan(readyMs)}`,
    `JWKS lists ${keys.length} ` +
      `key(s)${kids ? `, ${kids.filter((k) => served.has(k)).length} of the restored database's ${kids.length}` : ''}`,
  ];
}

export async function runAfter(params: AfterParams, ctx: ActionContext): Promise<ActionResult> {
  // Before the change, as apply saw it (a resumed run's inspection sees the restored database instead).
  const replaced = params.result.replaced ?? params.inspection;
  const window = lostDataWindow(params.dump.takenAt, params.result.restoredAt, replaced);
  const lines: string[] = [];
  lines.push(
    'sessions are gone: every user signs in again (sessions live in Redis and in the database as it was at the dump)',
  );
  lines.push(
    window.durationMs !== null
      ? `data written from ${formatTime(window.from)} to ${formatTime(window.to)} ` +
          `(${formatSpan(window.durationMs)}) is ` +
          `lost${window.newestEventLost ? `; the newest event lost: ${window.newestEventLost.action} at ${formatTime(window.newestEventLost.at)}` : ''}`
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
  for (const line of lines) ctx.output(line, 'warn');
  let live: string[] | 'not configured' = 'not configured';
  const base = (params.authServiceUrl ?? '').replace(/\/+$/, '');
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
  if (base) {
    live = await liveChecks(params, ctx, base).catch((error: unknown) => {
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
  } else {
    ctx.output('AUTH_SERVICE_URL is not set: no live checks (set it to check the running service)', 'warn');
  }
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
