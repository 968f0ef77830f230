/**
 * The settings parsed once into typed sections, as graphile-migrate's `parseSettings()` turns Settings into
 * ParsedSettings: every value parser runs, every problem is collected, and one UsageError lists them all. Defaults
 * are those of SETTINGS (settings.ts); numbers, booleans and enums are parsed here, never at a call site.
 */
import {
  DEFAULT_COMPRESSION,
  parseCompression,
  parseEncryption,
  parseRetentionDays,
  type BackupEncryption,
  type DumpCompression,
} from './backup-values.js';
import {
  parseAllowedRegions,
  parseBoolean,
  parseBucket,
  parseChecksum,
  parseEndpoint,
  parsePrefix,
  parseRegion,
  type S3Settings,
} from './bucket-values.js';
import { RunbookError, UsageError } from './errors.js';
import { recordsDirOf } from './records-dir.js';
import { addSecret } from './redact.js';
import { settingDefinition, type Settings } from './settings.js';

export interface ParsedSettings {
  database: { url?: string; restoreNoOwner: string; restoreRole?: string };
  backup: {
    dir: string;
    retentionDays: number;
    compression: DumpCompression;
    encryption: BackupEncryption;
    recipients?: string;
    recipientsFile?: string;
    identityFile?: string;
    identityCommand?: string;
  };
  /** Undefined when S3_BUCKET is not set (no off-site copy). */
  bucket: S3Settings | undefined;
  /** Undefined when LOGOS_S3_BUCKET is not set. */
  logos:
    | { bucket: string; endpoint?: string; region: string; prefix: string; accessKeyId?: string; secretKey?: string }
    | undefined;
  records: { dir: string; signingKeyFile?: string; signingPrincipal?: string; allowedSignersFile?: string };
  keys: { current?: string; old: string[]; command?: string };
  drill: { databaseUrl?: string; tenant: string; email?: string; authServiceStart?: string; rtoTarget: string };
  app: {
    stopCommand?: string;
    startCommand?: string;
    deployCommand?: string;
    rollbackPreviousImage?: string;
    migrationCompatibilityFile?: string;
    authServiceExec?: string;
    authServiceUrl?: string;
  };
  /** Durations stay text: `status` reports a malformed one as UNKNOWN (exit 3), not as a usage error. */
  status: { backupMaxAge: string; pitrMaxArchiveLag: string; drillMaxAge: string };
  pitr: Record<PitrKey, string | undefined>;
  /** PROFILE_* values as given: the profile resolves them and never fails a run (src/profile/config.ts). */
  profile: Readonly<Record<string, string | undefined>>;
}

type PitrKey =
  | 'stanza'
  | 'configFile'
  | 'cipherPassCommand'
  | 'endpoint'
  | 'prefix'
  | 'pathStyle'
  | 'verifyTls'
  | 'caFile'
  | 'compress'
  | 'fullEvery'
  | 'restartCommand';

/** Every problem of one parse, each with its own message and hint. */
export class InvalidSettingsError extends UsageError {
  constructor(readonly problems: readonly UsageError[]) {
    super(
      `${problems.length} settings are invalid:\n${problems.map((p) => `- ${p.message}`).join('\n')}`,
      problems
        .map((p) => p.hint)
        .filter((h) => h !== undefined)
        .join('; ') + ' (`obexal-runbook config` shows where each value came from)',
    );
  }
}

const BACKUP_DIR_HINT = 'set BACKUP_DIR to the local folder for dumps, e.g. /var/backups/obexal';

type Reader = Pick<Settings, 'get' | 'source' | 'require' | 'configDir' | 'all'>;

type Section = 'backup' | 'bucket';

class Collector {
  readonly problems: UsageError[] = [];
  readonly sections = new Map<UsageError, Section>();
  section: Section = 'backup';
  constructor(private readonly settings: Reader) {}
  /** The value, trimmed; unset or blank is the SETTINGS default (undefined when there is none). */
  text(name: string): string | undefined {
    const v = this.settings.get(name)?.trim();
    return v === undefined || v === '' ? settingDefinition(name)?.default : v;
  }
  must(name: string): string {
    return this.text(name) ?? (settingDefinition(name)?.default as string);
  }
  parse<T>(parser: () => T, fallback: T): T {
    try {
      return parser();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      this.problems.push(error);
      this.sections.set(error, this.section);
      return fallback;
    }
  }
}

