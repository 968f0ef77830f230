/**
 * The one redaction layer. Every output path (screen, headless reporter, journal, record, error messages,
 * child output kept in the journal) passes text through `redact`. Secrets are registered as soon as they are
 * read (environment, key command, prompt, password file); each is removed in every encoding we may emit:
 * as is, URL-encoded, JSON-escaped, base64 and base64url. Passwords inside connection strings are removed by
 * pattern even when they were never registered.
 */

const MASK = '[redacted]';
const MIN_SECRET_LENGTH = 3;

const secrets = new Set<string>();
let patterns: RegExp | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function variantsOf(secret: string): string[] {
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  const unpadded = base64.replace(/=+$/, '');
  const variants = [
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    JSON.stringify(secret).slice(1, -1),
    base64,
    unpadded,
    Buffer.from(secret, 'utf8').toString('base64url'),
  ];
  return variants.filter((v) => v.length >= MIN_SECRET_LENGTH);
}

/** Register a secret value so that it never reaches any output. Safe to call repeatedly. */
export function addSecret(value: string | undefined | null): void {
  if (!value) return;
  const trimmed = value.trim();
  for (const candidate of new Set([value, trimmed])) {
    if (candidate.length < MIN_SECRET_LENGTH || secrets.has(candidate)) continue;
    secrets.add(candidate);
    patterns = undefined;
  }
}

/** Register the password of a connection string (postgres://user:password@host/db), if it has one. */
export function addConnectionStringSecret(url: string | undefined): void {
  if (!url) return;
  try {
    const parsed = new URL(url);
    if (parsed.password) addSecret(decodeURIComponent(parsed.password));
  } catch {
    // not a URL: nothing to extract; the pattern below still masks user:password@ forms
  }
}

function compiled(): RegExp | undefined {
  if (patterns || secrets.size === 0) return patterns;
  const all = new Set<string>();
  for (const secret of secrets) for (const v of variantsOf(secret)) all.add(v);
  // Longest first so that a secret containing another is removed whole.
  const alternatives = [...all].sort((a, b) => b.length - a.length).map(escapeRegExp);
  patterns = new RegExp(alternatives.join('|'), 'g');
  return patterns;
}

// scheme://user:password@  → scheme://user:[redacted]@   (any scheme, so postgres, s3, http all covered)
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s/]+)@/gi;
// password=... inside libpq keyword strings
const KEYWORD_PASSWORD = /(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]+)/gi;

export function redact(text: string): string {
  let out = text;
  const re = compiled();
  if (re) out = out.replace(re, MASK);
  out = out.replace(URL_PASSWORD, `$1${MASK}@`);
  out = out.replace(KEYWORD_PASSWORD, `$1${MASK}`);
  return out;
}

/** Deep-redacts every string inside a JSON-able value (for journal lines and records). */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactValue(v);
    return out as T;
  }
  return value;
}

/** For tests: every registered secret (never print this). */
export function registeredSecrets(): readonly string[] {
  return [...secrets];
}

/** For tests only. */
export function clearSecretsForTests(): void {
  secrets.clear();
  patterns = undefined;
}
