/**
 * The server settings of a throwaway cluster, written to `obexal.conf` in its data folder (included from
 * postgresql.conf, so that the command line stays short and values need no shell quoting). Where the server
 * listens is fixed (loopback only, the socket only in the private folder); the speed settings are defaults a
 * caller may override (a benchmark that wants durable writes passes fsync=on).
 */
import { UsageError } from '../core/errors.js';

/** Safe for a cluster that is thrown away: a crash loses it anyway. */
export const THROWAWAY_DEFAULTS: Readonly<Record<string, string>> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
};

const FIXED_KEYS = new Set(['listen_addresses', 'port', 'unix_socket_directories']);
const KEY = /^[a-z_][a-z0-9_.]*$/i;

export function validateSettings(settings: Record<string, string>): void {
  for (const [key, value] of Object.entries(settings)) {
    if (!KEY.test(key))
      throw new UsageError(
        `invalid PostgreSQL setting name ${JSON.stringify(key)}`,
        'use a setting name as postgresql.conf spells it',
      );
    if (FIXED_KEYS.has(key.toLowerCase())) {
      throw new UsageError(
        `the setting ${key} of a throwaway cluster is fixed`,
        'pass the port as the port option; a throwaway cluster listens only on 127.0.0.1 and its private socket folder',
      );
    }
    if (/[\n\r\0]/.test(value))
      throw new UsageError(`the value of setting ${key} contains a line break`, 'give the value on one line');
  }
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function renderSettings(settings: Record<string, string>, listen: { port: number; socketDir: string }): string {
  const all: Record<string, string> = {
    ...THROWAWAY_DEFAULTS,
    ...settings,
    listen_addresses: '127.0.0.1',
    port: String(listen.port),
    unix_socket_directories: listen.socketDir,
  };
  const lines = Object.entries(all).map(([key, value]) => `${key} = ${quote(value)}`);
  return `# written by obexal-runbook for a throwaway cluster\n${lines.join('\n')}\n`;
}
