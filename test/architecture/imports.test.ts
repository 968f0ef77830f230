/**
 * The import graph of src/ against the architecture kept in docs/architecture.md (parts and forbidden imports),
 * and no import cycle, type imports counted. Both read the source with the TypeScript parser.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { cycles, importGraph, type ImportEdge } from './import-graph.js';
import { partOf, readArchitecture, violations } from './rules.js';

const SRC = join(ROOT, 'src');
const architecture = readArchitecture(join(ROOT, 'docs/architecture.md'));
const edges = importGraph(SRC);

function edge(from: string, to: string): ImportEdge {
  return { from: join(ROOT, from), to: join(ROOT, to), typeOnly: false, dynamic: false };
}

describe('the architecture in docs/architecture.md', () => {
  it('places every folder of src/ in a part', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    assert.ok(folders.length > 10, 'src/ was read');
    const unplaced = folders.map((f) => `src/${f.name}`).filter((folder) => !partOf(architecture, `${folder}/x.ts`));
    assert.deepEqual(unplaced, [], 'place these folders in a part of docs/architecture.md');
  });

  it('holds for every import of src/ (type-only and dynamic imports included)', () => {
    assert.ok(edges.length > 500, `the graph was read (${edges.length} imports)`);
    const found = violations(architecture, edges, ROOT);
    assert.deepEqual(found, [], found.map((v) => `${v.from} imports ${v.to} (${v.rule})`).join('\n'));
  });

  it('refuses the imports it forbids, listed exceptions aside', () => {
    const refused = (from: string, to: string) => violations(architecture, [edge(from, to)], ROOT).length > 0;
    assert.ok(refused('src/engine/engine.ts', 'src/generic/actions.ts'), 'engine -> an action');
    assert.ok(refused('src/engine/plan.ts', 'src/sandbox/schema/encrypted-columns.ts'), 'engine -> sandbox');
    assert.ok(refused('src/backup/actions/manifest.ts', 'src/cli/version.ts'), 'domain -> cli');
    assert.ok(refused('src/restore/actions.ts', 'src/sandbox/schema/index.ts'), 'domain -> sandbox');
    assert.ok(refused('src/pg/client.ts', 'src/engine/action.ts'), 'foundation -> engine');
    assert.ok(refused('src/core/exec.ts', 'src/pg/ident.ts'), 'core -> foundation');
    assert.ok(!refused('src/cli/main.ts', 'src/sandbox/practice/stack.ts'), 'cli -> sandbox is allowed');
    assert.ok(!refused('src/backup/actions/manifest.ts', 'src/engine/action.ts'), 'domain -> engine is allowed');
    assert.ok(refused('src/core/settings.ts', 'src/profile/config.ts'), 'core -> profile (no longer an exception)');
    const exception = { from: 'src/core/settings.ts', to: 'src/profile/config.ts', why: 'a test' };
    const withException = { ...architecture, exceptions: [exception] };
    const excepted = violations(withException, [edge('src/core/settings.ts', 'src/profile/config.ts')], ROOT);
    assert.deepEqual(excepted, [], 'a listed exception');
  });
});

describe('import cycles', () => {
  it('none in src/, type imports counted', () => {
    const found = cycles(edges);
    assert.deepEqual(found, [], found.map((c) => c.map((f) => f.slice(ROOT.length + 1)).join(' <-> ')).join('\n'));
  });

  it('are found through type-only, re-export and dynamic imports', () => {
    const dir = tempDir('obexal-graph-');
    mkdirSync(join(dir, 'a'), { recursive: true });
    writeFileSync(join(dir, 'a', 'one.ts'), "import type { Two } from '../two.js';\nexport type One = Two;\n");
    writeFileSync(join(dir, 'two.ts'), "export { three } from './three.js';\nexport type Two = string;\n");
    writeFileSync(join(dir, 'three.ts'), "export const three = () => import('./a/one.js');\n");
    writeFileSync(join(dir, 'alone.ts'), "import { three } from './three.js';\nexport const alone = three;\n");
    const graph = importGraph(dir);
    assert.equal(graph.find((e) => e.from.endsWith('one.ts'))?.typeOnly, true);
    assert.equal(graph.find((e) => e.from.endsWith('three.ts'))?.dynamic, true);
    assert.deepEqual(
      cycles(graph).map((c) => c.map((f) => f.slice(dir.length + 1))),
      [['a/one.ts', 'three.ts', 'two.ts']],
    );
  });
});
