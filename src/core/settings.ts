/**
 * Every setting, where its value came from, and which are secrets. Environment beats the configuration
 * file beats defaults (DESIGN §3). Secrets are read from the environment only and never written by `conf`;
 * `config` shows them as set/unset.
 */
import { UsageError } from './errors.js';
import { addConnectionStringSecret, addSecret } from './redact.js';
import { PROFILE_SETTINGS } from './profile-settings.js';
import type { SettingDefinition } from './setting-definition.js';

export type SettingSource = 'environment' | 'flag' | 'config file' | 'default' | 'unset';

export type { SettingDefinition } from './setting-definition.js';

export const SETTINGS: readonly SettingDefinition[] = [
  {
    name: 'DATABASE_URL',
    description: 'the Obexal database (source of backups, target of restores)',
    connectionString: true,
  },
  { name: 'BACKUP_DIR', description: 'local folder for dumps and manifests', default: '/var/backups/obexal' },
  { name: 'RETENTION_DAYS', description: 'days a dump is kept (local and bucket)', default: '14' },
  { name: 'CONFIRM', description: '`yes` confirms a destruction headless (see CONFIRM_TARGET)' },
  {
    name: 'CONFIRM_TARGET',
    description: 'host:port/database a headless destruction may touch when the target came from configuration',
  },
  { name: 'ENCRYPTION_KEY', description: "Obexal's current secret-encryption key (base64 of 32 bytes)", secret: true },
  { name: 'ENCRYPTION_KEY_OLD', description: 'keys of earlier eras, comma-separated', secret: true },
  {
    name: 'ENCRYPTION_KEY_COMMAND',
    description: 'command printing the ENCRYPTION_KEY of an era ({era} is replaced by its label)',
  },
  { name: 'BACKUP_RECIPIENTS', description: 'age recipients for new dumps, comma-separated' },
  { name: 'BACKUP_RECIPIENTS_FILE', description: 'file of age recipients (as `age -R` reads)' },
  { name: 'BACKUP_IDENTITY_FILE', description: 'age identity file needed to restore' },
  { name: 'BACKUP_IDENTITY_COMMAND', description: 'command printing the age identity (a vault CLI)' },
  {
    name: 'BACKUP_COMPRESSION',
    // no default here: unset means zstd:1, or gzip:4 with BACKUP_ENCRYPTION=none (core/backup-values.ts)
    description: 'zstd:<1-19> beside pg_dump (unset: zstd:1; gzip:4 if not encrypted) or gzip:<0-9> in pg_dump',
  },
  {
    name: 'BACKUP_ENCRYPTION',
    description: '`age` (default) or `none` to turn encryption off explicitly',
    default: 'age',
  },
  { name: 'S3_BUCKET', description: 'bucket for off-site copies' },
  { name: 'S3_PREFIX', description: 'object key prefix in the bucket', default: 'obexal/' },
  { name: 'S3_REGION', description: 'bucket region', default: 'eu-central-1' },
  { name: 'S3_ENDPOINT', description: 'endpoint of an S3-compatible provider' },
  { name: 'S3_FORCE_PATH_STYLE', description: 'path-style addressing (true/false)', default: 'false' },
  {
    name: 'S3_CHECKSUM',
    description: 'WHEN_SUPPORTED or WHEN_REQUIRED (s3rver and several providers)',
    default: 'WHEN_SUPPORTED',
  },
  { name: 'LOGOS_S3_BUCKET', description: 'MinIO bucket of tenant logos to mirror into the backup bucket (optional)' },
  { name: 'LOGOS_S3_ENDPOINT', description: 'MinIO endpoint of LOGOS_S3_BUCKET' },
  { name: 'LOGOS_S3_REGION', description: 'region name MinIO answers to', default: 'us-east-1' },
  { name: 'LOGOS_S3_PREFIX', description: 'key prefix of the logos in LOGOS_S3_BUCKET', default: '/' },
  { name: 'LOGOS_S3_ACCESS_KEY_ID', description: 'MinIO access key (else the AWS SDK credential chain)' },
  { name: 'LOGOS_S3_SECRET_ACCESS_KEY', description: 'MinIO secret key', secret: true },
  { name: 'ALLOWED_DATA_REGIONS', description: 'regions a bucket may be in (prefixes)', default: 'eu' },
  { name: 'RECORDS_DIR', description: 'where signed records go (default: records/ under BACKUP_DIR)' },
  { name: 'SIGNING_KEY_FILE', description: 'Ed25519 key (OpenSSH format) that signs records' },
  { name: 'SIGNING_PRINCIPAL', description: 'principal of the record signature (default obexal-runbook@<host>)' },
  { name: 'ALLOWED_SIGNERS_FILE', description: 'signers `records verify` trusts (OpenSSH allowed_signers)' },
  {
    name: 'AUTH_SERVICE_EXEC',
    description: 'command template running an auth-service subcommand ({subcommand}, {args})',
  },
  { name: 'DRILL_AUTH_SERVICE_START', description: 'command template starting a drill auth-service ({port})' },
  { name: 'AUTH_SERVICE_URL', description: 'the live service, for live checks' },
  {
    name: 'RESTORE_NO_OWNER',
    description: 'restore object ownership: auto (--no-owner when the role cannot take the owners), yes, no',
    default: 'auto',
  },
  { name: 'RESTORE_ROLE', description: 'role pg_restore sets after connecting (--role) when restoring' },
  { name: 'APP_STOP_COMMAND', description: 'command that stops the application' },
  { name: 'APP_START_COMMAND', description: 'command that starts the application' },
  { name: 'APP_DEPLOY_COMMAND', description: 'command that deploys an image ({image})' },
  {
    name: 'ROLLBACK_PREVIOUS_IMAGE',
    description: 'image the rollback runbook redeploys (the version before the current one)',
  },
  {
    name: 'MIGRATION_COMPATIBILITY_FILE',
    description: 'JSON: migration version → "additive" | "breaking", read by the rollback runbook',
  },
  {
    name: 'DRILL_DATABASE_URL',
    description: 'server on which a drill creates its throwaway database',
    connectionString: true,
  },
  { name: 'DRILL_TENANT', description: 'drill account tenant', default: 'drill' },
  { name: 'DRILL_EMAIL', description: 'drill account e-mail' },
  { name: 'DRILL_PASSWORD', description: 'drill account password', secret: true },
  { name: 'DRILL_TOTP_SECRET', description: 'drill account TOTP seed (base32)', secret: true },
  { name: 'PITR_STANZA', description: 'pgBackRest stanza of the cluster', default: 'obexal' },
  {
    name: 'PITR_CONFIG_FILE',
    description: 'pgBackRest configuration pitr-setup writes (0600, cluster user)',
    default: '/etc/pgbackrest/obexal-runbook.conf',
  },
  {
    name: 'PITR_CIPHER_PASS_COMMAND',
    description: 'command printing the pgBackRest repository passphrase (a vault CLI)',
  },
  {
    name: 'PITR_CIPHER_PASS',
    description: 'the pgBackRest repository passphrase (prefer PITR_CIPHER_PASS_COMMAND)',
    secret: true,
  },
  { name: 'PITR_S3_ENDPOINT', description: 'HTTPS endpoint of the pgBackRest repository (default S3_ENDPOINT)' },
  { name: 'PITR_S3_PREFIX', description: 'repository path in the bucket (default <S3_PREFIX>pgbackrest)' },
  { name: 'PITR_S3_PATH_STYLE', description: 'path-style addressing for the repository (default S3_FORCE_PATH_STYLE)' },
  {
    name: 'PITR_S3_VERIFY_TLS',
    description: '`false` skips TLS verification of the repository endpoint (tests only)',
    default: 'true',
  },
  { name: 'PITR_S3_CA_FILE', description: 'CA bundle for a repository endpoint with a private CA' },
  { name: 'PITR_COMPRESS', description: 'pgBackRest compression: zst, lz4, gz or none', default: 'zst' },
  {
    name: 'PITR_FULL_EVERY',
    description: 'a physical backup is full when the newest full one is older than this',
    default: '7d',
  },
  { name: 'PITR_RESTART_COMMAND', description: 'command that restarts the PostgreSQL server (archive_mode needs it)' },
  { name: 'RTO_TARGET', description: 'RTO a drill must meet', default: '30m' },
  {
    name: 'LIVE_JWKS_STRICTNESS',
    description: "JWKS live check: exact (the database's signing keys exactly) or any (one of them); unset: per check",
  },
  {
    name: 'BACKUP_MAX_AGE',
    description: 'backup age past which `status` warns (critical past twice it)',
    default: '26h',
  },
  {
    name: 'PITR_MAX_ARCHIVE_LAG',
    description: 'archive lag past which `status` warns (critical past twice it); `off`: no WAL check',
    default: '15m',
  },
  {
    name: 'DRILL_MAX_AGE',
    description: 'age of the last passing drill past which `status` warns (critical past twice it)',
    default: '92d',
  },
  ...PROFILE_SETTINGS,
];

