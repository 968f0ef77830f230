/**
 * `obexal-runbook actions`: every action a runbook step can name, with its description and its `with:` parameters
 * read from its zod schema (zod's JSON Schema export), so that a runbook author needs no TypeScript.
 */
import { z } from 'zod';
import type { AnyAction } from '../../engine/action.js';
import type { ActionCatalogue } from '../../engine/catalogue.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
}

export interface ActionParameter {
  name: string;
  type: string;
  required: boolean;
  description?: string;
  default?: unknown;
}

export interface ActionListing {
  name: string;
  description: string;
  destructive: boolean;
  readOnly: boolean;
  parameters: ActionParameter[];
  /** The whole `with:` schema, for tools (JSON Schema, draft 2020-12). */
  schema: JsonSchema;
}

function schemaOf(action: AnyAction): JsonSchema {
  return z.toJSONSchema(action.params, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** A short type: `string`, `number`, `'a' | 'b'`, `string[]`, `object`, `string | number`. */
function typeText(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return [...new Set(union.map(typeText))].join(' | ');
  if (schema.type === 'array') return `${schema.items ? typeText(schema.items) : 'any'}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  return schema.type ?? 'any';
}

export function describeAction(action: AnyAction): ActionListing {
  const schema = schemaOf(action);
  const required = new Set(schema.required ?? []);
  const parameters = Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    type: typeText(property),
    required: required.has(name),
    ...(property.description ? { description: property.description } : {}),
    ...(property.default !== undefined ? { default: property.default } : {}),
  }));
  return {
    name: action.name,
    description: action.description,
    destructive: action.destructive ?? false,
    readOnly: action.readOnly ?? false,
    parameters,
    schema,
  };
}

function parameterLine(parameter: ActionParameter): string {
  const facts = [parameter.type, parameter.required ? 'required' : 'optional'];
  if (parameter.default !== undefined) facts.push(`default ${JSON.stringify(parameter.default)}`);
  const about = parameter.description ? `: ${parameter.description}` : '';
  return `    ${parameter.name} (${facts.join(', ')})${about}`;
}

function listingText(listing: ActionListing): string {
  const marks = [listing.destructive ? ' [destructive]' : '', listing.readOnly ? ' [read-only]' : ''].join('');
  const lines = [`${listing.name}${marks}`, `  ${listing.description}`];
  if (listing.parameters.length === 0) lines.push('  with: nothing');
  else lines.push('  with:', ...listing.parameters.map(parameterLine));
  return lines.join('\n');
}

export function actionsCommand(
  catalogue: ActionCatalogue,
  args: string[],
  options: { json: boolean },
): { text: string; exitCode: number } {
  const wanted = args[0];
  const actions = catalogue.list().filter((action) => wanted === undefined || action.name === wanted);
  if (actions.length === 0) {
    const names = catalogue.list().map((action) => action.name);
    return { text: `no action named "${wanted}"; the actions: ${names.join(', ')}`, exitCode: 2 };
  }
  const listings = actions.map(describeAction);
  if (options.json) return { text: JSON.stringify(listings, null, 2), exitCode: 0 };
  const footer = '\n\n[destructive]: the step must say `destructive: true`; [read-only]: runs under --dry-run too.';
  return { text: listings.map(listingText).join('\n\n') + footer, exitCode: 0 };
}
