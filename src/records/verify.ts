/**
 * `records verify`: every record's signature against the trusted signers, and every signer's hash chain.
 * Problems come out in chain order, so the first one names the first record that breaks a chain.
 */
import { readFile } from 'node:fs/promises';
import { StepFailedError } from '../core/errors.js';
import { decideTrust, parseAllowedSigners, type AllowedSigners } from './allowed-signers.js';
import {
  chainOrder,
  listRecordsDir,
  loadRecordFile,
  PARTIAL_SUFFIX,
  previousLink,
  recordFileName,
  SIGNATURE_SUFFIX,
  type LoadedRecord,
  type RecordsDirListing,
} from './record-files.js';
import { fingerprint, parsePublicKeyLine, publicKeyLine } from './ssh-keys.js';
import { RECORD_NAMESPACE, verifySshsig } from './sshsig.js';
import { RECORD_SCHEMA, type RecordProblem, type RecordProblemKind, type VerifyRecordsResult } from './types.js';

export interface VerifyRecordsOptions {
  recordsDir: string;
  /** ALLOWED_SIGNERS_FILE; without it only `localPublicKey` is trusted. */
  allowedSignersFile?: string | undefined;
  /** This host's signing key (32 bytes or an `ssh-ed25519 AAAA…` line), if it has one. */
  localPublicKey?: Buffer | string | undefined;
  now?: Date;
}

interface Entry extends LoadedRecord {
  /** The chain this record belongs to: the key that signed it (or claims to have). */
  chainKey: string;
}

interface Located extends RecordProblem {
  second: string;
  rank: number;
}

/** The signers a verification trusts: ALLOWED_SIGNERS_FILE when set, else the local key alone (if any). */
export async function trustedSigners(
  options: Pick<VerifyRecordsOptions, 'allowedSignersFile' | 'localPublicKey'>,
): Promise<AllowedSigners> {
  if (options.allowedSignersFile) {
    try {
      return parseAllowedSigners(await readFile(options.allowedSignersFile, 'utf8'));
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new StepFailedError(
        `cannot read ALLOWED_SIGNERS_FILE ${options.allowedSignersFile}: ${why}`,
        "fix the path, or unset ALLOWED_SIGNERS_FILE to trust only this host's signing key",
        error,
      );
    }
  }
  const local = options.localPublicKey;
  if (local === undefined) return { signers: [], skipped: [] };
  const publicKey = typeof local === 'string' ? parsePublicKeyLine(local).publicKey : local;
  return {
    signers: [
      {
        principals: '*',
        namespaces: RECORD_NAMESPACE,
        publicKey,
        validAfter: undefined,
        validBefore: undefined,
        line: 0,
      },
    ],
    skipped: [],
  };
}

const secondOf = (file: string): string => /^(\d{8}T\d{6}Z)-/.exec(file)?.[1] ?? '~';
const fieldText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const signerField = (record: LoadedRecord['record'], field: 'publicKey' | 'principal'): string | undefined =>
  fieldText((record?.signer as Record<string, unknown> | undefined)?.[field]);

type Report = (file: string, kind: RecordProblemKind, problem: string) => void;
type Trust = VerifyRecordsResult['trust'];

export async function verifyRecords(options: VerifyRecordsOptions): Promise<VerifyRecordsResult> {
  const { recordsDir } = options;
  const trust: Trust = options.allowedSignersFile ? 'allowed-signers' : 'local-key-only';
  const allowed = await trustedSigners(options);
  const listing = await listRecordsDir(recordsDir);
  const problems: Located[] = [];
  // rank is filled in once chain order is known; until then problems only name their file
  const report: Report = (file, kind, problem) => {
    problems.push({ file, kind, problem, second: secondOf(file), rank: Number.POSITIVE_INFINITY });
  };
  reportStrayFiles(listing, report);

  let checked = 0;
  const entries: Entry[] = [];
  for (const file of listing.records) {
    const loaded = await loadRecordFile(recordsDir, file);
    const claimedKey = signerField(loaded.record, 'publicKey');
    let chainKey = claimedKey ?? '?';
    if (!listing.signatures.has(`${file}${SIGNATURE_SUFFIX}`)) {
      report(
        file,
        'missing-signature',
        `no signature (${file}${SIGNATURE_SUFFIX} is missing): not counted as a complete record`,
      );
    } else {
      checked += 1;
      chainKey = (await checkSignature(loaded, claimedKey, { allowed, trust, now: options.now }, report)) ?? chainKey;
    }
    checkRecordFields(file, loaded.record, report);
    entries.push({ ...loaded, chainKey });
  }

  const { rankOf, chains } = followChains(entries, report);
  placeProblems(problems, entries, rankOf);
  return {
    ok: problems.length === 0,
    checked,
    problems: problems.map(({ file, kind, problem }) => ({ file, kind, problem })),
    trust,
    skippedSigners: allowed.skipped,
    chains,
  };
}

