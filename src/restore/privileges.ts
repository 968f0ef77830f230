/**
 * restore.preflight: what the restoring role may do, found before anything changes (before the confirmation and,
 * in place, before the safety dump). Whether object ownership is kept (`--no-owner` chosen by itself when the
 * role cannot take the dump's owners: not a superuser and not a member of them), extensions the role may not
 * create (untrusted ones such as postgres_fdw need a superuser), and, in place, objects of the target owned by
 * roles it is not a member of (`--clean` must drop them). Each problem names the statement or role that fixes it.
 */
import type pg from 'pg';
import { StepFailedError } from '../core/errors.js';
import type { ActionContext, ActionResult } from '../engine/action.js';
import { parseConnectionString } from '../pg/target.js';
import { archiveListText, findPgRestore } from './archive.js';
import { quoteIdent } from '../pg/ident.js';
import { connectTargetOrServer } from './server.js';
import type { DumpRef, Inspection, VerifiedDump } from './types.js';

const ENTRY_TYPES =
  'TABLE DATA|TABLE|SEQUENCE SET|SEQUENCE|VIEW|MATERIALIZED VIEW|EXTENSION|SCHEMA|FUNCTION|TYPE|DOMAIN';
const TYPED_ENTRY = new RegExp(`^(${ENTRY_TYPES}) (\\S+) (.+) (\\S+)$`);

export type NoOwnerChoice = 'auto' | 'yes' | 'no';

export interface PreflightParams {
  target: string;
  /** The verified dump; absent under --dry-run (nothing is decrypted): the manifest of `selected` then says. */
  dump?: VerifiedDump | undefined;
  selected?: DumpRef | undefined;
  inspection: Inspection;
  noOwner: NoOwnerChoice;
  role?: string | undefined;
  needsReencrypt?: boolean | undefined;
}

export interface TocItem {
  desc: string;
  schema: string;
  name: string;
  owner: string;
}

/** The archive's entries with their owners (`pg_restore --list`: the owner is the last word of each entry). */
export async function archiveItems(file: string, signal: AbortSignal): Promise<TocItem[]> {
  const listing = await archiveListText(await findPgRestore(), file, signal);
  const items: TocItem[] = [];
  for (const line of listing.split('\n')) {
    const match = /^\d+;\s+\d+\s+\d+\s+(.*)$/.exec(line);
    if (!match) continue;
    const words = (match[1] as string).split(' ');
    const owner = words.at(-1) ?? '';
    const typed = TYPED_ENTRY.exec(match[1] as string);
    items.push({ desc: typed?.[1] ?? words[0] ?? '', schema: typed?.[2] ?? '-', name: typed?.[3] ?? '', owner });
  }
  return items;
}

interface RoleFacts {
  role: string;
  superuser: boolean;
}

async function roleFacts(client: pg.ClientBase, role: string | undefined): Promise<RoleFacts> {
  const row = (
    await client.query<{ role: string; superuser: boolean }>(
      'SELECT rolname AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = coalesce($1, current_user)',
      [role ?? null],
    )
  ).rows[0];
  if (!row)
    throw new StepFailedError(
      `the role "${role}" given with --role does not exist on the target server`,
      'give a role the connecting user is a member of (--role / RESTORE_ROLE), or none',
    );
  return row;
}

/** Owners of the dump's objects that `role` cannot become (missing here, or not a role it is a member of). */
async function foreignOwners(client: pg.ClientBase, role: string, owners: readonly string[]): Promise<string[]> {
  if (owners.length === 0) return [];
  const rows = await client.query<{ owner: string; member: boolean | null }>(
    `SELECT o.owner, CASE WHEN r.oid IS NULL THEN NULL ELSE pg_has_role($1, r.oid, 'MEMBER') END AS member
       FROM unnest($2::text[]) AS o(owner) LEFT JOIN pg_roles r ON r.rolname = o.owner`,
    [role, [...owners]],
  );
  return rows.rows.filter((r) => r.member !== true).map((r) => r.owner);
}

