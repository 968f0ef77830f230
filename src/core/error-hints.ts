/**
 * A "what to do" for errors that reach the engine without a hint of their own (a server error from a query an
 * action did not expect to fail). Each names the fix an operator can apply; the message itself stays as it was.
 */

interface ServerErrorShape {
  code?: unknown;
  message?: unknown;
}

/** `permission denied for table webhooks` (SQLSTATE 42501): grant the privilege or run as the owner. */
function permissionHint(message: string): string | undefined {
  const kinds = 'table|schema|sequence|database|function|relation|view';
  const match = new RegExp(`permission denied for (${kinds}) ("?[^\\s"]+"?)`).exec(message);
  if (!match) return undefined;
  const [, kind, name] = match;
  const grant =
    kind === 'schema'
      ? `GRANT USAGE ON SCHEMA ${name} TO <role>`
      : kind === 'database'
        ? `GRANT CONNECT ON DATABASE ${name} TO <role>`
        : kind === 'sequence'
          ? `GRANT SELECT ON SEQUENCE ${name} TO <role>`
          : kind === 'function'
            ? `GRANT EXECUTE ON FUNCTION ${name} TO <role>`
            : `GRANT SELECT ON ${name} TO <role>`;
  return (
    `the role in DATABASE_URL may not read ${kind} ${name}: ` +
    `have its owner run \`${grant}\` (the role of DATABASE_URL), ` +
    "or run this runbook as the role that owns the database's tables"
  );
}

export function fallbackHint(error: unknown, message: string): string | undefined {
  const shape = (error ?? {}) as ServerErrorShape;
  if (shape.code === '42501' || /permission denied for /.test(message)) return permissionHint(message);
  return undefined;
}
