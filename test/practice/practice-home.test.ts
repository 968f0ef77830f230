/**
 * The practice sandbox belongs to a HOME (issue 12) and starts under any TMPDIR (issue 17: a long TMPDIR used to
 * push the cluster's socket path past what a Unix socket holds).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

test(
  'practice up under a long TMPDIR; another HOME neither sees nor stops it; its own HOME stops it',
  { timeout: 240_000 },
  async () => {
    const root = tempDir('obexal-practice-home-');
    const longTmp = join(root, 'a-temporary-folder-whose-name-is-long-enough-to-break-unix-sockets', 'x'.repeat(30));
    mkdirSync(longTmp, { recursive: true, mode: 0o755 });
    const alice = join(root, 'alice');
    const bob = join(root, 'bob');
    mkdirSync(alice);
    mkdirSync(bob);
    const envFile = join(alice, 'practice.env');
    const up = await runCli(['practice', 'up', '--env-file', envFile], { HOME: alice, TMPDIR: longTmp });
    assert.equal(up.exitCode, 0, `${up.stdout}\n${up.stderr}`);
    const state = join(alice, '.local', 'state', 'obexal-runbook', 'practice-default.json');
    let dir: string;
    try {
      assert.ok(existsSync(state), 'the state is kept under the HOME that started it');
      dir = (JSON.parse(readFileSync(state, 'utf8')) as { dir: string }).dir;
      const other = await runCli(['practice', 'down'], { HOME: bob });
      assert.equal(other.exitCode, 0, other.stderr);
      assert.match(other.stdout, /no practice sandbox is running for this HOME/);
      assert.ok(existsSync(dir), "another HOME's `practice down` left the sandbox alone");
      const named = await runCli(['practice', 'down', '--name', 'second'], { HOME: alice });
      assert.match(named.stdout, /no practice sandbox named second is running/);
    } finally {
      const down = await runCli(['practice', 'down'], { HOME: alice });
      assert.equal(down.exitCode, 0, down.stderr);
    }
    assert.equal(existsSync(dir), false, 'the sandbox folder is removed');
    assert.equal(existsSync(state), false, 'the state file is removed');
  },
);
