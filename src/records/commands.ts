/**
 * `obexal-runbook records list|show|verify|pubkey`, as plain functions: each returns the text to print and the
 * exit code. Nothing is printed here. Failures of the command itself (no such record, unreadable folder, bad key
 * file) are thrown as typed errors carrying their exit code and hint, for the CLI to format like any other.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ExitCode, UsageError } from '../core/errors.js';
import { decideTrust } from './allowed-signers.js';
import { listRecordsDir, SIGNATURE_SUFFIX } from './record-files.js';
import { allowedSignersLine, loadOrCreateSigningKey, readSigningPublicKey } from './signing-key.js';
import { fingerprint, publicKeyLine } from './ssh-keys.js';
import { RECORD_NAMESPACE, verifySshsig } from './sshsig.js';
import type { Settings } from '../core/settings.js';
import { compareWithBucket, type BucketComparison } from './bucket-compare.js';
import { listRecords, readRecord, verifyRecords } from './store.js';
import type { RecordProblem, VerifyRecordsResult } from './types.js';
import { trustedSigners } from './verify.js';

export interface RecordsSettings {
  recordsDir: string;
  /** The settings that name the bucket; `records verify` compares with its copies when S3_BUCKET is set. */
  bucket?: Settings | undefined;
  /** The tool's configuration folder, where its own signing key lives. */
  configDir: string;
  signingKeyFile?: string | undefined;
  allowedSignersFile?: string | undefined;
  principal?: string | undefined;
}

