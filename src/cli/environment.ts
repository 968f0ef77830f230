/** Resolves the settings of one invocation: environment, then the `conf` file, then defaults. */
import { UsageError } from '../core/errors.js';
import { checkOwnedFolder } from '../core/owned-folder.js';
import { isKnownSetting, resolveSettings, settingDefinition, SETTINGS, type Settings } from '../core/settings.js';
import { conninfoFromLibpqEnv } from '../pg/target.js';
import { ConfigFile } from './config-file.js';
import { configDir, runsDir } from './paths.js';

export interface Invocation {
  settings: Settings;
  configDir: string;
  runsDir: string;
  /** Settings this invocation named itself: its environment (or flags), not the configuration file. */
  namedByInvocation: Set<string>;
  store: ConfigFile;
}

export function openStore(directory: string): ConfigFile {
  return new ConfigFile(directory);
}

/**
 * With DATABASE_URL unset everywhere (environment and configuration file), the libpq variables name the target,
 * as they do for psql: PGHOST, PGPORT, PGUSER, PGDATABASE, PGSERVICE. The target they give is written out as a
 * keyword/value string without a password (found again, from PGPASSWORD or a password file, when it is used).
 */
type Env = Record<string, string | undefined>;

export function withLibpqTarget(env: Env, file: Record<string, unknown>): Env {
  if (env.DATABASE_URL || (typeof file.DATABASE_URL === 'string' && file.DATABASE_URL !== '')) return env;
  let conninfo: string | undefined;
  try {
    conninfo = conninfoFromLibpqEnv(env);
  } catch {
    // A service that does not exist or a bad PGPORT: the step that connects reports it with its hint.
    conninfo = env.PGSERVICE ? `service=${env.PGSERVICE}` : undefined;
  }
  return conninfo === undefined ? env : { ...env, DATABASE_URL: conninfo };
}

export function loadInvocation(env: Record<string, string | undefined>): Invocation {
  const directory = configDir(env);
  checkOwnedFolder(directory, 'the state folder (OBEXAL_RUNBOOK_CONFIG_DIR)');
  const store = openStore(directory);
  const file = store.store;
  const settings = resolveSettings({ env: withLibpqTarget(env, file), file, configDir: directory });
  const namedByInvocation = new Set(
    SETTINGS.filter((s) => ['environment', 'flag'].includes(settings.source(s.name))).map((s) => s.name),
  );
  return { settings, configDir: directory, runsDir: runsDir(directory), namedByInvocation, store };
}

/** A password in a URL's user part or query, or a `password=` keyword. */
function holdsPassword(conninfo: string): boolean {
  return /:\/\/[^/@]*:[^@]*@/.test(conninfo) || /(?:^|\s)password\s*=/.test(conninfo) || /[?&]password=/.test(conninfo);
}

export function setPersistedSetting(store: ConfigFile, name: string, value: string | undefined): string {
  if (!isKnownSetting(name))
    throw new UsageError(`unknown setting ${name}`, '`obexal-runbook config` lists every setting');
  const definition = settingDefinition(name)!;
  if (definition.secret) {
    throw new UsageError(
      `${name} is a secret and is never written to the configuration file`,
      `keep it in your vault and provide it through the ` +
        `environment${name === 'ENCRYPTION_KEY' ? ' or ENCRYPTION_KEY_COMMAND' : ''}`,
    );
  }
  if (definition.connectionString && value && holdsPassword(value)) {
    throw new UsageError(
      `${name} holds a password; it is never written to the configuration file`,
      'persist the URL without its password and provide it through PGPASSFILE (~/.pgpass) or the environment',
    );
  }
  if (value === undefined) store.delete(name);
  else store.set(name, value);
  return store.path;
}
