/**
 * The newest applied migration, read through the profile: a version column of any type (an integer, or a
 * Rails-style `varchar` of digits ordered as numbers, not as text), with a name when the table has one.
 */
import type { ClientBase } from 'pg';
import { qualifiedName, quoteIdent } from '../pg/ident.js';
import type { SchemaProfile } from './config.js';
import { detectMigrations } from './detect.js';

export type NewestMigration =
  { checked: true; version: string | null; name: string | null } | { checked: false; why: string };

export async function readNewestMigration(client: ClientBase, profile: SchemaProfile): Promise<NewestMigration> {
  const found = await detectMigrations(client, profile);
  if (!found.found) return { checked: false, why: found.why };
  const table = qualifiedName(found.table);
  const version = `${quoteIdent(profile.migrations.version)}::text`;
  const name = found.hasName ? `${quoteIdent(profile.migrations.name)}::text` : 'NULL::text';
  // Digits only: as numbers (leading zeros aside, a longer number is larger); anything else: as text.
  const row = (
    await client.query<{ version: string | null; name: string | null }>(
      `SELECT ${version} AS version, ${name} AS name FROM ${table} WHERE ${version} IS NOT NULL
        ORDER BY (${version} ~ '^[0-9]+$') DESC,
                 CASE WHEN ${version} ~ '^[0-9]+$' THEN length(ltrim(${version}, '0')) END DESC,
                 CASE WHEN ${version} ~ '^[0-9]+$' THEN ltrim(${version}, '0') END DESC,
                 ${version} DESC
        LIMIT 1`,
    )
  ).rows[0];
  return { checked: true, version: row?.version ?? null, name: row?.name ?? null };
}
