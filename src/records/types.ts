/**
 * The signed timing record. The engine builds its content (steps, totals, dump, key era, operator…); the store
 * manages the fields below and nothing else.
 */

export const RECORD_SCHEMA = 'obexal-runbook-record@v1';

/** The previous record of the same signer: its file name and the SHA-256 (hex) of its exact bytes. */
export interface RecordLink {
  file: string;
  sha256: string;
}

export interface RecordSigner {
  principal: string;
  /** `ssh-ed25519 AAAA…` (no comment). */
  publicKey: string;
}

export interface TimingRecord {
  [field: string]: unknown;
  schema: typeof RECORD_SCHEMA;
  runId: string;
  runbook: string;
  /** ISO time the run finished (the engine's; the append time when the engine gave none). */
  finishedAt: string;
  /** ISO time the record was appended to the chain; its file name carries the same second. Never before its
   * predecessor's. */
  recordedAt: string;
  previous: RecordLink | null;
  signer: RecordSigner;
}

/** What the engine hands to `appendRecord`: any JSON object with at least a run id and a runbook name. */
export type RecordInput = Record<string, unknown> & { runId: string; runbook: string; finishedAt?: string };

export interface AppendedRecord {
  /** The record's file name inside RECORDS_DIR. */
  file: string;
  path: string;
  sigPath: string;
  /** SHA-256 (hex) of the record file's exact bytes: what the next record's `previous.sha256` will hold. */
  sha256: string;
  record: TimingRecord;
}

export interface RecordSummary {
  file: string;
  path: string;
  runbook: string;
  runId: string;
  outcome: string;
  finishedAt: string;
}

export type RecordProblemKind =
  | 'bad-signature'
  | 'unknown-signer'
  | 'missing-signature'
  | 'orphan-signature'
  | 'incomplete'
  | 'invalid'
  | 'tampered'
  | 'reordered'
  | 'missing-predecessor'
  | 'fork'
  /** Compared with the bucket's copies (`records verify` with S3_BUCKET set). */
  | 'only-in-bucket'
  | 'missing-in-bucket'
  | 'differs-from-bucket';

export interface RecordProblem {
  file: string;
  kind: RecordProblemKind;
  problem: string;
}

export type RecordTrust = 'allowed-signers' | 'local-key-only';

export interface VerifyRecordsResult {
  ok: boolean;
  /** Complete records (record and signature present) that were examined. */
  checked: number;
  /** In chain order: the first one names the first record that breaks a chain. */
  problems: RecordProblem[];
  trust: RecordTrust;
  /** Lines of the allowed signers file that could not be used, with why. */
  skippedSigners: { line: number; reason: string }[];
  /** One entry per signing key met: its fingerprint, principal and how many records it signed. */
  chains: { fingerprint: string; principal: string; records: number; head: string | undefined }[];
}
