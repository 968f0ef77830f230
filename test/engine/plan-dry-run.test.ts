/**
 * What --dry-run says of each step as it goes (src/engine/plan-dry-run.ts), in-process with fake actions: a step a
 * dry run does not run is described with the name of each output it lacks, never "undefined"; a condition on such
 * an output is undecided, never "not met"; a read-only step that cannot run without it does not stop the dry run;
 * a condition on an output the dry run has is decided. The real run then does what each line allowed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { resolveSettings } from '../../src/core/settings.js';
import { defineAction, type AnyAction } from '../../src/engine/action.js';
import { createActionCatalogue } from '../../src/engine/catalogue.js';
import { startRun } from '../../src/engine/engine.js';
import type { RunEvent, StepFinished } from '../../src/engine/events.js';
import type { Interactor } from '../../src/engine/interactor.js';
import { parseRunbook } from '../../src/engine/load-runbook.js';
import { tempDir } from '../helpers/temp.js';

const fakes: AnyAction[] = [
  defineAction({
    name: 'fake.make',
    description: 'makes a thing (writes)',
    params: z.object({ name: z.string() }).strict(),
    describe: (p) => `make ${p.name}`,
    run: async (p) => ({ data: { id: `${p.name}-1`, flag: true } }),
  }),
  defineAction({
    name: 'fake.read',
    description: 'reads a thing',
    readOnly: true,
    params: z.object({ of: z.string().min(1) }).strict(),
    describe: (p) => `read ${p.of}`,
    run: async (p) => ({ message: `read ${p.of}`, data: { flag: false } }),
  }),
  defineAction({
    name: 'fake.use',
    description: 'uses a thing (writes)',
    params: z.object({ thing: z.string() }).strict(),
    describe: (p) => `use ${p.thing}`,
    run: async (p) => ({ data: { id: `used-${p.thing}` } }),
  }),
];
const actions = createActionCatalogue(fakes);

const refuse = () => Promise.reject(new Error('no question expected'));
const interactor: Interactor = {
  mode: 'headless',
  choose: refuse,
  text: refuse,
  secret: refuse,
  confirm: refuse,
  checklist: refuse,
};

const BOOK = `name: fake
title: Fake
steps:
  - { id: make, title: Make, action: fake.make, with: { name: a } }
  - { id: read, title: Read what was made, action: fake.read, with: { of: "\${steps.make.id}" } }
  - { id: use, title: Use it, action: fake.use, with: { thing: "\${steps.make.id}" } }
  - { id: branch, title: Only when flagged, action: fake.use, when: steps.make.flag, with: { thing: b } }
  - { id: after, title: After the branch, action: fake.use, with: { thing: "\${steps.branch.id}" } }
  - { id: known, title: Read a known thing, action: fake.read, with: { of: fixed } }
  - { id: never, title: Only when known flagged, action: fake.use, when: steps.known.flag, with: { thing: c } }
`;

async function run(dryRun: boolean): Promise<Map<string, StepFinished>> {
  const home = tempDir('obexal-dry-run-');
  const events: RunEvent[] = [];
  const started = startRun({
    runbook: parseRunbook(BOOK, 'fake.yaml', 'sha', actions),
    actions,
    settings: resolveSettings({ env: { BACKUP_DIR: join(home, 'backups') }, configDir: home }),
    interactor,
    mode: 'headless',
    dryRun,
    inputValues: {},
    namedByInvocation: new Set(),
    runsDir: join(home, 'runs'),
    toolVersion: 'test',
    listeners: [(event) => events.push(event)],
  });
  const result = await started.done;
  assert.equal(result.exitCode, 0, result.message);
  const finished = events.filter((e): e is StepFinished => e.type === 'step-finished');
  return new Map(finished.map((e) => [e.stepId, e]));
}

describe('the dry run line of each step', () => {
  it('names what it lacks, leaves undecided what it cannot know, decides what it can; the run agrees', async () => {
    const dry = await run(true);
    const said = (id: string) => `${dry.get(id)?.outcome}: ${dry.get(id)?.message}`;
    assert.equal(said('make'), 'skipped: dry run: would make a');
    assert.match(said('read'), /^skipped: dry run: would read <make\.id> \(not run in a dry run: .*step "make"/);
    assert.equal(said('use'), 'skipped: dry run: would use <make.id>');
    assert.match(said('branch'), /^skipped: dry run: runs only if steps\.make\.flag, not known in a dry run/);
    assert.equal(said('after'), 'skipped: dry run: would run fake.use (parameters depend on earlier steps)');
    assert.equal(said('known'), 'ok: read fixed');
    assert.equal(said('never'), 'skipped: condition not met: steps.known.flag');
    for (const line of dry.values()) assert.doesNotMatch(line.message ?? '', /undefined/);

    const real = await run(false);
    for (const id of ['make', 'read', 'use', 'branch', 'after', 'known']) assert.equal(real.get(id)?.outcome, 'ok', id);
    assert.equal(real.get('never')?.message, 'condition not met: steps.known.flag');
  });
});