/** Unfinished writes and signatures whose record is gone. */
function reportStrayFiles(listing: RecordsDirListing, report: Report): void {
  for (const partial of listing.partials) {
    report(
      partial,
      'incomplete',
      'an unfinished write (*.partial), not a complete record: a run stopped while saving it',
    );
  }
  const recordNames = new Set(listing.records);
  for (const signature of listing.signatures) {
    const recordName = signature.slice(0, -SIGNATURE_SUFFIX.length);
    if (!recordNames.has(recordName))
      report(signature, 'orphan-signature', `a signature without its record: ${recordName} is missing`);
  }
}

/** Checks a record's signature and its signer; returns the key that signed it when the signature names one. */
async function checkSignature(
  loaded: LoadedRecord,
  claimedKey: string | undefined,
  trusted: { allowed: AllowedSigners; trust: Trust; now: Date | undefined },
  report: Report,
): Promise<string | undefined> {
  const { file } = loaded;
  const armored = await readFile(`${loaded.path}${SIGNATURE_SUFFIX}`, 'utf8');
  const result = verifySshsig(loaded.bytes, armored, RECORD_NAMESPACE);
  const signedBy = result.publicKey ? publicKeyLine(result.publicKey) : undefined;
  const chainKey = signedBy ?? claimedKey ?? '?';
  if (!result.ok) {
    report(file, 'bad-signature', `bad signature: ${result.reason} (the record or its signature was changed)`);
  } else if (claimedKey !== chainKey) {
    report(
      file,
      'bad-signature',
      `signed by key ${fingerprint(result.publicKey)}, but the record names another signer`,
    );
  } else {
    const principal = signerField(loaded.record, 'principal') ?? '?';
    const decision = decideTrust(trusted.allowed, result.publicKey, principal, RECORD_NAMESPACE, trusted.now);
    if (!decision.trusted) {
      const why =
        trusted.trust === 'local-key-only'
          ? `signed by ${fingerprint(result.publicKey)}, not by this host's key (ALLOWED_SIGNERS_FILE is not set)`
          : decision.reason;
      report(file, 'unknown-signer', why);
    }
  }
  return signedBy;
}

/** The record is a JSON object of a known schema, in the file its own fields name. */
function checkRecordFields(file: string, record: LoadedRecord['record'], report: Report): void {
  if (!record) {
    report(file, 'invalid', 'not a JSON object (the file is damaged)');
    return;
  }
  if (record.schema !== RECORD_SCHEMA) {
    report(file, 'invalid', `unknown schema ${JSON.stringify(record.schema)} (expected ${RECORD_SCHEMA})`);
    return;
  }
  const [runbook, runId, recordedAt] = [
    fieldText(record.runbook),
    fieldText(record.runId),
    fieldText(record.recordedAt),
  ];
  const expected =
    runbook && runId && recordedAt && !Number.isNaN(Date.parse(recordedAt))
      ? recordFileName(recordedAt, runbook, runId)
      : undefined;
  if (expected !== file) {
    report(
      file,
      'reordered',
      `this file holds the record of run ${runId ?? '?'} (${runbook ?? '?'}), whose file ` +
        `is ${expected ?? '?'}: records were renamed or swapped`,
    );
  }
}

