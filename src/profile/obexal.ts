/**
 * The Obexal schema as the sandbox builds it (DESIGN §5): the defaults of the schema profile. Obexal publishes
 * no table names, so these are a guess that detection confirms and configuration overrides (profile/config.ts);
 * the sandbox imports its encrypted-column list from here, never the other way round.
 */

/** Where a schema keeps values encrypted under ENCRYPTION_KEY (`table` is a table key: `t` or `schema.t`). */
export interface EncryptedColumn {
  table: string;
  /** The primary-key column that identifies a row. */
  key: string;
  column: string;
}

export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = Object.freeze([
  { table: 'mfa_totp', key: 'user_id', column: 'secret_enc' },
  { table: 'oidc_signing_keys', key: 'kid', column: 'private_key_enc' },
  { table: 'webhooks', key: 'id', column: 'secret_enc' },
]);

export { OBEXAL_DEFAULTS } from '../core/profile-settings.js';
