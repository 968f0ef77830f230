/**
 * drill.pick-dump: which dump the drill restores. `latest` is the newest verified dump of the backup source in
 * the BUCKET (by default: a drill of the off-site copy proves that copy), or in BACKUP_DIR with `from: local`;
 * anything else is handed to restore.select as given (a name in the bucket or BACKUP_DIR, `bucket:<name>`, a
 * path). Reuses the restore module's catalog (the backup module's inventories).
 */
import { z } from 'zod';
import { messageOf, StepFailedError } from '../../core/errors.js';
import { defineAction, type ActionContext } from '../../engine/action.js';
import type { parseConnectionString as ParseConnectionString } from '../../pg/target.js';
import type { StoredBackup } from '../../backup/inventory.js';
import type { sourcesOf as SourcesOf } from '../../restore/catalog.js';
import type {
  connectTargetOrServer as ConnectTargetOrServer,
  systemIdentifier as SystemIdentifier,
} from '../../restore/server.js';

type From = 'bucket' | 'local';

/** The verified dumps in the chosen place; none there is a failure with the way out. */
function verifiedHere(verified: StoredBackup[], from: From): StoredBackup[] {
  const here = verified.filter((b) => b.location === from);
  if (here.length === 0) {
    throw new StepFailedError(
      `no verified dump in the ${from === 'bucket' ? 'bucket' : 'BACKUP_DIR'}`,
      from === 'bucket'
        ? 'run a backup (it replicates to the bucket and verifies the copy), then the drill'
        : 'run a backup first',
    );
  }
  return here;
}

/** The backup source's identity, when it answers: `latest` is the newest dump of that source. */
async function backupSourceIdentity(
  ctx: ActionContext,
  parseConnectionString: typeof ParseConnectionString,
  connectTargetOrServer: typeof ConnectTargetOrServer,
  systemIdentifier: typeof SystemIdentifier,
): Promise<string | undefined> {
  let source: string | undefined;
  const productionUrl = ctx.settings.get('DATABASE_URL');
  if (productionUrl) {
    try {
      const target = parseConnectionString(productionUrl);
      const { client, exists } = await connectTargetOrServer(target, ctx.signal);
      try {
        if (exists) source = `${await systemIdentifier(client)}/${target.database}`;
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      ctx.output(
        `the backup source did not answer (${messageOf(error)}): choosing among the dumps by their manifests alone`,
        'warn',
      );
    }
  }
  return source;
}

/** The newest dump of the source, or the newest of all when they come from a single source. */
function chooseLatest(
  here: StoredBackup[],
  source: string | undefined,
  sourcesOf: typeof SourcesOf,
): StoredBackup | undefined {
  const ofSource = source ? here.filter((b) => b.source === source) : [];
  let chosen = ofSource[0];
  if (!chosen) {
    const sources = sourcesOf(here);
    if (sources.length > 1) {
      throw new StepFailedError(
        `"latest" is ambiguous: the verified dumps come from ${sources.length} sources ` +
          `(${sources.join(', ')})${source ? `, none of them ${source}` : ''}`,
        'name the dump to drill: obexal-runbook drill <name>',
      );
    }
    chosen = here[0];
  }
  return chosen;
}

export const drillPickDumpAction = defineAction({
  name: 'drill.pick-dump',
  description: 'choose the dump to drill: the newest verified one in the bucket by default',
  readOnly: true,
  params: z
    .object({ dump: z.string().default('latest'), from: z.enum(['bucket', 'local']).default('bucket') })
    .strict(),
  describe: (p) =>
    (p.dump ?? 'latest') === 'latest'
      ? `the newest verified dump in the ${p.from === 'local' ? 'BACKUP_DIR' : 'bucket'}`
      : `dump ${p.dump}`,
  async run(params, ctx) {
    const wanted = params.dump.trim() || 'latest';
    if (wanted !== 'latest') return { message: `dump ${wanted} (as named)`, data: { ref: wanted, from: 'named' } };
    if (params.from === 'bucket' && !ctx.settings.get('S3_BUCKET')) {
      throw new StepFailedError(
        'the drill restores the newest dump of the bucket, and S3_BUCKET is not set',
        'set S3_BUCKET (the off-site copy is what a drill should prove), or run `obexal-runbook ' +
          'drill` with from: local in --answers',
      );
    }
    const [
      { readCatalog, verifiedBackups, sourcesOf },
      { parseConnectionString },
      { connectTargetOrServer, systemIdentifier },
    ] = await Promise.all([
      import('../../restore/catalog.js'),
      import('../../pg/target.js'),
      import('../../restore/server.js'),
    ]);
    const catalog = await readCatalog(ctx.settings, ctx.signal);
    if (params.from === 'bucket' && !catalog.bucket)
      throw new StepFailedError(
        `the bucket could not be listed: ${catalog.bucketProblem ?? 'unknown problem'}`,
        'check the bucket settings and credentials (`obexal-runbook config`)',
      );
    const here = verifiedHere(verifiedBackups(catalog), params.from);
    const source = await backupSourceIdentity(ctx, parseConnectionString, connectTargetOrServer, systemIdentifier);
    const chosen = chooseLatest(here, source, sourcesOf);
    const name = chosen?.dump?.name as string;
    ctx.output(
      `newest verified dump in the ${params.from === 'bucket' ? 'bucket' : 'BACKUP_DIR'}: ${name} ` +
        `(taken ${chosen?.takenAt.toISOString()}, reason ${chosen?.reason ?? '?'})`,
    );
    return {
      message: `${name} from the ${params.from === 'bucket' ? 'bucket' : 'BACKUP_DIR'}`,
      data: { ref: `${params.from}:${name}`, from: params.from, name, takenAt: chosen?.takenAt.toISOString() },
    };
  },
});
