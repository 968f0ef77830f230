/** Where the package is installed: src/core and dist/core are both two levels below its root. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILTIN_RUNBOOKS_DIR = join(PACKAGE_ROOT, 'runbooks');
