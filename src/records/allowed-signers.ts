/**
 * The allowed_signers file of `ssh-keygen -Y verify` (ssh-keygen(1), "ALLOWED SIGNERS"):
 *   principals [options] keytype base64-key [comment]
 * principals is a comma-separated pattern list; options are comma-separated, among them `namespaces="…"`,
 * `valid-after=…`, `valid-before=…` and `cert-authority`. Only plain ssh-ed25519 keys can have signed a record;
 * other lines are kept aside with the reason, never an error.
 */
import { SshWireError } from './ssh-wire.js';
import { ED25519_KEY_TYPE, fingerprint, parsePublicKeyBlob } from './ssh-keys.js';

export interface AllowedSigner {
  principals: string;
  namespaces: string | undefined;
  publicKey: Buffer;
  validAfter: Date | undefined;
  validBefore: Date | undefined;
  line: number;
}

export interface AllowedSigners {
  signers: AllowedSigner[];
  skipped: { line: number; reason: string }[];
}

function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    if (!quoted && /\s/.test(char)) {
      if (current) tokens.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current) tokens.push(current);
  return tokens;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

const unquote = (text: string): string => text.replace(/^"(.*)"$/s, '$1');
const looksLikeKeyType = (token: string): boolean => /^(ssh-|ecdsa-|sk-|rsa-sha2-)/.test(token);

/** YYYYMMDD[HHMM[SS]][Z]: UTC with Z, local time without, as ssh-keygen reads it. */
function parseValidity(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/i.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as number[];
  const parts = [year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0] as const;
  return match[7] ? new Date(Date.UTC(...parts)) : new Date(...parts);
}

export function parseAllowedSigners(text: string): AllowedSigners {
  const result: AllowedSigners = { signers: [], skipped: [] };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const tokens = tokenize(trimmed);
    const hasOptions = tokens[1] !== undefined && !looksLikeKeyType(tokens[1]);
    const [principals, options, keyType, keyData] = hasOptions ? tokens : [tokens[0], undefined, tokens[1], tokens[2]];
    if (!principals || !keyType || !keyData) {
      result.skipped.push({ line, reason: 'expected: principals [options] keytype key' });
      return;
    }
    const signer: AllowedSigner = {
      principals: unquote(principals),
      namespaces: undefined,
      publicKey: Buffer.alloc(0),
      validAfter: undefined,
      validBefore: undefined,
      line,
    };
    for (const option of options ? splitOutsideQuotes(options, ',') : []) {
      const [name = '', ...valueParts] = option.split('=');
      const value = unquote(valueParts.join('='));
      switch (name.toLowerCase()) {
        case 'namespaces':
          signer.namespaces = value;
          break;
        case 'valid-after':
          signer.validAfter = parseValidity(value);
          break;
        case 'valid-before':
          signer.validBefore = parseValidity(value);
          break;
        case 'cert-authority':
          result.skipped.push({
            line,
            reason: 'cert-authority lines are not supported (records are signed by plain keys)',
          });
          return;
        default:
          break; // unknown options are ignored, as ssh-keygen does for ones it does not need
      }
    }
    if (keyType !== ED25519_KEY_TYPE) {
      result.skipped.push({ line, reason: `${keyType} keys cannot have signed a record (only ${ED25519_KEY_TYPE})` });
      return;
    }
    try {
      signer.publicKey = parsePublicKeyBlob(Buffer.from(keyData, 'base64'));
    } catch (error) {
      result.skipped.push({ line, reason: error instanceof SshWireError ? error.message : 'unreadable key' });
      return;
    }
    result.signers.push(signer);
  });
  return result;
}

/** OpenSSH's match_pattern: `*` and `?` wildcards over the whole value. */
function matchPattern(value: string, pattern: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/** OpenSSH's match_pattern_list: a negated match (`!pattern`) wins over any positive one. */
export function matchPatternList(value: string, list: string): boolean {
  let matched = false;
  for (const entry of list.split(',')) {
    const negated = entry.startsWith('!');
    const pattern = negated ? entry.slice(1) : entry;
    if (!matchPattern(value, pattern)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

export type TrustDecision = { trusted: true } | { trusted: false; reason: string };

/** Is `publicKey` allowed to sign as `principal` in `namespace` at `now`? */
export function decideTrust(
  allowed: AllowedSigners,
  publicKey: Buffer,
  principal: string,
  namespace: string,
  now: Date = new Date(),
): TrustDecision {
  const candidates = allowed.signers.filter((signer) => signer.publicKey.equals(publicKey));
  if (candidates.length === 0) {
    return { trusted: false, reason: `unknown signer: key ${fingerprint(publicKey)} is not an allowed signer` };
  }
  const reasons: string[] = [];
  for (const signer of candidates) {
    if (!matchPatternList(principal, signer.principals)) {
      reasons.push(
        `line ${signer.line} allows this key only for principals "${signer.principals}", not "${principal}"`,
      );
    } else if (signer.namespaces !== undefined && !matchPatternList(namespace, signer.namespaces)) {
      reasons.push(`line ${signer.line} allows this key only in namespaces "${signer.namespaces}"`);
    } else if (signer.validAfter && now < signer.validAfter) {
      reasons.push(`line ${signer.line} allows this key only after ${signer.validAfter.toISOString()}`);
    } else if (signer.validBefore && now > signer.validBefore) {
      reasons.push(`line ${signer.line} allowed this key only until ${signer.validBefore.toISOString()}`);
    } else {
      return { trusted: true };
    }
  }
  return { trusted: false, reason: `signer not allowed: ${reasons.join('; ')}` };
}
