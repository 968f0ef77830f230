/** argon2id PHC hashes at Obexal's parameters (64 MiB, 3 iterations, parallelism 2). */
import { Algorithm, hash } from '@node-rs/argon2';
import { StepFailedError } from '../../core/errors.js';
import { BULK_PASSWORDS } from './vocabulary.js';

export const OBEXAL_ARGON2_PARAMETERS = {
  memoryCost: 65536,
  timeCost: 3,
  parallelism: 2,
} as const;

const EXPECTED_PREFIX = '$argon2id$v=19$m=65536,t=3,p=2$';

export async function hashObexalPassword(password: string): Promise<string> {
  const phc = await hash(password, { ...OBEXAL_ARGON2_PARAMETERS, algorithm: Algorithm.Argon2id });
  // Algorithm is a const enum: under tsx it is not inlined, so check that the library really produced argon2id.
  if (!phc.startsWith(EXPECTED_PREFIX)) {
    throw new StepFailedError(
      'the argon2 library produced a hash with unexpected parameters',
      'check the installed @node-rs/argon2 version',
    );
  }
  return phc;
}

let pool: Promise<string[]> | undefined;

/** The shared hashes of the bulk users (one per pooled password), computed once per process. */
export function bulkPasswordHashes(): Promise<string[]> {
  pool ??= Promise.all(BULK_PASSWORDS.map((p) => hashObexalPassword(p))).catch((error: unknown) => {
    pool = undefined;
    throw error;
  });
  return pool;
}
