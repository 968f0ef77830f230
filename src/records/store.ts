/**
 * The record store: append a signed record to its signer's hash chain (under a lock in RECORDS_DIR), list and
 * read records. Verification lives in verify.ts and is re-exported here.
 */
import { chmod, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { acquireLock } from '../core/lock.js';
import { checkOwnedFolder } from '../core/owned-folder.js';
import { StepFailedError } from '../core/errors.js';
import { redactValue } from '../core/redact.js';
import { signSshsig } from './sshsig.js';
import { publicKeyLine, type Ed25519KeyPair } from './ssh-keys.js';
import { validatePrincipal } from './signing-key.js';
import {
  chainOrder,
  checkNamePart,
  listRecordsDir,
  loadRecordFile,
  PARTIAL_SUFFIX,
  previousLink,
  recordFileName,
  RECORDS_LOCK_NAME,
  sha256Hex,
  SIGNATURE_SUFFIX,
  type LoadedRecord,
} from './record-files.js';
import {
  RECORD_SCHEMA,
  type AppendedRecord,
  type RecordInput,
  type RecordSummary,
  type TimingRecord,
} from './types.js';

export { verifyRecords } from './verify.js';

const MANAGED_FIELDS = ['schema', 'runId', 'runbook', 'finishedAt', 'recordedAt', 'previous', 'signer'];

export interface AppendRecordOptions {
  recordsDir: string;
  record: RecordInput;
  key: Ed25519KeyPair;
  principal: string;
  /** How long to wait for another run appending at the same time (60 s). */
  lockWaitMs?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** RECORDS_DIR, created 0700 (and brought back to 0700 if it was wider). */
export async function ensureRecordsDir(recordsDir: string): Promise<void> {
  checkOwnedFolder(recordsDir, 'RECORDS_DIR');
  await mkdir(recordsDir, { recursive: true, mode: 0o700 });
  await chmod(recordsDir, 0o700);
}

/** The newest record of the chain signed by `publicKey`: the last in chain order that no other record follows. */
async function findChainHead(recordsDir: string, publicKey: string): Promise<LoadedRecord | undefined> {
  const { records } = await listRecordsDir(recordsDir);
  const loaded = await Promise.all(records.map((file) => loadRecordFile(recordsDir, file)));
  const ours = loaded.filter(
    (item) => (item.record?.signer as { publicKey?: unknown } | undefined)?.publicKey === publicKey,
  );
  const followed = new Set(ours.map((item) => previousLink(item.record)?.file));
  const ordered = chainOrder(ours);
  return ordered.filter((item) => !followed.has(item.file)).pop() ?? ordered.pop();
}

async function writeNewFile(path: string, content: Buffer | string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncFolder(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // not every platform can fsync a folder; the renames are still atomic
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function buildRecord(
  input: RecordInput,
  recordedAt: string,
  previous: TimingRecord['previous'],
  principal: string,
  key: Ed25519KeyPair,
): TimingRecord {
  const content = redactValue({ ...input }) as Record<string, unknown>;
  for (const field of MANAGED_FIELDS) delete content[field];
  return {
    schema: RECORD_SCHEMA,
    runId: checkNamePart('runId', input.runId),
    runbook: checkNamePart('runbook', input.runbook),
    finishedAt: typeof input.finishedAt === 'string' ? input.finishedAt : recordedAt,
    ...content,
    recordedAt,
    previous,
    signer: { principal, publicKey: publicKeyLine(key.publicKey) },
  };
}

async function recordNameTaken(recordsDir: string, file: string): Promise<boolean> {
  const path = join(recordsDir, file);
  return (await exists(path)) || (await exists(`${path}${SIGNATURE_SUFFIX}`));
}

export async function appendRecord(options: AppendRecordOptions): Promise<AppendedRecord> {
  const { recordsDir, key } = options;
  const principal = validatePrincipal(options.principal);
  const runId = checkNamePart('runId', options.record.runId);
  const runbook = checkNamePart('runbook', options.record.runbook);
  await ensureRecordsDir(recordsDir);
  const lock = await acquireLock(join(recordsDir, RECORDS_LOCK_NAME), {
    purpose: `append the ${runbook} record of run ${runId}`,
    waitMs: options.lockWaitMs ?? 60_000,
  });
  try {
    const head = await findChainHead(recordsDir, publicKeyLine(key.publicKey));
    // Never before the head: the chain's order and the file names' order stay the same even if the clock steps back.
    const now = (options.now ?? (() => new Date()))();
    const headTime = typeof head?.record?.recordedAt === 'string' ? new Date(head.record.recordedAt) : undefined;
    let at = headTime && headTime > now ? headTime : now;
    // A resumed run keeps its run id: when its earlier record took this second's name, the next free second is used
    // (names carry seconds only), so each record of a run gets its own file and the order stays that of the chain.
    for (let tries = 0; await recordNameTaken(recordsDir, recordFileName(at.toISOString(), runbook, runId)); tries++) {
      if (tries >= 600) {
        throw new StepFailedError(
          `records named for run ${runId} are taken for the next ten minutes in ${recordsDir}`,
          "check RECORDS_DIR for copies of this run's records; each run is recorded once per attempt",
        );
      }
      at = new Date(Math.floor(at.getTime() / 1000) * 1000 + 1000);
    }
    const recordedAt = at.toISOString();
    const previous = head ? { file: head.file, sha256: head.sha256 } : null;
    const record = buildRecord(options.record, recordedAt, previous, principal, key);

    const file = recordFileName(recordedAt, runbook, runId);
    const path = join(recordsDir, file);
    const sigPath = `${path}${SIGNATURE_SUFFIX}`;
    const bytes = Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
    const signature = signSshsig(bytes, key);

    // The record's rename is the commit point: a crash before it leaves only *.partial files (and at worst a
    // signature without its record), which verify reports and which never join the chain.
    const partialRecord = `${path}${PARTIAL_SUFFIX}`;
    const partialSignature = `${sigPath}${PARTIAL_SUFFIX}`;
    try {
      await writeNewFile(partialRecord, bytes);
      await writeNewFile(partialSignature, signature);
      await rename(partialSignature, sigPath);
      await rename(partialRecord, path);
    } catch (error) {
      await Promise.all([
        unlink(partialRecord).catch(() => undefined),
        unlink(partialSignature).catch(() => undefined),
      ]);
      throw error;
    }
    await syncFolder(recordsDir);
    return { file, path, sigPath, sha256: sha256Hex(bytes), record };
  } finally {
    await lock.release();
  }
}

/** Read and parse one record file; a typed error when it is not a record. */
export async function readRecord(path: string): Promise<TimingRecord> {
  let loaded: LoadedRecord;
  try {
    loaded = await loadRecordFile(dirname(path), basename(path));
  } catch (error) {
    throw new StepFailedError(
      `cannot read the record ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      '`obexal-runbook records list` shows the records that exist',
      error,
    );
  }
  if (!loaded.record || loaded.record.schema !== RECORD_SCHEMA) {
    throw new StepFailedError(
      `${path} is not an obexal-runbook record ` +
        `(${loaded.record ? `schema ${String(loaded.record.schema)}` : 'not a JSON object'})`,
      '`obexal-runbook records verify` checks every record and names the damaged ones',
    );
  }
  return loaded.record;
}

const text = (value: unknown): string => (typeof value === 'string' && value ? value : '-');

/** Every record, newest first. Files that are not readable records are listed with what can be said of them. */
export async function listRecords(recordsDir: string): Promise<RecordSummary[]> {
  const { records } = await listRecordsDir(recordsDir);
  const loaded = await Promise.all(records.map((file) => loadRecordFile(recordsDir, file)));
  return chainOrder(loaded)
    .reverse()
    .map(({ file, path, record }) => ({
      file,
      path,
      runbook: text(record?.runbook),
      runId: text(record?.runId),
      outcome: text(record?.outcome),
      finishedAt: text(record?.finishedAt),
    }));
}
