/** `obexal-runbook config`: every setting, its value (secrets as set/unset) and where it came from. */
import { redact } from '../../core/redact.js';
import type { Invocation } from '../environment.js';
import { setPersistedSetting } from '../environment.js';
import { UsageError } from '../../core/errors.js';

/** One JSON document: a secret says only whether it is set; a connection string loses its password. */
function configJson(invocation: Invocation): string {
  const settings = invocation.settings.all().map(({ definition, value, source }) => ({
    name: definition.name,
    ...(definition.secret ? { secret: true } : { value: value === undefined ? null : redact(value) }),
    set: value !== undefined,
    source,
  }));
  return JSON.stringify({ configFile: invocation.store.path, settings }, null, 2);
}

export function configCommand(
  invocation: Invocation,
  args: string[],
  options: { json?: boolean } = {},
): { text: string; exitCode: number } {
  const [verb, name, value] = args;
  if (verb === 'set' || verb === 'unset') {
    if (!name || (verb === 'set' && value === undefined))
      throw new UsageError(`usage: obexal-runbook config ${verb} NAME${verb === 'set' ? ' VALUE' : ''}`);
    const path = setPersistedSetting(invocation.store, name, verb === 'set' ? value : undefined);
    return { text: `${name} ${verb === 'set' ? 'saved' : 'removed'} in ${path}`, exitCode: 0 };
  }
  if (verb !== undefined)
    throw new UsageError(
      `unknown config command "${verb}"`,
      'use `config`, `config set NAME VALUE` or `config unset NAME`',
    );
  if (options.json) return { text: configJson(invocation), exitCode: 0 };
  const rows = invocation.settings.all().map(({ definition, value, source }) => {
    const shown = value === undefined ? '' : definition.secret ? 'set' : redact(value);
    return [definition.name, shown, source];
  });
  const width = Math.max(...rows.map((r) => r[0]!.length));
  const lines = rows.map(([n, v, s]) => `${n!.padEnd(width)}  ${(v || '-').padEnd(40)}  ${s}`);
  return { text: [`configuration file: ${invocation.store.path}`, '', ...lines].join('\n'), exitCode: 0 };
}
