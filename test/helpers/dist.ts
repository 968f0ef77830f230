/** dist/ as `npm run build` left it (the test script builds first); the install tests read it, never rebuild it. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export function assertDistCurrent(): void {
  const stamp = join(ROOT, 'dist', '.stamp');
  assert.ok(existsSync(stamp), 'dist/ is built: run `npm run build` first (npm test does)');
  const newestSource = Math.max(
    ...readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).map(
      (path) => statSync(join(ROOT, 'src', path)).mtimeMs,
    ),
  );
  assert.ok(statSync(stamp).mtimeMs >= newestSource, 'dist/ is older than src/: run `npm run build` first');
}
