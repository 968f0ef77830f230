/**
 * The practice sandbox needs two packages a server install leaves out (optional peer dependencies): s3rver for
 * the local bucket and @node-rs/argon2 (a native module) for the seed's and the auth-service's password hashes.
 * Checked before any sandbox module loads, so that a missing one is a message saying what to install rather
 * than a module-resolution stack trace.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/package-root.js';
import { UsageError } from '../core/errors.js';

/** Kept equal to package.json's peerDependencies (test/install checks). */
export const SANDBOX_PACKAGES = { s3rver: '3.7.1', '@node-rs/argon2': '2.2.1' } as const;

function resolvable(name: string): boolean {
  try {
    createRequire(join(PACKAGE_ROOT, 'package.json')).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

export function assertSandboxInstalled(): void {
  if (!existsSync(join(PACKAGE_ROOT, 'bin', 'obexal-sandbox-auth-service'))) {
    throw new UsageError(
      'the practice sandbox is not part of the single-file bundle',
      'install the package (`npm install -g obexal-runbook-<version>.tgz`, or `npm install` in a clone) to practise',
    );
  }
  const missing = Object.entries(SANDBOX_PACKAGES).filter(([name]) => !resolvable(name));
  if (missing.length === 0) return;
  const specs = missing.map(([name, version]) => `${name}@${version}`).join(' ');
  throw new UsageError(
    `the practice sandbox needs ${missing.map(([name]) => name).join(' and ')}, which a production install leaves out`,
    `install ${missing.length === 1 ? 'it' : 'them'} beside the tool: \`npm install -g ${specs}\` ` +
      `for a global install, ` +
      `\`npm install --no-save ${specs}\` in the tool's folder otherwise`,
  );
}
