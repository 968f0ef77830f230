/**
 * The stanza configuration pitr-setup writes. PostgreSQL runs `pgbackrest archive-push` itself for every WAL
 * segment, unattended, as the cluster's operating-system user: that process can only read its secrets (the
 * repository passphrase, the bucket key) from this file. So the file is owned by that user alone (0600, in a folder
 * it owns), never readable by anyone else; the tool's own calls hand the same secrets through the environment.
 */
import { chown, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PgBackRestSecrets } from './pgbackrest.js';
import type { PitrSettings } from './settings.js';
import type { SourceCluster } from './source.js';

export interface ConfigLines {
  global: [string, string][];
  stanza: [string, string][];
}

const SECRET_KEYS = new Set(['repo1-cipher-pass', 'repo1-s3-key', 'repo1-s3-key-secret', 'repo1-s3-token']);

export function lockFolderOf(configFile: string): string {
  return join(dirname(configFile), 'obexal-runbook-pgbackrest');
}

export function configLines(
  settings: PitrSettings,
  source: SourceCluster,
  secrets: PgBackRestSecrets,
  user: string,
): ConfigLines {
  const repo = settings.repository;
  const global: [string, string][] = [
    ['repo1-type', 's3'],
    ['repo1-s3-bucket', repo.bucket],
    ['repo1-s3-endpoint', repo.host],
    ['repo1-storage-port', String(repo.port)],
    ['repo1-s3-region', repo.region],
    ['repo1-s3-uri-style', repo.pathStyle ? 'path' : 'host'],
    ['repo1-path', repo.path],
  ];
  if (!repo.verifyTls) global.push(['repo1-storage-verify-tls', 'n']);
  if (repo.caFile) global.push(['repo1-storage-ca-file', repo.caFile]);
  if (secrets.s3Key && secrets.s3KeySecret) {
    global.push(['repo1-s3-key', secrets.s3Key], ['repo1-s3-key-secret', secrets.s3KeySecret]);
    if (secrets.s3Token) global.push(['repo1-s3-token', secrets.s3Token]);
  } else {
    global.push(['repo1-s3-key-type', 'auto']);
  }
  if (secrets.cipherPass) global.push(['repo1-cipher-type', 'aes-256-cbc'], ['repo1-cipher-pass', secrets.cipherPass]);
  global.push(
    ['repo1-retention-full-type', 'time'],
    ['repo1-retention-full', String(settings.retentionDays)],
    ['compress-type', settings.compression],
    ['start-fast', 'y'],
    ['lock-path', lockFolderOf(settings.configFile)],
    ['log-level-file', 'off'],
  );
  const stanza: [string, string][] = [
    ['pg1-path', source.dataDir],
    ['pg1-port', String(source.port)],
    ['pg1-socket-path', source.socketDir],
    ['pg1-user', user],
  ];
  return { global, stanza };
}

export function renderConfig(lines: ConfigLines, stanza: string, options: { showSecrets: boolean }): string {
  const render = ([key, value]: [string, string]) =>
    `${key}=${SECRET_KEYS.has(key) && !options.showSecrets ? '<secret>' : value}`;
  return [
    '# Written by obexal-runbook pitr-setup. Read by pgBackRest, also when PostgreSQL runs archive-push.',
    '[global]',
    ...lines.global.map(render),
    '',
    `[${stanza}]`,
    ...lines.stanza.map(render),
    '',
  ].join('\n');
}

/** Writes the file atomically, 0600, owned by the cluster's user; creates its folder (0700) when missing. */
export async function writeConfig(file: string, text: string, owner: { uid: number; gid: number }): Promise<void> {
  const folder = dirname(file);
  if (!(await stat(folder).catch(() => undefined))) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await chown(folder, owner.uid, owner.gid).catch(() => undefined);
  }
  const lockFolder = lockFolderOf(file);
  await mkdir(lockFolder, { recursive: true, mode: 0o700 });
  await chown(lockFolder, owner.uid, owner.gid).catch(() => undefined);
  const partial = `${file}.partial`;
  await writeFile(partial, text, { mode: 0o600 });
  await chown(partial, owner.uid, owner.gid).catch(() => undefined);
  await rename(partial, file);
}
