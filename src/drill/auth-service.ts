/**
 * The drill's auth-service: DRILL_AUTH_SERVICE_START run without a shell on a loopback port the tool chose, with
 * the drill database's URL and the keys in its environment only (never on its command line), ready when its
 * discovery document answers (or a configured line appears), stopped on every exit path of the run.
 */
import { expandCommand, splitCommand } from '../core/command-template.js';
import { baseChildEnv } from '../core/exec.js';
import { UsageError } from '../core/errors.js';
import { startService, type RunningService } from '../core/service-process.js';

/** Variables a container or service manager CLI needs (docker, podman), passed through when set. */
const PASS_THROUGH_PREFIXES = ['DOCKER_', 'CONTAINER_', 'PODMAN_', 'COMPOSE_'];
const PASS_THROUGH_NAMES = ['XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'DBUS_SESSION_BUS_ADDRESS'];

export { freeLoopbackPort } from '../core/free-port.js';

export interface DrillServiceEnv {
  databaseUrl: string;
  encryptionKey: string;
  /** Keys of earlier eras, comma-separated (only when the restored data needs them). */
  encryptionKeyOld?: string;
  port: number;
}

/** The child's whole environment: the base variables, container CLI variables, the database, the keys, PORT, HOST. */
export function serviceEnvironment(
  from: Readonly<Record<string, string | undefined>>,
  values: DrillServiceEnv,
): Record<string, string> {
  const env = baseChildEnv(from as Record<string, string | undefined>);
  for (const [name, value] of Object.entries(from)) {
    if (value === undefined) continue;
    if (PASS_THROUGH_NAMES.includes(name) || PASS_THROUGH_PREFIXES.some((prefix) => name.startsWith(prefix)))
      env[name] = value;
  }
  env.DATABASE_URL = values.databaseUrl;
  env.ENCRYPTION_KEY = values.encryptionKey;
  if (values.encryptionKeyOld) env.ENCRYPTION_KEY_OLD = values.encryptionKeyOld;
  env.PORT = String(values.port);
  env.HOST = '127.0.0.1';
  return env;
}

export interface StartDrillServiceOptions {
  template: string;
  env: Record<string, string>;
  port: number;
  /** Path of the readiness URL (the discovery document by default). */
  readyPath: string;
  /** When given, a line of output matching it means ready (instead of polling readyPath). */
  readyLine?: RegExp;
  timeoutMs: number;
  signal: AbortSignal;
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
}

export interface DrillService {
  service: RunningService;
  baseUrl: string;
  command: string[];
}

/** The command as it will run (`{port}` replaced); the template must not carry secrets (they go in the environment). */
export function drillServiceCommand(template: string, port: number): string[] {
  const words = expandCommand(
    splitCommand(template, 'DRILL_AUTH_SERVICE_START'),
    { port: String(port) },
    'DRILL_AUTH_SERVICE_START',
  );
  if (words.length === 0 || !words[0])
    throw new UsageError(
      'DRILL_AUTH_SERVICE_START is empty',
      'set it to the command that starts an auth-service against DATABASE_URL on PORT',
    );
  return words;
}

export async function startDrillService(options: StartDrillServiceOptions): Promise<DrillService> {
  const command = drillServiceCommand(options.template, options.port);
  const [file, ...args] = command as [string, ...string[]];
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const service = await startService({
    file,
    args,
    env: options.env,
    ...(options.readyLine ? { readyLine: options.readyLine } : { readyUrl: `${baseUrl}${options.readyPath}` }),
    timeoutMs: options.timeoutMs,
    onLine: options.onLine,
    signal: options.signal,
  });
  return { service, baseUrl, command };
}
