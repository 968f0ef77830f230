/** SQL fragments that pick from arrays passed as query parameters, so that rows are built server-side. */

/** A uniformly random element of the text[] parameter `$n`. */
export function pickText(param: number): string {
  return `($${param}::text[])[1 + floor(random() * cardinality($${param}::text[]))::int]`;
}

/** A uniformly random 1-based index into the array parameter `$n`. */
export function pickIndex(param: number, type = 'text'): string {
  return `(1 + floor(random() * cardinality($${param}::${type}[]))::int)`;
}

/** An IPv4 (80%) or IPv6 (20%) address built from the prefix arrays `$v4` and `$v6`. */
export function pickIp(v4: number, v6: number): string {
  return `CASE WHEN random() < 0.8
    THEN ${pickText(v4)} || (1 + floor(random() * 254))::int
    ELSE ${pickText(v6)} || to_hex(floor(random() * 65535)::int) || ':' || to_hex(floor(random() * 65535)::int)
         || '::' || to_hex(1 + floor(random() * 65534)::int) END`;
}

/** Lower-case ASCII for e-mail local parts: "Wiśniewski" → "wisniewski", "de Jong" → "dejong". */
export function asciiSlug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o')
    .replace(/ł/g, 'l')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}