function bucketOf(c: Collector): S3Settings | undefined {
  c.section = 'bucket';
  const name = c.text('S3_BUCKET');
  if (name === undefined) return undefined;
  const endpoint = c.parse(() => parseEndpoint(c.text('S3_ENDPOINT')), undefined);
  const bucket: S3Settings = {
    bucket: c.parse(() => parseBucket(name), name),
    prefix: c.parse(() => parsePrefix(c.must('S3_PREFIX')), ''),
    region: c.parse(() => parseRegion(c.must('S3_REGION')), ''),
    forcePathStyle: c.parse(() => parseBoolean('S3_FORCE_PATH_STYLE', c.text('S3_FORCE_PATH_STYLE'), false), false),
    checksum: c.parse(() => parseChecksum(c.text('S3_CHECKSUM')), 'WHEN_SUPPORTED'),
    allowedRegions: c.parse(() => parseAllowedRegions(c.must('ALLOWED_DATA_REGIONS')), []),
  };
  if (endpoint !== undefined) bucket.endpoint = endpoint;
  return bucket;
}

function backupOf(c: Collector, settings: Reader): ParsedSettings['backup'] {
  const encryption = c.parse(() => parseEncryption(settings.get('BACKUP_ENCRYPTION')), 'age');
  return {
    dir: c.parse(() => settings.require('BACKUP_DIR', BACKUP_DIR_HINT), ''),
    retentionDays: c.parse(() => parseRetentionDays(settings.get('RETENTION_DAYS')), 0),
    compression: c.parse(() => parseCompression(settings.get('BACKUP_COMPRESSION'), encryption), DEFAULT_COMPRESSION),
    encryption,
    ...optional({
      recipients: c.text('BACKUP_RECIPIENTS'),
      recipientsFile: c.text('BACKUP_RECIPIENTS_FILE'),
      identityFile: c.text('BACKUP_IDENTITY_FILE'),
      identityCommand: c.text('BACKUP_IDENTITY_COMMAND'),
    }),
  };
}

function logosOf(c: Collector): ParsedSettings['logos'] {
  const bucket = c.text('LOGOS_S3_BUCKET');
  if (bucket === undefined) return undefined;
  return {
    bucket,
    region: c.must('LOGOS_S3_REGION'),
    prefix: c.must('LOGOS_S3_PREFIX'),
    ...optional({
      endpoint: c.text('LOGOS_S3_ENDPOINT'),
      accessKeyId: c.text('LOGOS_S3_ACCESS_KEY_ID'),
      secretKey: c.text('LOGOS_S3_SECRET_ACCESS_KEY'),
    }),
  };
}

function pitrOf(c: Collector): ParsedSettings['pitr'] {
  return {
    stanza: c.text('PITR_STANZA'),
    configFile: c.text('PITR_CONFIG_FILE'),
    cipherPassCommand: c.text('PITR_CIPHER_PASS_COMMAND'),
    endpoint: c.text('PITR_S3_ENDPOINT'),
    prefix: c.text('PITR_S3_PREFIX'),
    pathStyle: c.text('PITR_S3_PATH_STYLE'),
    verifyTls: c.text('PITR_S3_VERIFY_TLS'),
    caFile: c.text('PITR_S3_CA_FILE'),
    compress: c.text('PITR_COMPRESS'),
    fullEvery: c.text('PITR_FULL_EVERY'),
    restartCommand: c.text('PITR_RESTART_COMMAND'),
  };
}

function otherSections(c: Collector, settings: Reader) {
  return {
    database: {
      restoreNoOwner: c.must('RESTORE_NO_OWNER'),
      ...optional({ url: c.text('DATABASE_URL'), restoreRole: c.text('RESTORE_ROLE') }),
    },
    records: {
      dir: recordsDirOf(settings),
      ...optional({
        signingKeyFile: c.text('SIGNING_KEY_FILE'),
        signingPrincipal: c.text('SIGNING_PRINCIPAL'),
        allowedSignersFile: c.text('ALLOWED_SIGNERS_FILE'),
      }),
    },
    keys: {
      old: (c.text('ENCRYPTION_KEY_OLD') ?? '').split(',').filter((k) => k.trim() !== ''),
      ...optional({ current: c.text('ENCRYPTION_KEY'), command: c.text('ENCRYPTION_KEY_COMMAND') }),
    },
    drill: {
      tenant: c.must('DRILL_TENANT'),
      rtoTarget: c.must('RTO_TARGET'),
      ...optional({
        databaseUrl: c.text('DRILL_DATABASE_URL'),
        email: c.text('DRILL_EMAIL'),
        authServiceStart: c.text('DRILL_AUTH_SERVICE_START'),
      }),
    },
  };
}

