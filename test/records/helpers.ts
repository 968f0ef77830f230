/** Shared set-up for the records tests: a private temporary folder, the tool's key, and the real ssh-keygen. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedSignersLine, loadOrCreateSigningKey, type SigningKey } from '../../src/records/signing-key.js';
import { appendRecord } from '../../src/records/store.js';
import type { AppendedRecord } from '../../src/records/types.js';

export const NAMESPACE = 'obexal-runbook-record@v1';

export interface Workspace {
  root: string;
  recordsDir: string;
  configDir: string;
  cleanup(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'obexal-records-'));
  return {
    root,
    recordsDir: join(root, 'backups', 'records'),
    configDir: join(root, 'config'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function signingKey(ws: Workspace): Promise<SigningKey> {
  return loadOrCreateSigningKey({ configDir: ws.configDir, recordsDir: ws.recordsDir });
}

export async function writeAllowedSigners(ws: Workspace, key: SigningKey, name = 'allowed_signers'): Promise<string> {
  const path = join(ws.root, name);
  await writeFile(path, `# trusted record signers\n${allowedSignersLine(key.principal, key.keyPair.publicKey)}\n`);
  return path;
}

/** `ssh-keygen -Y verify … < record`: the check an auditor runs without this tool. */
export function sshKeygenVerify(
  allowedSigners: string,
  principal: string,
  recordPath: string,
  sigPath = `${recordPath}.sig`,
) {
  return spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-f', allowedSigners, '-I', principal, '-n', NAMESPACE, '-s', sigPath],
    {
      input: readFileSync(recordPath),
      encoding: 'utf8',
    },
  );
}

/** Five records a minute apart (the clock injected so that file names sort in chain order). */
export async function appendChain(
  ws: Workspace,
  key: SigningKey,
  count: number,
  startMinute = 0,
): Promise<AppendedRecord[]> {
  const appended: AppendedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.UTC(2026, 10, 24, 18, 35 + startMinute + i, 1));
    appended.push(
      await appendRecord({
        recordsDir: ws.recordsDir,
        key: key.keyPair,
        principal: key.principal,
        record: {
          runbook: 'drill',
          runId: `run-${startMinute + i + 1}`,
          outcome: 'passed',
          finishedAt: at.toISOString(),
          steps: [],
        },
        now: () => at,
      }),
    );
  }
  return appended;
}

export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}
