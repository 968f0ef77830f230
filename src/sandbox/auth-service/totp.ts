/** TOTP verification (RFC 6238: SHA-1, 6 digits, 30-second steps, ±1 step of clock drift). */
import { Secret, TOTP } from 'otpauth';

const PERIOD_SECONDS = 30;
const WINDOW_STEPS = 1;

/** The time step the code belongs to, or undefined when the code is wrong. */
export function matchTotpStep(secretBase32: string, code: string, nowMs = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  let totp: TOTP;
  try {
    totp = new TOTP({
      secret: Secret.fromBase32(secretBase32.replace(/\s+/g, '')),
      algorithm: 'SHA1',
      digits: 6,
      period: PERIOD_SECONDS,
    });
  } catch {
    return undefined;
  }
  const delta = totp.validate({ token: code, timestamp: nowMs, window: WINDOW_STEPS });
  if (delta === null) return undefined;
  return totp.counter({ timestamp: nowMs }) + delta;
}
