/**
 * Scans every file under the given folders (and any extra texts) for secrets a test used, in the encodings
 * an output path could leak them in. Returns the findings; a test asserts there are none.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function variants(secret: string): string[] {
  const b64 = Buffer.from(secret).toString('base64');
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      JSON.stringify(secret).slice(1, -1),
      b64,
      b64.replace(/=+$/, ''),
      Buffer.from(secret).toString('base64url'),
    ]),
  ].filter((v) => v.length >= 4);
}

function* filesUnder(path: string): Generator<string> {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return;
  }
  if (stat.isFile()) {
    yield path;
    return;
  }
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(path)) yield* filesUnder(join(path, entry));
}

export interface SecretFinding {
  where: string;
  secretIndex: number;
}

export function scanForSecrets(
  paths: string[],
  secrets: string[],
  texts: Record<string, string> = {},
): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const check = (where: string, content: string) => {
    secrets.forEach((secret, secretIndex) => {
      if (variants(secret).some((v) => content.includes(v))) findings.push({ where, secretIndex });
    });
  };
  for (const root of paths) for (const file of filesUnder(root)) check(file, readFileSync(file).toString('latin1'));
  for (const [where, content] of Object.entries(texts)) check(where, content);
  return findings;
}
