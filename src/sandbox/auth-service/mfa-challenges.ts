/**
 * MFA challenges, kept in memory as Obexal keeps them in Redis: single use, valid 5 minutes, 5 attempts. A
 * challenge is taken out while a code is checked, so two concurrent attempts cannot both use it.
 */
import { randomBytes } from 'node:crypto';

export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
export const CHALLENGE_ATTEMPTS = 5;
const MAX_CHALLENGES = 100_000;

export interface MfaChallenge {
  userId: string;
  tenantId: string;
  email: string;
  expiresAt: number;
  attemptsLeft: number;
}

export class MfaChallenges {
  private readonly pending = new Map<string, MfaChallenge>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  create(subject: { userId: string; tenantId: string; email: string }): string {
    this.sweep();
    if (this.pending.size >= MAX_CHALLENGES) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    this.pending.set(token, { ...subject, expiresAt: this.now() + CHALLENGE_TTL_MS, attemptsLeft: CHALLENGE_ATTEMPTS });
    return token;
  }

  /** Takes the challenge out (undefined when unknown, used, exhausted or expired). */
  take(token: string): MfaChallenge | undefined {
    const challenge = this.pending.get(token);
    if (!challenge) return undefined;
    this.pending.delete(token);
    if (challenge.expiresAt <= this.now() || challenge.attemptsLeft <= 0) return undefined;
    return challenge;
  }

  /** A wrong code: puts the challenge back with one attempt less; returns the attempts left. */
  failed(token: string, challenge: MfaChallenge): number {
    const attemptsLeft = challenge.attemptsLeft - 1;
    if (attemptsLeft > 0 && challenge.expiresAt > this.now()) {
      this.pending.set(token, { ...challenge, attemptsLeft });
    }
    return Math.max(attemptsLeft, 0);
  }

  get size(): number {
    return this.pending.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, challenge] of this.pending) if (challenge.expiresAt <= now) this.pending.delete(token);
  }
}