async function extensionProblems(
  client: pg.ClientBase,
  extensions: readonly string[],
  database: string,
  role: string,
  inPlace: boolean,
): Promise<string[]> {
  if (extensions.length === 0) return [];
  const rows = await client.query<{
    name: string;
    available: boolean;
    trusted: boolean;
    installed_owner: string | null;
    owner_member: boolean | null;
  }>(
    `SELECT e.name, a.name IS NOT NULL AS available, coalesce(a.trusted, false) AS trusted,
            pg_get_userbyid(x.extowner) AS installed_owner,
            CASE WHEN x.extowner IS NULL THEN NULL ELSE pg_has_role($2, x.extowner, 'MEMBER') END AS owner_member
       FROM unnest($1::text[]) AS e(name)
       LEFT JOIN (SELECT name, bool_or(trusted) AS trusted FROM pg_available_extension_versions GROUP BY name) a
              ON a.name = e.name
       LEFT JOIN pg_extension x ON x.extname = e.name`,
    [[...extensions], role],
  );
  const problems: string[] = [];
  for (const r of rows.rows) {
    if (!r.available)
      problems.push(`the extension ${r.name} is not installed on the target server: install its package there`);
    else if (inPlace && r.installed_owner !== null && r.owner_member === false) {
      problems.push(
        `the extension ${r.name} in the target belongs to ${r.installed_owner}: --clean must drop ` +
          `it; restore as ${r.installed_owner} or a superuser`,
      );
    } else if (!r.trusted && !(inPlace && r.installed_owner !== null)) {
      problems.push(
        `the extension ${r.name} is not trusted: only a superuser may create it; ask one to run ` +
          `CREATE EXTENSION ${quoteIdent(r.name)} in ${database}, or restore as a superuser`,
      );
    } else if (!r.trusted && inPlace) {
      problems.push(
        `the extension ${r.name} is not trusted: --clean drops and creates it again, which needs a ` +
          `superuser; restore as a superuser`,
      );
    }
  }
  return problems;
}

