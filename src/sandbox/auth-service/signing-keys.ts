/** The public half of the OIDC signing keys, as the JWKS serves it. */
import type { Queryable } from './db.js';

export const SIGNING_ALG = 'RS256';

interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, unknown>;
  status: string;
}

/** The JWKS: public keys of the active and the retired (not yet purged) keys, active first. */
export async function publicJwks(db: Queryable): Promise<{ keys: Record<string, unknown>[] }> {
  const { rows } = await db.query<SigningKeyRow>(
    `SELECT kid, alg, public_jwk, status FROM oidc_signing_keys
     WHERE status IN ('active', 'retired')
     ORDER BY (status = 'active') DESC, created_at DESC, kid`,
  );
  return {
    keys: rows.map((row) => ({ ...row.public_jwk, kid: row.kid, alg: row.alg, use: 'sig' })),
  };
}
