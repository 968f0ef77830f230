/** `KEY='value'` lines that `set -a; . <file>` loads: every runbook then runs headless against the sandbox. */
import { writeFile } from 'node:fs/promises';

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function formatEnvFile(env: Record<string, string>, header: string[]): string {
  const lines = header.map((h) => `# ${h}`);
  for (const [name, value] of Object.entries(env)) lines.push(`${name}=${shellQuote(value)}`);
  return `${lines.join('\n')}\n`;
}

/** The file holds the sandbox's secrets: 0600, and it should live in a private folder. */
export async function writeEnvFile(path: string, env: Record<string, string>, header: string[]): Promise<void> {
  await writeFile(path, formatEnvFile(env, header), { mode: 0o600 });
}