export interface CommandResult {
  text: string;
  exitCode: number;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function recordsList(settings: RecordsSettings): Promise<CommandResult> {
  const records = await listRecords(settings.recordsDir);
  if (records.length === 0) return { text: `no records in ${settings.recordsDir}\n`, exitCode: ExitCode.ok };
  const rows = [['FINISHED', 'RUNBOOK', 'OUTCOME', 'RUN ID', 'FILE']];
  for (const r of records) rows.push([r.finishedAt, r.runbook, r.outcome, r.runId, r.file]);
  return { text: `${table(rows)}\n`, exitCode: ExitCode.ok };
}

/** `records list --json`: one document, newest first, with the same fields as the table. */
export async function recordsListJson(settings: RecordsSettings): Promise<CommandResult> {
  const records = await listRecords(settings.recordsDir);
  return { text: `${JSON.stringify({ recordsDir: settings.recordsDir, records }, null, 2)}\n`, exitCode: ExitCode.ok };
}

/** A path, a file name in RECORDS_DIR, a run id, or the unique start of a run id. */
async function resolveRecord(settings: RecordsSettings, idOrFile: string): Promise<string> {
  if (idOrFile.includes('/') && (await stat(idOrFile).catch(() => undefined))) return idOrFile;
  const { records } = await listRecordsDir(settings.recordsDir);
  if (records.includes(idOrFile)) return join(settings.recordsDir, idOrFile);
  const exact = records.filter((file) => file.endsWith(`-${idOrFile}.json`));
  const candidates =
    exact.length > 0
      ? exact
      : (await listRecords(settings.recordsDir)).filter((r) => r.runId.startsWith(idOrFile)).map((r) => r.file);
  if (candidates.length === 1) return join(settings.recordsDir, candidates[0] as string);
  if (candidates.length === 0) {
    throw new UsageError(
      `no record matches "${idOrFile}" in ${settings.recordsDir}`,
      '`obexal-runbook records list` shows the records and their run ids',
    );
  }
  throw new UsageError(
    `"${idOrFile}" matches ${candidates.length} ` +
      `records: ${candidates.slice(0, 5).join(', ')}${candidates.length > 5 ? ', …' : ''}`,
    'give the whole run id or the file name',
  );
}

/** One record's own signature, against the same trust `records verify` uses (chains are verify's job). */
async function signatureStatus(
  settings: RecordsSettings,
  path: string,
  principal: string,
): Promise<{ line: string; good: boolean }> {
  const armored = await readFile(`${path}${SIGNATURE_SUFFIX}`, 'utf8').catch(() => undefined);
  if (armored === undefined) return { line: `MISSING (${basename(path)}${SIGNATURE_SUFFIX} not found)`, good: false };
  const result = verifySshsig(await readFile(path), armored, RECORD_NAMESPACE);
  if (!result.ok) return { line: `BAD: ${result.reason}`, good: false };
  const localPublicKey = settings.allowedSignersFile ? undefined : await readSigningPublicKey(settings);
  const allowed = await trustedSigners({ allowedSignersFile: settings.allowedSignersFile, localPublicKey });
  const decision = decideTrust(allowed, result.publicKey, principal, RECORD_NAMESPACE);
  const whose = settings.allowedSignersFile ? 'an allowed signer' : "this host's key";
  if (decision.trusted) return { line: `good, by ${fingerprint(result.publicKey)} (${whose})`, good: true };
  const why = settings.allowedSignersFile
    ? decision.reason
    : "not this host's key, and ALLOWED_SIGNERS_FILE is not set";
  return { line: `valid, but by an untrusted key ${fingerprint(result.publicKey)}: ${why}`, good: false };
}

export async function recordsShow(settings: RecordsSettings, idOrFile: string): Promise<CommandResult> {
  const path = await resolveRecord(settings, idOrFile);
  const record = await readRecord(path);
  const signer = (record.signer ?? {}) as { principal?: string; publicKey?: string };
  const status = await signatureStatus(settings, path, signer.principal ?? '?');
  const previous = record.previous
    ? `${record.previous.file} (sha256 ${record.previous.sha256})`
    : 'none: the first record of this signer';
  const header = [
    ['record', basename(path)],
    [
      'runbook',
      `${record.runbook}, run ${record.runId}, outcome ${typeof record.outcome === 'string' ? record.outcome : '-'}`,
    ],
    ['finished', `${record.finishedAt} (recorded ${String(record.recordedAt ?? '-')})`],
    ['signer', signer.principal ?? '?'],
    ['signature', status.line],
    ['previous', previous],
  ];
  const text = `${table(header)}\n\n${JSON.stringify(record, null, 2)}\n`;
  return { text, exitCode: status.good ? ExitCode.ok : ExitCode.stepFailed };
}

export async function recordsVerify(settings: RecordsSettings): Promise<CommandResult> {
  const localPublicKey = await readSigningPublicKey(settings);
  const result = await verifyRecords({
    recordsDir: settings.recordsDir,
    allowedSignersFile: settings.allowedSignersFile,
    localPublicKey,
  });
  const lines: string[] = [];
  const against =
    result.trust === 'allowed-signers'
      ? `against the allowed signers in ${settings.allowedSignersFile}`
      : localPublicKey
        ? `against this host's signing key only (${fingerprint(localPublicKey)}): ` +
          `ALLOWED_SIGNERS_FILE is not set, so records signed elsewhere cannot be trusted`
        : 'with no trusted key: ALLOWED_SIGNERS_FILE is not set and this host has no signing key yet';
  lines.push(`Checked ${result.checked} record(s) in ${settings.recordsDir} ${against}.`);
  for (const skipped of result.skippedSigners)
    lines.push(`  allowed signers line ${skipped.line} ignored: ${skipped.reason}`);
  for (const chain of result.chains) {
    lines.push(
      `  chain of ${chain.principal} (${chain.fingerprint}): ${chain.records} record(s), newest ${chain.head ?? '-'}`,
    );
  }
  const bucket = await compareRecordsWithBucket(settings, result.chains, localPublicKey);
  lines.push(bucketLine(bucket));
  const verdict = verdictOf([...result.problems, ...bucket.problems], bucket, settings.recordsDir);
  return { text: `${[...lines, ...verdict.lines].join('\n')}\n`, exitCode: verdict.exitCode };
}

const BUCKET_HINT = 'fix the bucket settings or its reachability and run `obexal-runbook records verify` again';
const COPY_HINT = (where: string, recordsDir: string): string =>
  `a record only in the bucket: copy it back with its .sig (aws s3 cp ${where}<file> ${recordsDir}/) ` +
  'and find out who removed it; a record missing in the bucket: the next run of any runbook uploads it; ' +
  'a record that differs: keep both copies as evidence, the one whose signature verifies is the original';

type CommandLines = { lines: string[]; exitCode: number };

/** The last lines: OK, NOT COMPLETE (the bucket did not answer) or FAILED with every problem, and what to do. */
function verdictOf(problems: RecordProblem[], bucket: BucketComparison, recordsDir: string): CommandLines {
  const intact = 'every signature is good and every chain is intact';
  if (problems.length === 0 && bucket.state === 'unreachable') {
    const lines = [`NOT COMPLETE: ${intact} here, but the end of a chain cannot be checked without the bucket.`];
    return { lines: [...lines, `  what to do: ${BUCKET_HINT}`], exitCode: ExitCode.stepFailed };
  }
  if (problems.length === 0) {
    const lines = [`OK: ${intact}${bucket.state === 'compared' ? ', and the bucket holds the same records' : ''}.`];
    if (bucket.state === 'not-configured') {
      lines.push('(A chain cannot prove its newest record was not removed: set S3_BUCKET to compare the copies.)');
    }
    return { lines, exitCode: ExitCode.ok };
  }
  const [first] = problems;
  const lines = [`FAILED: ${problems.length} problem(s). The first break is ${first?.file}: ${first?.problem}`];
  for (const problem of problems) lines.push(`  ${problem.file}: [${problem.kind}] ${problem.problem}`);
  if (bucket.problems.length > 0) lines.push(`  what to do: ${COPY_HINT(bucket.url ?? 'the bucket', recordsDir)}`);
  return { lines, exitCode: ExitCode.stepFailed };
}

function bucketLine(bucket: BucketComparison): string {
  switch (bucket.state) {
    case 'not-configured':
      return 'Bucket: not compared (S3_BUCKET is unset).';
    case 'unreachable':
      return `Bucket: COULD NOT COMPARE with ${bucket.where ?? 'the bucket'}: ${bucket.error ?? 'unknown error'}`;
    default: {
      const count = bucket.otherSigners;
      const others = count ? `; ${count} record(s) there of other signers, not compared` : '';
      return `Bucket: compared with ${bucket.inBucket} record(s) in ${bucket.where}${others}.`;
    }
  }
}

async function compareRecordsWithBucket(
  settings: RecordsSettings,
  chains: VerifyRecordsResult['chains'],
  localKey: Buffer | undefined,
): Promise<BucketComparison> {
  if (!settings.bucket) return { state: 'not-configured', inBucket: 0, problems: [], otherSigners: 0 };
  const ourSigners = new Set(chains.map((chain) => chain.fingerprint));
  if (localKey) ourSigners.add(fingerprint(localKey));
  const heads = new Map(chains.flatMap((chain) => (chain.head ? [[chain.fingerprint, chain.head] as const] : [])));
  return compareWithBucket({ recordsDir: settings.recordsDir, settings: settings.bucket, ourSigners, heads });
}

/** The allowed-signers line for this host's key (creating the key on first use). */
export async function recordsPubkey(settings: RecordsSettings): Promise<CommandResult> {
  const key = await loadOrCreateSigningKey(settings);
  return {
    text: `${allowedSignersLine(key.principal, publicKeyLine(key.keyPair.publicKey))}\n`,
    exitCode: ExitCode.ok,
  };
}
