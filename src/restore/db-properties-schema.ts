/**
 * The shape of a database's own properties (owner, encoding, locale, comment, settings, grants), as the manifest
 * records them at backup time and the restore applies them. Zod only, so that the backup can import it.
 */
import { z } from 'zod';

export const DatabasePropertiesSchema = z.object({
  name: z.string(),
  owner: z.string(),
  encoding: z.string(),
  collate: z.string(),
  ctype: z.string(),
  /** 'c' libc, 'i' icu, 'b' builtin (PostgreSQL 15+); null before 15. */
  localeProvider: z.string().nullable(),
  /** The ICU or builtin locale, when the provider uses one. */
  providerLocale: z.string().nullable(),
  connLimit: z.number().int(),
  comment: z.string().nullable(),
  /** `name=value` entries of `ALTER DATABASE … SET`. */
  settings: z.array(z.string()),
  roleSettings: z.array(z.object({ role: z.string(), settings: z.array(z.string()) })),
  /** null: the default privileges (no ACL); else every grant. */
  grants: z
    .array(z.object({ grantee: z.string().nullable(), privilege: z.string(), grantable: z.boolean() }))
    .nullable(),
});
export type DatabaseProperties = z.infer<typeof DatabasePropertiesSchema>;