function appOf(c: Collector): ParsedSettings['app'] {
  return optional({
    stopCommand: c.text('APP_STOP_COMMAND'),
    startCommand: c.text('APP_START_COMMAND'),
    deployCommand: c.text('APP_DEPLOY_COMMAND'),
    rollbackPreviousImage: c.text('ROLLBACK_PREVIOUS_IMAGE'),
    migrationCompatibilityFile: c.text('MIGRATION_COMPATIBILITY_FILE'),
    authServiceExec: c.text('AUTH_SERVICE_EXEC'),
    authServiceUrl: c.text('AUTH_SERVICE_URL'),
  });
}

/** Drops the undefined members (exactOptionalPropertyTypes). */
function optional<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

interface Parse {
  parsed: ParsedSettings;
  problems: UsageError[];
  sections: Map<UsageError, Section>;
}

function parseAll(settings: Reader & Partial<Pick<Settings, 'env'>>): Parse {
  const c = new Collector(settings);
  addSecret(settings.env?.['AWS_SECRET_ACCESS_KEY']);
  addSecret(settings.env?.['AWS_SESSION_TOKEN']);
  const parsed: ParsedSettings = {
    ...otherSections(c, settings),
    backup: backupOf(c, settings),
    bucket: bucketOf(c),
    logos: logosOf(c),
    app: appOf(c),
    status: {
      backupMaxAge: c.must('BACKUP_MAX_AGE'),
      pitrMaxArchiveLag: c.must('PITR_MAX_ARCHIVE_LAG'),
      drillMaxAge: c.must('DRILL_MAX_AGE'),
    },
    pitr: pitrOf(c),
    profile: Object.fromEntries(
      settings
        .all()
        .filter((s) => s.definition.name.startsWith('PROFILE_'))
        .map((s) => [s.definition.name, s.value]),
    ),
  };
  return { parsed, problems: c.problems, sections: c.sections };
}

function throwProblems(problems: readonly UsageError[]): void {
  if (problems.length === 1) throw problems[0] as RunbookError;
  if (problems.length > 1) throw new InvalidSettingsError(problems);
}

/** Parses every setting; throws one error naming every problem (a single problem: its own message and hint). */
export function parseSettings(settings: Reader & Partial<Pick<Settings, 'env'>>): ParsedSettings {
  const { parsed, problems } = parseAll(settings);
  throwProblems(problems);
  return parsed;
}

const parsedOnce = new WeakMap<object, Parse>();

function parseOnce(settings: Settings): Parse {
  let entry = parsedOnce.get(settings);
  if (!entry) {
    entry = parseAll(settings);
    parsedOnce.set(settings, entry);
  }
  return entry;
}

/**
 * The invocation's parse, done on first use and kept: a command that needs no setting (`config`, `status` with its
 * own UNKNOWN reporting) is not stopped by a value it never reads, and no call site parses again.
 */
export function parsedSettingsOf(settings: Settings): ParsedSettings {
  const { parsed, problems } = parseOnce(settings);
  throwProblems(problems);
  return parsed;
}

/**
 * The bucket section alone, failing only on a bucket problem: for what must go on when another setting is wrong
 * (a failed run's record is still copied; `status` still reads the bucket).
 */
export function parsedBucketOf(settings: Settings): S3Settings | undefined {
  const { parsed, problems, sections } = parseOnce(settings);
  throwProblems(problems.filter((p) => sections.get(p) === 'bucket'));
  return parsed.bucket;
}

/** The sections that parse no value and so cannot fail: read where another setting's problem must not stop. */
export type PlainSections = Omit<ParsedSettings, 'backup' | 'bucket' | 'logos'> & {
  /** BACKUP_DIR as given (or its default), S3_BUCKET as given: whether there is a bucket, not its parse. */
  backupDir: string;
  bucketName: string | undefined;
};

export function plainSettingsOf(settings: Settings): PlainSections {
  const { parsed } = parseOnce(settings);
  return { ...parsed, backupDir: settings.get('BACKUP_DIR') ?? '', bucketName: settings.get('S3_BUCKET') };
}
