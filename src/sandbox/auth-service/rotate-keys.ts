/**
 * `rotate-keys [grace_hours]`: a new active RSA-2048 signing key (private key encrypted under ENCRYPTION_KEY), the
 * previous active key retired (still served in the JWKS so that tokens it signed keep verifying), and keys retired
 * longer than the grace period purged. One transaction: a failure leaves the keys as they were.
 */
import type pg from 'pg';
import { writeAuditEvent } from './audit.js';
import type { KeyRing } from './config.js';
import { newSigningKey } from '../seed/signing-keys.js';

export const DEFAULT_GRACE_HOURS = 24;

export interface RotationResult {
  newKid: string;
  retiredKids: string[];
  purgedKids: string[];
}

export async function rotateSigningKeys(
  client: pg.ClientBase,
  keys: KeyRing,
  graceHours: number,
): Promise<RotationResult> {
  // RSA-2048 from Node's crypto; the PKCS#8 PEM is encrypted under ENCRYPTION_KEY before it leaves this process.
  const key = await newSigningKey(keys.current, new Date());
  await client.query('BEGIN');
  try {
    // Serialises concurrent rotations: the second waits, then retires the key the first one made.
    await client.query('LOCK TABLE oidc_signing_keys IN SHARE ROW EXCLUSIVE MODE');
    const retired = await client.query<{ kid: string }>(
      `UPDATE oidc_signing_keys SET status = 'retired', retired_at = now()
       WHERE status = 'active' RETURNING kid`,
    );
    await client.query(
      `INSERT INTO oidc_signing_keys (kid, alg, public_jwk, private_key_enc, status, created_at, retired_at)
       VALUES ($1, $2, $3::jsonb, $4, 'active', now(), NULL)`,
      [key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateKeyEnc],
    );
    const retiredKids = retired.rows.map((row) => row.kid);
    await writeAuditEvent(client, {
      action: 'oauth.signing_key.rotated',
      target: `signing_key:${key.kid}`,
      metadata: {
        new_kid: key.kid,
        retired_kid: retiredKids[0] ?? null,
        ...(retiredKids.length > 1 ? { retired_kids: retiredKids } : {}),
        alg: key.alg,
        grace_hours: graceHours,
        source: 'cli',
      },
    });
    const purged = await client.query<{ kid: string; retired_at: Date }>(
      `DELETE FROM oidc_signing_keys
       WHERE status = 'retired' AND retired_at < now() - make_interval(secs => $1::double precision)
       RETURNING kid, retired_at`,
      [graceHours * 3600],
    );
    for (const row of purged.rows) {
      await writeAuditEvent(client, {
        action: 'oauth.signing_key.purged',
        target: `signing_key:${row.kid}`,
        metadata: { kid: row.kid, retired_at: row.retired_at.toISOString(), grace_hours: graceHours, source: 'cli' },
      });
    }
    await client.query('COMMIT');
    return { newKid: key.kid, retiredKids, purgedKids: purged.rows.map((row) => row.kid) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** `grace_hours`: a non-negative number of hours (fractions allowed); undefined when not a valid one. */
export function parseGraceHours(text: string | undefined): number | undefined {
  if (text === undefined) return DEFAULT_GRACE_HOURS;
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const hours = Number(text);
  return Number.isFinite(hours) ? hours : undefined;
}