/** Checks every signer's chain; returns each record's place in its chain and a summary per chain. */
function followChains(
  entries: Entry[],
  report: Report,
): { rankOf: Map<string, number>; chains: VerifyRecordsResult['chains'] } {
  const byFile = new Map(entries.map((entry) => [entry.file, entry]));
  const rankOf = new Map<string, number>();
  const chains: VerifyRecordsResult['chains'] = [];
  for (const chainKey of new Set(entries.map((entry) => entry.chainKey))) {
    const chain = chainOrder(entries.filter((entry) => entry.chainKey === chainKey));
    chain.forEach((entry, index) => rankOf.set(entry.file, index));
    checkChain(chain, byFile, report);
    const head = chain[chain.length - 1];
    let keyFingerprint = chainKey;
    try {
      keyFingerprint = fingerprint(parsePublicKeyLine(chainKey).publicKey);
    } catch {
      // a record naming no readable key: the chain is listed under what it names
    }
    const principal = signerField(head?.record, 'principal') ?? '?';
    chains.push({ fingerprint: keyFingerprint, principal, records: chain.length, head: head?.file });
  }
  return { rankOf, chains };
}

/** Ranks every problem by its file's place in its chain, then sorts them: by second, then chain place, then name. */
function placeProblems(problems: Located[], entries: Entry[], rankOf: Map<string, number>): void {
  const suffixes = new RegExp(`(${SIGNATURE_SUFFIX.replace('.', '\\.')})?(${PARTIAL_SUFFIX.replace('.', '\\.')})?$`);
  for (const problem of problems) {
    const base = problem.file.replace(suffixes, '');
    const own = rankOf.get(base);
    // a file missing from the chain sits just before the record that points at it
    const follower = entries.find((entry) => previousLink(entry.record)?.file === base);
    problem.rank = own ?? (follower ? (rankOf.get(follower.file) ?? 0) - 0.5 : Number.POSITIVE_INFINITY);
  }
  problems.sort((a, b) =>
    a.second !== b.second
      ? a.second < b.second
        ? -1
        : 1
      : a.rank - b.rank || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0),
  );
}

/** One signer's chain, oldest first: every `previous` names the record just before, with its exact SHA-256. */
function checkChain(chain: Entry[], byFile: Map<string, Entry>, report: Report): void {
  const claimedBy = new Map<string, string>();
  chain.forEach((entry, index) => {
    if (!entry.record) return;
    const before = chain[index - 1];
    const link = previousLink(entry.record);
    if (entry.record.previous === null) {
      if (before)
        report(
          entry.file,
          'fork',
          `starts a new chain (previous is null) although ${before.file} by the same signer comes before it`,
        );
      return;
    }
    if (!link) {
      report(entry.file, 'invalid', 'its "previous" field is malformed');
      return;
    }
    const target = byFile.get(link.file);
    if (!target) {
      report(
        entry.file,
        'missing-predecessor',
        `its previous record ${link.file} is missing (deleted or never copied)`,
      );
      return;
    }
    if (target.chainKey !== entry.chainKey) {
      report(entry.file, 'reordered', `its previous record ${link.file} was signed by another key`);
      return;
    }
    if (target.sha256 !== link.sha256) {
      report(
        target.file,
        'tampered',
        `changed after ${entry.file} was chained to it: its SHA-256 is ${target.sha256.slice(0, 16)}…, ` +
          `${entry.file} recorded ${link.sha256.slice(0, 16)}…`,
      );
    }
    checkPlace(entry.file, link.file, before, claimedBy, report);
    claimedBy.set(link.file, entry.file);
  });
}

/** The previous record a record names is the one just before it, and no other record of the chain names it. */
function checkPlace(
  file: string,
  previous: string,
  before: Entry | undefined,
  claimedBy: Map<string, string>,
  report: Report,
): void {
  const rival = claimedBy.get(previous);
  if (rival) {
    report(file, 'fork', `claims the same previous record ${previous} as ${rival}: the chain forks`);
  } else if (!before) {
    report(file, 'reordered', `is the oldest record of its signer, yet names ${previous} as its previous record`);
  } else if (before.file !== previous) {
    report(file, 'reordered', `names ${previous} as its previous record, but the record before it is ${before.file}`);
  }
}
