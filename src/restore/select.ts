/**
 * restore.select: which dump. A path, a name in BACKUP_DIR or the bucket, `latest`, or, on a terminal with
 * nothing named, a list of what exists. A dump in the bucket is only located here: restore.verify fetches it,
 * decrypting and hashing as it arrives (fetch.ts), so that no copy of the encrypted file is written.
 */
import { AnswerRequiredError, StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { confirmChangedAnswer } from '../engine/earlier-answer.js';
import { parseConnectionString } from '../pg/target.js';
import { catalogChoices, readCatalog, sourcesOf, verifiedBackups, type Catalog } from './catalog.js';
import { formatBytes } from '../core/format.js';
import { formatTime } from './format.js';
import { locateDump } from './locate.js';
import { connectTargetOrServer, systemIdentifier } from './server.js';
import type { DumpRef } from './types.js';

export interface SelectParams {
  dump?: string | undefined;
  /** The database the dump is for: `latest` means the newest verified dump of its server and name. */
  target?: string | undefined;
}

/** The choice of the dump named `name` (from `origin` when it is still there, else from anywhere). */
function earlierChoice(choices: { value: string }[], name: string, origin: string | undefined): string | undefined {
  const exact = choices.find((c) => c.value === `${origin}:${name}`);
  return (exact ?? choices.find((c) => c.value.endsWith(`:${name}`)))?.value;
}

async function chooseFromList(ctx: ActionContext, catalog: Catalog): Promise<string> {
  const choices = catalogChoices(catalog);
  if (choices.length === 0) {
    throw new StepFailedError(
      `no dump found in ` +
        `BACKUP_DIR ${ctx.settings.get('BACKUP_DIR') ?? '(unset)'}` +
        `${ctx.settings.get('S3_BUCKET') ? ' or in the bucket' : ''}` +
        `${catalog.bucketProblem ? ` (bucket: ${catalog.bucketProblem})` : ''}`,
      'give the path of a dump file: obexal-runbook restore <file>',
    );
  }
  const newestVerified = choices.find((c) => c.backup.verified && c.backup.reason !== 'pre-restore')?.value;
  // Resumed: the dump the earlier run had chosen comes first, and choosing another one is confirmed in words.
  const earlier = earlierDump(ctx);
  const earlierValue = earlier ? earlierChoice(choices, earlier.name, earlier.origin) : undefined;
  const chosen = await ctx.interactor.choose(
    {
      kind: 'choice',
      name: 'dump',
      message: earlierValue
        ? 'Which dump to restore? (the earlier run chose the one highlighted)'
        : 'Which dump to restore? (date, size, reason, key era, verified)',
      options: choices.map((c) => ({
        value: c.value,
        label: c.value === earlierValue ? `${c.label}  ← the earlier run's` : c.label,
      })),
      default: earlierValue ?? newestVerified ?? choices[0]?.value,
    },
    ctx.signal,
  );
  if (!earlierValue) return chosen;
  // The same dump can be both local and in the bucket: the origin is part of the answer.
  const describe = (value: string) => value.replace(/^([a-z]+):(.*)$/, '$2 ($1)');
  const change = { name: 'dump', earlier: earlierValue, chosen, describe };
  return (await confirmChangedAnswer(ctx.interactor, change, ctx.signal)).value;
}

/** The dump the run being resumed had chosen (`local:` or `bucket:` and its name). */
function earlierDump(ctx: ActionContext): { name: string; origin?: string; value: string } | undefined {
  const dump = ctx.previous?.data.dump as { name?: unknown; origin?: unknown } | undefined;
  if (typeof dump?.name !== 'string') return undefined;
  const origin = dump.origin === 'local' || dump.origin === 'bucket' ? dump.origin : undefined;
  return { name: dump.name, ...(origin ? { origin } : {}), value: origin ? `${origin}:${dump.name}` : dump.name };
}

/** `latest`: the newest verified dump of the target's source (server system identifier and database). */
async function latest(ctx: ActionContext, catalog: Catalog, targetUrl: string | undefined): Promise<string> {
  const all = verifiedBackups(catalog);
  if (all.length === 0) {
    throw new StepFailedError(
      `no verified dump to call ` +
        `latest${catalog.bucketProblem ? ` (the bucket could not be listed: ${catalog.bucketProblem})` : ''}`,
      'name the dump to restore explicitly (a dump without a manifest is never "verified")',
    );
  }
  let source: string | undefined;
  let database: string | undefined;
  if (targetUrl) {
    const target = parseConnectionString(targetUrl);
    database = target.database;
    try {
      const { client } = await connectTargetOrServer(target, ctx.signal);
      try {
        source = `${await systemIdentifier(client)}/${target.database}`;
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      ctx.output(
        `the target server could not be reached to match its system identifier (${(error as Error).message})`,
        'warn',
      );
    }
  }
  const same = source ? verifiedBackups(catalog, source) : [];
  if (same[0]) return `${same[0].location}:${same[0].dump?.name}`;
  // A rebuilt server has a new system identifier: accept the dumps of one source with the same database name.
  const byName = database ? all.filter((b) => b.manifest?.source.database === database) : all;
  const sources = sourcesOf(byName);
  if (sources.length === 1 && byName[0]) {
    ctx.output(
      `no verified dump of ${source ?? 'the target'}; the newest verified dump of ${sources[0]} is ` +
        `used (the target server is not the dumps' source: a rebuilt server?)`,
      'warn',
    );
    return `${byName[0].location}:${byName[0].dump?.name}`;
  }
  throw new StepFailedError(
    `"latest" is ambiguous: no verified dump of ${source ?? 'the target'}, and the dumps come ` +
      `from ${sources.length} sources (${sources.join(', ') || 'none with a manifest'})`,
    'name the dump to restore explicitly',
  );
}

function dumpRefOf(located: Awaited<ReturnType<typeof locateDump>>): DumpRef {
  const manifest = located.manifest;
  const dump: DumpRef = {
    name: located.name,
    path: located.path ?? '',
    origin: located.origin,
    downloaded: false,
    encrypted: manifest ? manifest.dump.encryption === 'age' : located.name.endsWith('.age'),
    size: located.size,
    manifest,
  };
  if (located.objectName) dump.objectName = located.objectName;
  if (located.manifestNote) dump.manifestNote = located.manifestNote;
  return dump;
}

export async function runSelect(params: SelectParams, ctx: ActionContext): Promise<ActionResult> {
  let catalog: Catalog | undefined;
  const loadCatalog = async () => (catalog ??= await readCatalog(ctx.settings, ctx.signal));
  let text = (params.dump ?? '').trim();
  const earlier = earlierDump(ctx);
  if (earlier && (text === 'latest' || (text === '' && ctx.interactor.mode === 'headless'))) {
    // A resumed run restores the dump its run chose, never a newer one that appeared since.
    ctx.output(`resumed: the dump the run chose, ${earlier.name}`, 'info');
    text = earlier.value;
  } else if (text === '') {
    if (ctx.interactor.mode === 'headless') {
      throw new AnswerRequiredError(
        'dump',
        'which dump to restore was not given: nothing was changed',
        'name it: obexal-runbook restore <file | name in BACKUP_DIR or the bucket | latest> (or `dump:` in --answers)',
      );
    }
    text = await chooseFromList(ctx, await loadCatalog());
  } else if (text === 'latest') {
    text = await latest(ctx, await loadCatalog(), params.target);
  }
  if (catalog?.bucketProblem) ctx.output(`the bucket could not be listed: ${catalog.bucketProblem}`, 'warn');
  const located = await locateDump(text, ctx.settings, loadCatalog);
  const manifest = located.manifest;
  const dump = dumpRefOf(located);
  const described = manifest
    ? `${located.name} (${located.origin}; taken ${formatTime(manifest.startedAt)}, ` +
      `reason ${manifest.reason}, ` +
      `era ${manifest.keyEras.map((e) => e.label).join('+') || '?'}, ${formatBytes(located.size)})`
    : `${located.name} (${located.origin}, ${formatBytes(located.size)}; ${located.manifestNote ?? 'no manifest'})`;
  if (!manifest) {
    ctx.output(
      `no manifest for this dump: its SHA-256, row counts, key era and source cannot be checked; ` +
        `the archive will be read in full instead (${located.manifestNote ?? 'missing'})`,
      'warn',
    );
  }
  if (located.origin === 'bucket') {
    if (ctx.dryRun) return { message: `would fetch ${described}`, data: { dump } };
    ctx.output(`${located.name} is fetched by the next step, decrypted and hashed as it arrives`, 'info');
  }
  return {
    message: `dump ${described}`,
    data: {
      dump,
      record: {
        dump: {
          name: dump.name,
          origin: dump.origin,
          manifest: manifest !== null,
          takenAt: manifest?.startedAt ?? null,
          reason: manifest?.reason ?? null,
          sha256: manifest?.dump.sha256 ?? null,
        },
      },
    },
  };
}
