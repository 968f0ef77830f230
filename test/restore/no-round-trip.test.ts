/**
 * Work a restore skips when there is nothing to do, proved against a server that does not answer (a closed
 * port): the cleanup of a copy this process swapped in, and the properties step with no statement to apply.
 * The same calls with something to do reach for the server and fail, so each test can fail.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import type { ActionContext } from '../../src/engine/action.js';
import { parseConnectionString } from '../../src/pg/target.js';
import { dropCopyAtEnd, markSwappedIn } from '../../src/restore/copy.js';
import type { DatabaseProperties } from '../../src/restore/db-properties-schema.js';
import { runProperties } from '../../src/restore/properties.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function fakeContext(runId: string) {
  const cleanups: (() => Promise<void> | void)[] = [];
  const lines: string[] = [];
  const ctx = {
    runId,
    runbook: 'restore',
    stepId: 'test',
    signal: new AbortController().signal,
    output: (text: string) => lines.push(text),
    onCleanup: (fn: () => Promise<void> | void) => cleanups.push(fn),
  } as unknown as ActionContext;
  return { ctx, cleanups, lines };
}

const PROPS: DatabaseProperties = {
  name: 'obexal',
  owner: 'obexal',
  encoding: 'UTF8',
  collate: 'C',
  ctype: 'C',
  localeProvider: 'c',
  providerLocale: null,
  connLimit: -1,
  comment: null,
  settings: [],
  roleSettings: [],
  grants: null,
};

describe('no round trip when there is nothing to do', () => {
  it('the cleanup of a copy swapped in by this process asks the server nothing', async () => {
    const target = parseConnectionString(`postgres://nobody:secret@127.0.0.1:${await closedPort()}/obexal`);
    const swapped = fakeContext('20261203T000000Z-aaaaaa');
    dropCopyAtEnd(swapped.ctx, target, 'obexal__restore_x', () => 4242);
    markSwappedIn('20261203T000000Z-aaaaaa', 4242);
    await swapped.cleanups[0]!();

    const notSwapped = fakeContext('20261203T000000Z-bbbbbb');
    dropCopyAtEnd(notSwapped.ctx, target, 'obexal__restore_y', () => 4242);
    await assert.rejects(async () => notSwapped.cleanups[0]!(), 'a copy not swapped in is looked up on the server');
  });

  it('the properties step with no statement to apply does not connect', async () => {
    const target = `postgres://nobody:secret@127.0.0.1:${await closedPort()}/obexal`;
    const { ctx } = fakeContext('20261203T000000Z-cccccc');
    const result = await runProperties({ target, properties: PROPS, createdOwner: 'obexal' }, ctx);
    assert.equal((result.data as { applied: number }).applied, 0);
    await assert.rejects(
      runProperties({ target, properties: { ...PROPS, connLimit: 5 }, createdOwner: 'obexal' }, ctx),
      /could not be applied/,
    );
  });
});
