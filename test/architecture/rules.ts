/**
 * The architecture description kept in docs/architecture.md (the fenced `json` block after
 * `<!-- architecture-rules -->`): the parts of src/ and the imports that must never exist between them.
 */
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import type { ImportEdge } from './import-graph.js';

export interface ArchitectureRule {
  /** Part names the rule applies to; "*" for every part. */
  from: string[];
  /** Parts never to be imported besides what `only` excludes ... */
  never?: string[];
  /** ... or the only parts that may be imported. */
  only?: string[];
  except?: string[];
  why: string;
}

export interface Architecture {
  /** Part name -> folders under src/. */
  parts: Record<string, string[]>;
  rules: ArchitectureRule[];
  /** Known file-to-file imports the rules refuse, each with the reason it stands and what would remove it. */
  exceptions: { from: string; to: string; why: string }[];
}

export const MARKER = '<!-- architecture-rules -->';

export function readArchitecture(markdownFile: string): Architecture {
  const text = readFileSync(markdownFile, 'utf8');
  const at = text.indexOf(MARKER);
  if (at < 0) throw new Error(`${markdownFile} has no ${MARKER} block`);
  const fence = /```json\n([\s\S]*?)\n```/.exec(text.slice(at));
  if (!fence?.[1]) throw new Error(`${markdownFile}: no json block after ${MARKER}`);
  return JSON.parse(fence[1]) as Architecture;
}

/** The part a file (relative to the repository) belongs to: the longest folder that holds it. */
export function partOf(architecture: Architecture, file: string): string | undefined {
  let best: { name: string; length: number } | undefined;
  for (const [name, folders] of Object.entries(architecture.parts)) {
    for (const folder of folders) {
      const holds = file === folder || file.startsWith(`${folder}/`);
      if (holds && (!best || folder.length > best.length)) best = { name, length: folder.length };
    }
  }
  return best?.name;
}

export interface Violation {
  from: string;
  to: string;
  rule: string;
}

/** Every import edge that breaks a rule and is not a listed exception. Paths are reported relative to `root`. */
export function violations(architecture: Architecture, edges: readonly ImportEdge[], root: string): Violation[] {
  const found: Violation[] = [];
  const excepted = new Set(architecture.exceptions.map((e) => `${e.from} -> ${e.to}`));
  for (const edge of edges) {
    const from = relative(root, edge.from).split(sep).join('/');
    const to = relative(root, edge.to).split(sep).join('/');
    const fromPart = partOf(architecture, from);
    const toPart = partOf(architecture, to);
    if (!fromPart || !toPart || fromPart === toPart || excepted.has(`${from} -> ${to}`)) continue;
    for (const rule of architecture.rules) {
      const applies = (rule.from.includes('*') || rule.from.includes(fromPart)) && !rule.except?.includes(fromPart);
      if (!applies) continue;
      const refused =
        (rule.never?.includes(toPart) ?? false) || (rule.only !== undefined && !rule.only.includes(toPart));
      if (refused) found.push({ from, to, rule: `${fromPart} -> ${toPart}: ${rule.why}` });
    }
  }
  return found;
}
