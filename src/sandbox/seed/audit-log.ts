/**
 * A bulk audit log shaped like Obexal's, built server-side: actions weighted as in a real identity
 * provider, actors sampled from the seeded users (targets from the same tenant), addresses, user agents and
 * JSON metadata with client ids, scopes and request ids; rows in time order over the last 90 days.
 */
import type { ClientBase } from 'pg';
import { pickIp, pickText } from './sql-pick.js';
import {
  GRANT_TYPES,
  IPV4_PREFIXES,
  IPV6_PREFIXES,
  LOGIN_FAILURE_REASONS,
  OAUTH_CLIENTS,
  SCOPE_SETS,
  USER_AGENTS,
  USER_FIELDS_CHANGED,
} from './vocabulary.js';

export const AUDIT_EVENTS_PER_CHUNK = 100_000;
export const AUDIT_WINDOW_DAYS = 90;
const ACTOR_SAMPLE = 50_000;

/** Relative frequencies, out of 100. */
const ACTION_WEIGHTS: Record<string, number> = {
  'auth.login.succeeded': 28,
  'auth.login.failed': 8,
  'auth.mfa.succeeded': 13,
  'auth.mfa.failed': 2,
  'auth.logout': 6,
  'oauth.token.issued': 32,
  'user.updated': 6,
  'user.created': 3,
  'user.password.changed': 1,
  'user.deleted': 1,
};

export const AUDIT_ACTIONS = Object.freeze(Object.keys(ACTION_WEIGHTS));

const WEIGHTED_ACTIONS = Object.entries(ACTION_WEIGHTS).flatMap(([action, weight]) =>
  Array<string>(weight).fill(action),
);

const CREATE_ACTORS = `
CREATE TEMP TABLE seed_actors AS
SELECT n, id, tenant_id, email, min(n) OVER w AS lo, count(*) OVER w AS cnt
FROM (
  SELECT (row_number() OVER (ORDER BY tenant_id, r))::int AS n, id, tenant_id, email
  FROM (SELECT id, tenant_id, email, random() AS r FROM users ORDER BY r LIMIT $1) AS sample
) AS numbered
WINDOW w AS (PARTITION BY tenant_id)`;

