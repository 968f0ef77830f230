/** Where the tool keeps its own files. The practice sandbox points OBEXAL_RUNBOOK_CONFIG_DIR elsewhere. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function configDir(env: Record<string, string | undefined>): string {
  if (env.OBEXAL_RUNBOOK_CONFIG_DIR) return resolve(env.OBEXAL_RUNBOOK_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'obexal-runbook');
}

export function runsDir(configDirectory: string): string {
  return join(configDirectory, 'runs');
}
