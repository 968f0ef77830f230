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

export function redact(text: string): string {
  let out = text;
  const re = compiled();
  if (re) out = out.replace(re, MASK);
  return maskKeywordPasswords(maskUrlPasswords(out));
}

/*
 * The two password forms below are found by hand-written scanners, not by regular expressions: a pattern such as
 * /[a-z][a-z0-9+.-]*:\/\/…/g backtracks over every start position of a long run of letters and digits, which made
 * a 100 KB line take minutes (issue 17). Each scanner reads every character a bounded number of times.
 */

const SCHEME_CHAR = /[a-z0-9+.-]/i;
const LETTER = /[a-z]/i;
const WHITESPACE = /\s/;
/** What ends the user part of `scheme://user:password@` (besides whitespace). */
const USER_END = ':/?#@';

function endsUser(char: string): boolean {
  return USER_END.includes(char) || WHITESPACE.test(char);
}

/** The start of the URL scheme that ends just before `end` (`scheme://`), or -1 when there is none. */
function schemeStart(text: string, end: number, floor: number): number {
  let start = end;
  while (start > floor && SCHEME_CHAR.test(text[start - 1] as string)) start -= 1;
  while (start < end && !LETTER.test(text[start] as string)) start += 1;
  return start < end ? start : -1;
}

/** `scheme://user:password@` → `scheme://user:[redacted]@`, for any scheme (postgres, s3, http…). */
function maskUrlPasswords(text: string): string {
  let out = '';
  let copied = 0;
  let from = 0;
  for (let marker = text.indexOf('://', from); marker !== -1; marker = text.indexOf('://', from)) {
    from = marker + 3;
    if (schemeStart(text, marker, copied) === -1) continue;
    let colon = from;
    while (colon < text.length && !endsUser(text[colon] as string)) colon += 1;
    if (text[colon] !== ':') continue;
    let at = colon + 1;
    while (at < text.length && text[at] !== '@' && text[at] !== '/' && !WHITESPACE.test(text[at] as string)) at += 1;
    if (text[at] !== '@' || at === colon + 1) continue;
    out += `${text.slice(copied, colon + 1)}${MASK}`;
    copied = at;
    from = at + 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

const KEYWORD = /\bpassword\s*=\s*/gi;
/** A quoted libpq value longer than this is not a password: it is masked up to the next whitespace instead. */
const MAX_QUOTED = 1024;

/** The end (exclusive) of a quoted libpq value starting at `start` (a quote), or -1 when it does not close soon. */
function quotedEnd(text: string, start: number): number {
  const limit = Math.min(text.length, start + MAX_QUOTED);
  for (let i = start + 1; i < limit; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === "'") return i + 1;
  }
  return -1;
}

/** `password=...` inside libpq keyword strings (quoted or not) → `password=[redacted]`. */
function maskKeywordPasswords(text: string): string {
  let out = '';
  let copied = 0;
  KEYWORD.lastIndex = 0;
  for (let match = KEYWORD.exec(text); match; match = KEYWORD.exec(text)) {
    const start = match.index + match[0].length;
    let end = text[start] === "'" ? quotedEnd(text, start) : -1;
    if (end === -1) {
      end = start;
      while (end < text.length && !WHITESPACE.test(text[end] as string)) end += 1;
    }
    if (end === start) continue;
    out += `${text.slice(copied, start)}${MASK}`;
    copied = end;
    KEYWORD.lastIndex = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
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