/** In place: objects the dump replaces whose current owner the role is not a member of (`--clean` cannot drop them). */
async function foreignObjects(client: pg.ClientBase, role: string, items: readonly TocItem[]): Promise<string[]> {
  const replaced = items.filter((i) => ['TABLE', 'SEQUENCE', 'VIEW', 'MATERIALIZED VIEW'].includes(i.desc));
  if (replaced.length === 0) return [];
  const rows = await client.query<{ schema: string; name: string; owner: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, pg_get_userbyid(c.relowner) AS owner
       FROM unnest($2::text[], $3::text[]) AS d(schema, name)
       JOIN pg_namespace n ON n.nspname = d.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = d.name
      WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm') AND NOT pg_has_role($1, c.relowner, 'MEMBER')
      ORDER BY 1, 2`,
    [role, replaced.map((i) => i.schema), replaced.map((i) => i.name)],
  );
  return rows.rows.map((r) => `${quoteIdent(r.schema)}.${quoteIdent(r.name)} (owner ${r.owner})`);
}

/** In place, the pre-restore safety dump is encrypted like any dump: its recipients must be known before it starts. */
async function safetyDumpProblems(ctx: ActionContext): Promise<string[]> {
  if (ctx.settings.get('BACKUP_ENCRYPTION') === 'none') return [];
  const { recipientsFrom, NoRecipientError } = await import('../backup/recipients.js');
  try {
    await recipientsFrom(ctx.settings);
    return [];
  } catch (error) {
    if (!(error instanceof NoRecipientError)) throw error;
    return [
      'the pre-restore safety dump is encrypted and no age recipient is configured: set BACKUP_RECIPIENTS (or _FILE)',
    ];
  }
}

/** Whether object ownership is kept (said on the output with why); `auto` drops it when the role cannot take it. */
function ownershipChoice(ctx: ActionContext, params: PreflightParams, role: RoleFacts, foreign: string[]): boolean {
  const noOwner = params.noOwner === 'yes' || (params.noOwner === 'auto' && foreign.length > 0);
  const why =
    params.noOwner === 'auto'
      ? foreign.length > 0
        ? ` (chosen by itself: ${role.role} is not a superuser and cannot take the dump's ` +
          `owner(s) ${foreign.join(', ')}; every object is owned by ${role.role})`
        : ` ` + `(${role.role} ${role.superuser ? 'is a superuser' : 'is a member of every owner in the dump'})`
      : ` (RESTORE_NO_OWNER / --no-owner: ${params.noOwner})`;
  ctx.output(
    `ownership: ${noOwner ? '--no-owner' : 'kept as in the dump'}${why}` +
      `${params.role ? `; pg_restore --role=${params.role}` : ''}`,
    'info',
  );
  return noOwner;
}

/** What a role that is not a superuser may not do with this dump: extensions, owners, objects --clean drops. */
async function nonSuperuserProblems(
  ctx: ActionContext,
  client: pg.ClientBase,
  params: PreflightParams,
  database: string,
  ownership: { role: string; foreign: string[]; noOwner: boolean },
  items: TocItem[] | undefined,
): Promise<string[]> {
  const { role, foreign, noOwner } = ownership;
  const inPlace = params.inspection.mode === 'in-place';
  const problems: string[] = [];
  if (params.dump)
    problems.push(
      ...(await extensionProblems(
        client,
        params.dump.archive.extensions,
        database,
        role,
        inPlace && params.inspection.exists,
      )),
    );
  else ctx.output('extensions: checked once the dump is read (a dry run does not decrypt it)', 'info');
  if (!noOwner && foreign.length > 0)
    problems.push(
      `${role} cannot give objects to ${foreign.join(', ')}: restore with --no-owner ` +
        `(RESTORE_NO_OWNER=yes), or as a superuser`,
    );
  if (inPlace && params.inspection.exists && items) {
    const objects = await foreignObjects(client, role, items);
    if (objects.length > 0)
      problems.push(
        `--clean must drop objects ${role} does not ` +
          `own: ${objects.slice(0, 10).join(', ')}` +
          `${objects.length > 10 ? ` and ${objects.length - 10} more` : ''}; ` +
          `restore as their owner or a superuser`,
      );
  }
  return problems;
}

function preflightResult(params: PreflightParams, role: RoleFacts, noOwner: boolean, inPlace: boolean): ActionResult {
  return {
    message:
      `${role.role}${role.superuser ? ' (superuser)' : ''}: ${noOwner ? '--no-owner' : 'owners kept'}; ` +
      `nothing it may not do`,
    data: {
      noOwner,
      role: params.role || null,
      restoringRole: role.role,
      superuser: role.superuser,
      // Which steps of the runbook run (known before anything runs, so that --dry-run shows them).
      swap: !inPlace,
      inPlace,
      reencryptCopy: !inPlace && Boolean(params.needsReencrypt),
      reencryptInPlace: inPlace && Boolean(params.needsReencrypt),
      record: { ownership: { noOwner, role: role.role } },
    },
  };
}

export async function runPreflight(params: PreflightParams, ctx: ActionContext): Promise<ActionResult> {
  const target = parseConnectionString(params.target);
  const inPlace = params.inspection.mode === 'in-place';
  const items = params.dump ? await archiveItems(params.dump.plaintextPath, ctx.signal) : undefined;
  const recorded = (params.dump?.manifest ?? params.selected?.manifest)?.source.objectOwners;
  const { client } = await connectTargetOrServer(target, ctx.signal);
  try {
    const role = await roleFacts(client, params.role || undefined);
    const known = items ? items.map((i) => i.owner) : recorded;
    const owners = [...new Set((known ?? []).filter((o) => o !== '' && o !== '-'))].sort();
    if (!known && !role.superuser)
      ctx.output(
        `ownership: the dump's owners are known once it is read (no manifest records ` +
          `them): ${role.role} is not a superuser`,
        'info',
      );
    const foreign = role.superuser ? [] : await foreignOwners(client, role.role, owners);
    const noOwner = ownershipChoice(ctx, params, role, foreign);
    const problems: string[] = role.superuser
      ? []
      : await nonSuperuserProblems(ctx, client, params, target.database, { role: role.role, foreign, noOwner }, items);
    if (inPlace && params.inspection.exists) problems.push(...(await safetyDumpProblems(ctx)));
    if (problems.length > 0) {
      throw new StepFailedError(
        `${role.role} may not restore this dump into ${target.label}: ${problems.join('; ')}`,
        `nothing was changed (no safety dump, no copy): fix the above, or restore as a superuser ` +
          `(${problems.length} problem(s))`,
      );
    }
    return preflightResult(params, role, noOwner, inPlace);
  } finally {
    await client.end().catch(() => undefined);
  }
}
