/**
 * Typed errors of the age module. Key problems are configuration mistakes (UsageError, exit 2); decryption
 * problems are failed steps (StepFailedError, exit 1). Every message is safe to print: it never holds a
 * secret key, and a value that failed to parse is shown only by its first characters.
 */
import { StepFailedError, UsageError } from '../core/errors.js';

/** A recipient or identity of a type this tool does not handle (post-quantum, hardware tag, plugin, SSH). */
export class UnsupportedAgeKeyError extends UsageError {
  readonly keyType: string;
  constructor(message: string, keyType: string, hint: string) {
    super(message, hint);
    this.keyType = keyType;
  }
}

/** Base of every failure while decrypting an age file. */
export class AgeDecryptError extends StepFailedError {}

/** The input does not start with the age v1 header (or is empty). */
export class AgeNotAgeFileError extends AgeDecryptError {
  constructor(detail: string) {
    super(
      `not an age file: ${detail}`,
      'check that this is the .dump.age file (an unencrypted .dump restores without an identity)',
    );
  }
}

/** The header is malformed, or its MAC does not match (altered or damaged). */
export class AgeHeaderError extends AgeDecryptError {
  constructor(detail: string) {
    super(
      `the age header is damaged or was altered: ${detail}`,
      "compare the file's SHA-256 with the manifest and fetch it again, or use another dump",
    );
  }
}

/** None of the given identities can unwrap the file key. */
export class AgeNoMatchingIdentityError extends AgeDecryptError {
  readonly stanzaTypes: readonly string[];
  constructor(detail: string, stanzaTypes: readonly string[], hint?: string) {
    super(
      `no identity matches any recipient of this file (${detail})`,
      hint ?? 'fetch the backup identity from the vault (the manifest lists the recipients the dump was encrypted to)',
    );
    this.stanzaTypes = stanzaTypes;
  }
}

/** The file ends before its last chunk: the plaintext written so far is incomplete and must be discarded. */
export class AgeTruncatedError extends AgeDecryptError {
  constructor(detail: string) {
    super(
      `the age file is truncated (${detail}): the output is incomplete`,
      'the upload or download was probably interrupted: fetch the file again, or use another dump',
    );
  }
}

/**
 * A payload chunk fails authentication (altered or damaged), or the payload breaks the STREAM rules.
 * `possiblyTruncated`: the failing chunk is the last one received, so a file cut inside a chunk looks the
 * same (cryptography cannot tell the two apart there).
 */
export class AgeAuthenticationError extends AgeDecryptError {
  readonly possiblyTruncated: boolean;
  constructor(detail: string, possiblyTruncated = false) {
    super(
      `the age payload fails authentication: ${detail}`,
      possiblyTruncated
        ? 'the file was cut short or altered: compare its size and SHA-256 with the manifest, fetch ' +
            'it again, or use another dump'
        : 'the file was altered or damaged: compare its SHA-256 with the manifest, fetch it again, or use another dump',
    );
    this.possiblyTruncated = possiblyTruncated;
  }
}
