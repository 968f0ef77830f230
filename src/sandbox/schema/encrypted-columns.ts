/** Where the known schema keeps encrypted values: the tool verifies them, the auth-service re-encrypts them. */
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
