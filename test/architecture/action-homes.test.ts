/**
 * Where an action lives (docs/architecture.md, "A new action"): an action named `x.y` is defined in
 * `src/x/actions.ts` or in a file of `src/x/actions/`, and listed in `xActions`, exported by `src/x/actions.ts`, the
 * one list of prefix `x` the catalogue imports. An action without a prefix (`note`, `shell`) has the prefix
 * `generic`. Traced from the catalogue's own imports, so a list added to it is checked too; and no index.ts barrel.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import type { AnyAction } from '../../src/engine/action.js';
import { actionCatalogue } from '../../src/cli/action-catalogue.js';
import { ROOT } from '../helpers/cli.js';
import { importsOf, resolveSpecifier, sourceFiles } from './import-graph.js';

const SRC = join(ROOT, 'src');
const CATALOGUE = join(SRC, 'cli/action-catalogue.ts');

const repoPath = (file: string) => relative(ROOT, file).split(sep).join('/');

function prefixOf(name: string): string {
  return name.includes('.') ? name.slice(0, name.indexOf('.')) : 'generic';
}

/** The files an action of `prefix` may be defined in. */
function isHomeOf(prefix: string, file: string): boolean {
  return file === `src/${prefix}/actions.ts` || new RegExp(`^src/${prefix}/actions/[^/]+\\.tsx?$`).test(file);
}

interface Definition {
  name: string;
  file: string;
}

/** Every `defineAction({ name: '…' })` of the files (a name that is not a string literal is reported as such). */
function definitionsIn(files: readonly string[]): Definition[] {
  const found: Definition[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'defineAction') {
        const spec = node.arguments[0];
        const nameProperty =
          spec && ts.isObjectLiteralExpression(spec)
            ? spec.properties.find(
                (p): p is ts.PropertyAssignment =>
                  ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'name',
              )
            : undefined;
        const literal = nameProperty && ts.isStringLiteralLike(nameProperty.initializer);
        found.push({ name: literal ? nameProperty.initializer.text : '<not a literal>', file: repoPath(file) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** The definitions that are not in their prefix's home, as lines to read. */
function misplaced(definitions: readonly Definition[]): string[] {
  return definitions
    .filter((d) => !isHomeOf(prefixOf(d.name), d.file))
    .map((d) => `${d.name} is defined in ${d.file}: its home is src/${prefixOf(d.name)}/actions.ts or actions/`);
}

/** The list modules the catalogue imports (everything it imports but the engine's catalogue factory). */
function listModules(): string[] {
  return importsOf(CATALOGUE)
    .map((found) => resolveSpecifier(CATALOGUE, found.specifier))
    .filter((file): file is string => file !== undefined && !repoPath(file).startsWith('src/engine/'));
}

const definitions = definitionsIn(sourceFiles(SRC));
const catalogued = actionCatalogue().list();

describe('where each action lives', () => {
  it('every catalogued action is defined once, by a literal name, in src/', () => {
    assert.ok(catalogued.length > 50, `the catalogue was read (${catalogued.length} actions)`);
    const names = definitions.map((d) => d.name);
    const missing = catalogued.map((a) => a.name).filter((name) => !names.includes(name));
    assert.deepEqual(missing, [], 'every catalogued action is found by its defineAction call');
    const twice = names.filter((name, i) => names.indexOf(name) !== i);
    assert.deepEqual(twice, [], 'no action name is defined twice');
  });

  it('every action is defined in its prefix’s home: src/<prefix>/actions.ts or src/<prefix>/actions/', () => {
    const found = misplaced(definitions);
    assert.deepEqual(found, [], found.join('\n'));
  });

  it('every prefix has one list, xActions in src/x/actions.ts, holding only x actions', async () => {
    const lists = listModules();
    assert.ok(lists.length >= 10, `the catalogue's imports were read (${lists.length} lists)`);
    const listed: string[] = [];
    for (const file of lists) {
      const match = /^src\/([a-z]+)\/actions\.ts$/.exec(repoPath(file));
      assert.ok(match?.[1], `${repoPath(file)}: a prefix's list is src/<prefix>/actions.ts`);
      const prefix = match[1];
      const exports = (await import(file)) as Record<string, unknown>;
      const list = exports[`${prefix}Actions`] as readonly AnyAction[] | undefined;
      assert.ok(Array.isArray(list), `${repoPath(file)} exports ${prefix}Actions`);
      const foreign = list.filter((action) => prefixOf(action.name) !== prefix).map((action) => action.name);
      assert.deepEqual(foreign, [], `${prefix}Actions holds only ${prefix} actions`);
      listed.push(...list.map((action) => action.name));
    }
    assert.deepEqual(listed.sort(), catalogued.map((a) => a.name).sort(), 'the lists are the whole catalogue');
  });

  it('reports an action defined away from its prefix (what the check refuses)', () => {
    assert.deepEqual(misplaced([{ name: 'note', file: 'src/generic/actions/note.ts' }]), []);
    assert.deepEqual(misplaced([{ name: 'drill.rto', file: 'src/drill/actions.ts' }]), []);
    assert.equal(misplaced([{ name: 'retention.plan', file: 'src/backup/actions-bucket.ts' }]).length, 1);
    assert.equal(misplaced([{ name: 'records.replicate', file: 'src/drill/actions/records.ts' }]).length, 1);
    assert.equal(misplaced([{ name: 'drill.rto', file: 'src/drill/actions/deeper/rto.ts' }]).length, 1);
    assert.equal(misplaced([{ name: 'shell', file: 'src/backup/actions/shell.ts' }]).length, 1);
  });
});

describe('index files', () => {
  it('none in src/: a module is imported by its own path (a barrel loads its whole folder)', () => {
    const files = sourceFiles(SRC).map(repoPath);
    assert.ok(files.length > 100, 'src/ was read');
    assert.deepEqual(
      files.filter((file) => /\/index\.tsx?$/.test(file)),
      [],
    );
  });
});