const byName = new Map(SETTINGS.map((s) => [s.name, s]));

export interface ResolvedSetting {
  definition: SettingDefinition;
  value: string | undefined;
  source: SettingSource;
}

export interface Settings {
  get(name: string): string | undefined;
  require(name: string, hint?: string): string;
  source(name: string): SettingSource;
  all(): ResolvedSetting[];
  /** The environment the settings were resolved from (for key sources that read env by name). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly configDir: string;
}

export interface SettingsInput {
  env: Record<string, string | undefined>;
  flags?: Record<string, string | undefined>;
  file?: Record<string, unknown>;
  configDir: string;
}

export function isKnownSetting(name: string): boolean {
  return byName.has(name);
}

export function settingDefinition(name: string): SettingDefinition | undefined {
  return byName.get(name);
}

export function resolveSettings(input: SettingsInput): Settings {
  const resolved = new Map<string, ResolvedSetting>();
  for (const definition of SETTINGS) {
    const fromFlag = input.flags?.[definition.name];
    const fromEnv = input.env[definition.name];
    const fromFile = definition.secret ? undefined : input.file?.[definition.name];
    let value: string | undefined;
    let source: SettingSource = 'unset';
    if (fromFlag !== undefined && fromFlag !== '') [value, source] = [fromFlag, 'flag'];
    else if (fromEnv !== undefined && fromEnv !== '') [value, source] = [fromEnv, 'environment'];
    else if (typeof fromFile === 'string' && fromFile !== '') [value, source] = [fromFile, 'config file'];
    else if (definition.default !== undefined) [value, source] = [definition.default, 'default'];
    if (value !== undefined) {
      if (definition.secret) for (const part of value.split(',')) addSecret(part);
      if (definition.connectionString) addConnectionStringSecret(value);
    }
    resolved.set(definition.name, { definition, value, source });
  }
  return {
    env: input.env,
    configDir: input.configDir,
    get: (name) => resolved.get(name)?.value,
    require(name, hint) {
      const value = resolved.get(name)?.value;
      if (value === undefined || value === '') {
        throw new MissingSettingError(name, hint);
      }
      return value;
    },
    source: (name) => resolved.get(name)?.source ?? 'unset',
    all: () => [...resolved.values()],
  };
}

export class MissingSettingError extends UsageError {
  constructor(name: string, hint?: string) {
    const definition = byName.get(name);
    super(
      `${name} is not set${definition ? ` (${definition.description})` : ''}`,
      hint ?? `set ${name} in the environment, or persist it with \`obexal-runbook config set ${name} <value>\``,
    );
  }
}
