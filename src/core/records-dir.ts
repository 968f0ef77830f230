import { join } from 'node:path';
import type { Settings } from './settings.js';

/**
 * Where records go: RECORDS_DIR; else `records/` under BACKUP_DIR when this invocation or the configuration file
 * named it; else `records/` under the tool's own configuration folder. A run that fails before it resolved
 * anything therefore never creates the default /var/backups/obexal (a system folder nobody named).
 */
export function recordsDirOf(settings: Pick<Settings, 'get' | 'source' | 'require' | 'configDir'>): string {
  const named = settings.get('RECORDS_DIR');
  if (named) return named;
  if (settings.source('BACKUP_DIR') === 'default') return join(settings.configDir, 'records');
  return join(settings.require('BACKUP_DIR'), 'records');
}
