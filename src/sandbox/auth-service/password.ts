/** Password verification against argon2id PHC strings, with the same cost for an unknown account. */
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// Obexal's parameters (64 MiB, 3 iterations, parallelism 2); argon2id is the library's default algorithm.
const OBEXAL_ARGON2 = { memoryCost: 65536, timeCost: 3, parallelism: 2 } as const;

let dummyHash: Promise<string> | undefined;

/** A hash nobody knows the password of, so that an unknown email costs as much as a wrong password. */
function dummy(): Promise<string> {
  dummyHash ??= hash(randomBytes(32), OBEXAL_ARGON2);
  return dummyHash;
}

/** Starts computing the dummy hash early (at start-up) so that the first unknown-email login is not faster. */
export function warmUpPasswordCheck(): void {
  void dummy();
}

export async function verifyPassword(phcHash: string | null | undefined, password: string): Promise<boolean> {
  if (!phcHash) {
    await verify(await dummy(), password).catch(() => false);
    return false;
  }
  try {
    return await verify(phcHash, password);
  } catch {
    return false; // a malformed stored hash never lets anyone in
  }
}