// $1 actions, $2 clients, $3 scope sets, $4 grant types, $5 failure reasons, $6 changed fields,
// $7 ipv4, $8 ipv6, $9 user agents, $10 rows, $11 slice start, $12 slice end, $13 actor count.
const CHUNK_SQL = `
INSERT INTO audit_log (tenant_id, action, target, actor_user_id, actor_email, ip, user_agent, created_at, metadata)
SELECT a.tenant_id,
       e.action,
       CASE WHEN e.action IN ('user.created', 'user.updated', 'user.deleted') THEN 'user:' || t.id
            WHEN e.action = 'oauth.token.issued' THEN 'client:' || e.client
            ELSE 'user:' || a.id END,
       a.id, a.email, e.ip, e.user_agent, e.created_at,
       CASE e.action
         WHEN 'auth.login.succeeded' THEN jsonb_build_object('request_id', e.request_id, 'client_id', e.client,
              'method', 'password', 'mfa_required', e.x < 0.35, 'session_id', gen_random_uuid())
         WHEN 'auth.login.failed' THEN jsonb_build_object('request_id', e.request_id, 'client_id', e.client,
              'reason', e.reason, 'attempt', 1 + floor(e.x * 5)::int)
         WHEN 'auth.mfa.succeeded' THEN jsonb_build_object('request_id', e.request_id, 'client_id', e.client,
              'method', 'totp', 'session_id', gen_random_uuid())
         WHEN 'auth.mfa.failed' THEN jsonb_build_object('request_id', e.request_id, 'client_id', e.client,
              'method', 'totp', 'reason', 'invalid_code', 'attempts_left', 4 - floor(e.x * 4)::int)
         WHEN 'auth.logout' THEN jsonb_build_object('request_id', e.request_id, 'client_id', e.client,
              'session_id', gen_random_uuid())
         WHEN 'oauth.token.issued' THEN jsonb_build_object('request_id', e.request_id, 'client_id', e.client,
              'grant_type', e.grant_type, 'scopes', to_jsonb(string_to_array(e.scopes, ' ')),
              'expires_in', 3600, 'token_id', gen_random_uuid())
         WHEN 'user.created' THEN jsonb_build_object('request_id', e.request_id, 'source',
              CASE WHEN e.x < 0.6 THEN 'admin_console' ELSE 'scim' END, 'email', t.email)
         WHEN 'user.updated' THEN jsonb_build_object('request_id', e.request_id, 'source',
              CASE WHEN e.x < 0.5 THEN 'self_service' ELSE 'admin_console' END,
              'fields', to_jsonb(string_to_array(e.fields, ',')))
         WHEN 'user.deleted' THEN jsonb_build_object('request_id', e.request_id, 'source',
              CASE WHEN e.x < 0.7 THEN 'admin_console' ELSE 'scim' END, 'email', t.email)
         ELSE jsonb_build_object('request_id', e.request_id, 'client_id', e.client)
       END
FROM (
  SELECT ${pickText(1)} AS action,
         ${pickText(2)} AS client,
         ${pickText(3)} AS scopes,
         ${pickText(4)} AS grant_type,
         ${pickText(5)} AS reason,
         ${pickText(6)} AS fields,
         ${pickIp(7, 8)} AS ip,
         ${pickText(9)} AS user_agent,
         $11::timestamptz + random() * ($12::timestamptz - $11::timestamptz) AS created_at,
         'req_' || replace(gen_random_uuid()::text, '-', '') AS request_id,
         1 + floor(random() * $13)::int AS actor_n,
         random() AS x,
         random() AS y
  FROM generate_series(1, $10::int)
) AS e
JOIN seed_actors a ON a.n = e.actor_n
JOIN seed_actors t ON t.n = a.lo + floor(e.y * a.cnt)::int
ORDER BY e.created_at`;

export interface BulkAuditInput {
  count: number;
  /** The log covers [from, to). */
  from: Date;
  to: Date;
  onChunk?: (done: number) => void;
}

export async function insertBulkAuditLog(client: ClientBase, input: BulkAuditInput): Promise<void> {
  if (input.count <= 0) return;
  await client.query('DROP TABLE IF EXISTS seed_actors');
  await client.query(CREATE_ACTORS, [ACTOR_SAMPLE]);
  try {
    const actors = await client.query<{ count: string }>('SELECT count(*) FROM seed_actors');
    const actorCount = Number(actors.rows[0]?.count ?? 0);
    if (actorCount === 0) return;
    await client.query('CREATE INDEX ON seed_actors (n)');
    await client.query('ANALYZE seed_actors');
    const fixed = [
      WEIGHTED_ACTIONS,
      OAUTH_CLIENTS,
      SCOPE_SETS,
      GRANT_TYPES,
      LOGIN_FAILURE_REASONS,
      USER_FIELDS_CHANGED,
      IPV4_PREFIXES,
      IPV6_PREFIXES,
      USER_AGENTS,
    ];
    const chunks = Math.ceil(input.count / AUDIT_EVENTS_PER_CHUNK);
    const span = input.to.getTime() - input.from.getTime();
    let done = 0;
    for (let i = 0; i < chunks; i++) {
      const rows = Math.min(AUDIT_EVENTS_PER_CHUNK, input.count - done);
      const sliceStart = new Date(input.from.getTime() + (span * i) / chunks);
      const sliceEnd = new Date(input.from.getTime() + (span * (i + 1)) / chunks);
      await client.query(CHUNK_SQL, [...fixed, rows, sliceStart, sliceEnd, actorCount]);
      done += rows;
      input.onChunk?.(done);
    }
  } finally {
    await client.query('DROP TABLE IF EXISTS seed_actors');
  }
}
