/** The names a swap gives databases: `<db>__restore_<run id>` while restoring, `<db>__before_<run id>` after. */
import { Buffer } from 'node:buffer';

const MAX_NAME_BYTES = 63;

export function swapName(database: string, kind: 'restore' | 'before', runId: string): string {
  const suffix = `__${kind}_${runId}`;
  let base = database;
  while (Buffer.byteLength(base + suffix) > MAX_NAME_BYTES && base.length > 0) base = base.slice(0, -1);
  return base + suffix;
}
