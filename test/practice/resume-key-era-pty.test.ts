/**
 * Resume keeps the run's key era (issue 12): in the practice sandbox's rotated-keys scenario, a restore of an era-1
 * dump that has no manifest asks which era it was taken in; the run is stopped (Ctrl+C) at the typed confirmation,
 * after the key-era step. Resumed, the key-era question highlights the run's era (Enter keeps it); resumed again,
 * choosing another is asked once more in words, and only "yes" changes it. Headless, the run's era is taken without
 * asking and another one is refused unless `change-dump-era: yes` confirms it. No key is ever shown. The dump too:
 * a resumed `restore latest` keeps the dump the run resolved after a newer backup, and in the list another dump than
 * the run's is confirmed in words. The real executable, in a pseudo-terminal for the terminal parts.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { keys, shellQuote, withPty, type PtySession } from '../helpers/pty.js';

// 0755: the sandbox's cluster folder inside must be reachable by postgres. A HOME of its own: practice state is
// kept per HOME.
const home = mkdtempSync(join(tmpdir(), 'obexal-resume-era-'));
chmodSync(home, 0o755);
const envFile = join(home, 'practice.env');
const BASE = { HOME: home, TMPDIR: home };

after(async () => {
  await runCli(['practice', 'down'], BASE, { timeoutMs: 120_000 });
  rmSync(home, { recursive: true, force: true });
});

let dumpCopy = '';
let secrets: string[] = [];

before(async () => {
  const up = await runCli(['practice', 'up', '--env-file', envFile, '--scenario', 'rotated-keys'], BASE, {
    timeoutMs: 900_000,
  });
  assert.equal(up.exitCode, 0, up.stdout + up.stderr);
  const text = readFileSync(envFile, 'utf8');
  const dump = /era-1 dumps: (obexal-\S+\.dump\.zst\.age) \(scheduled\)/.exec(text)?.[1];
  const backupDir = /^BACKUP_DIR='([^']+)'/m.exec(text)?.[1];
  const vault = /^# vault\s+(\S+)/m.exec(text)?.[1];
  assert.ok(dump && backupDir && vault, text);
  // A copy under another name: no manifest can be matched to it, so the restore asks for the era.
  const alone = join(home, 'alone');
  mkdirSync(alone, { mode: 0o700 });
  dumpCopy = join(alone, 'exported-era-1.dump.age');
  copyFileSync(join(backupDir, dump), dumpCopy);
  chmodSync(dumpCopy, 0o600);
  const current = /^ENCRYPTION_KEY='([^']+)'/m.exec(text)?.[1] as string;
  secrets = [
    current,
    ...['era-1', 'era-2'].map((era) => readFileSync(join(vault, 'keys', `${era}.key`), 'utf8').trim()),
  ];
});

/** The command in the pseudo-terminal: the sandbox's environment, then the tool. */
function inSandbox(args: string[]): string {
  const tool = [process.execPath, '--', BIN, ...args].map(shellQuote).join(' ');
  return `sh -c ${shellQuote(`set -a; . ${shellQuote(envFile)}; set +a; ${tool}; echo "status=$?"`)}`;
}

async function press(pty: PtySession, key: string, expect: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const since = pty.mark();
  pty.write(key);
  await pty.waitFor(expect, { since, timeoutMs });
  return pty.text().slice(since);
}

const ERA_QUESTION = /Without a manifest, which key era was the dump taken in\?/;
const CONFIRM = /Type\s+\S+:\d+\/\S+\s+to confirm/;

/** Ctrl+C at the typed confirmation (after the key-era step), then "Stop the run"; returns the run's end. */
async function stopAtConfirmation(pty: PtySession): Promise<string> {
  await pty.waitFor(CONFIRM, { timeoutMs: 300_000 });
  const since = pty.mark();
  await press(pty, keys.ctrlC, /What now\?/);
  pty.write(keys.enter); // "Stop the run" is highlighted
  await pty.waitFor('status=', { since, timeoutMs: 120_000 });
  const screen = pty.text();
  assert.match(screen, /status=130/, 'a stop is an interruption');
  for (const secret of secrets) assert.ok(!screen.includes(secret), 'no key is ever on screen');
  return screen;
}

const run = (args: string[], body: (pty: PtySession) => Promise<void>) =>
  withPty(inSandbox(args), { cwd: ROOT, cols: 120, rows: 40, env: { HOME: home }, timeoutMs: 300_000 }, async (pty) => {
    try {
      await body(pty);
    } finally {
      if (process.env.PTY_DUMP) (await import('node:fs')).appendFileSync(process.env.PTY_DUMP, pty.text());
    }
  });

test('resume keeps the key era the run chose; another one is confirmed in words', { timeout: 1_200_000 }, async () => {
  let runId = '';
  // 1. The restore: era-1 chosen (the highlighted answer is "I do not know"), stopped at the confirmation.
  await run(['restore', dumpCopy], async (pty) => {
    await pty.waitFor(ERA_QUESTION, { timeoutMs: 300_000 });
    await press(pty, keys.up, /❯ era "era-1"/);
    await press(pty, keys.enter, /✔ Select the key era/, 300_000);
    const screen = await stopAtConfirmation(pty);
    assert.match(screen, /data of era era-1/);
    runId = /--resume (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(screen)?.[1] ?? '';
    assert.ok(runId, 'the summary names the command that resumes it');
  });

  // 2. Resumed: the run's era is highlighted and named; Enter keeps it, nothing more is asked about it.
  await run(['restore', '--resume', runId], async (pty) => {
    const asked = await pty.waitFor(ERA_QUESTION, { timeoutMs: 300_000 });
    assert.match(asked, /\(the run chose the one highlighted\)/);
    assert.match(asked, /❯ era "era-1"[^\n]*← the run's choice/, "the run's era is the default");
    const since = pty.mark();
    await press(pty, keys.enter, /✔ Select the key era/, 300_000);
    const screen = await stopAtConfirmation(pty);
    assert.doesNotMatch(screen.slice(since), /use .* instead\?/, "keeping the run's era asks nothing more");
    assert.match(screen.slice(since), /data of era era-1/);
  });

  // 3. Resumed again: choosing another era asks once more in words; "yes" takes it.
  await run(['restore', '--resume', runId], async (pty) => {
    await pty.waitFor(ERA_QUESTION, { timeoutMs: 300_000 });
    await press(pty, keys.down, /❯ I do not know/);
    const asked = await press(pty, keys.enter, /instead\?\s+Type\s+yes/);
    assert.match(asked, /The run chose era "era-1"[\s\S]*?fingerprint \S+…[\s\S]*?; use "I do not know"/);
    assert.doesNotMatch(asked, /✔ Select the key era/, 'nothing goes on before the change is confirmed');
    pty.write('yes');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await press(pty, keys.enter, /key era: changed to "I do not know"/, 120_000);
    await stopAtConfirmation(pty);
  });

  // 4. Headless: the run's answer (now "I do not know") is taken without asking; another one given in --answers is
  // refused before any change unless change-dump-era: yes confirms it.
  const env = { ...BASE, ...sandboxEnv() };
  const kept = await runCli(['restore', '--resume', runId], env, { timeoutMs: 300_000 });
  assert.equal(kept.exitCode, 3, 'it stops at the confirmation: CONFIRM is not set');
  assert.match(kept.stdout, /key-era: ok/);
  assert.match(kept.stdout + kept.stderr, /without CONFIRM=yes/);
  const answers = join(home, 'era-1.yaml');
  writeFileSync(answers, 'dump-era: era-1\n');
  const refused = await runCli(['restore', '--resume', runId, '--answers', answers], env, { timeoutMs: 300_000 });
  const output = refused.stdout + refused.stderr;
  assert.equal(refused.exitCode, 3, output);
  assert.match(output, /differs from the answer of the run being resumed/);
  assert.match(output, /add "change-dump-era: yes" to --answers/);
  writeFileSync(answers, 'dump-era: era-1\nchange-dump-era: "yes"\n');
  const changed = await runCli(['restore', '--resume', runId, '--answers', answers], env, { timeoutMs: 300_000 });
  assert.equal(changed.exitCode, 3, 'it stops at the confirmation: CONFIRM is not set');
  assert.match(changed.stdout, /key era: changed to era "era-1"/);
  for (const secret of secrets) assert.ok(!(output + changed.stdout).includes(secret), 'no key in the output');
});

/** The sandbox's environment (KEY='value' lines of the env file). */
function sandboxEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (match) env[match[1] as string] = (match[2] as string).replace(/'\\''/g, "'");
  }
  return env;
}

test(
  'a resumed `restore latest` restores the dump the run chose, not a newer one taken since',
  { timeout: 900_000 },
  async () => {
    const env: Record<string, string> = { ...BASE, ...sandboxEnv() };
    const first = await runCli(['restore', 'latest'], env, { timeoutMs: 300_000 });
    assert.equal(first.exitCode, 3, 'it stops at the confirmation: CONFIRM is not set');
    const runId = /\[restore\] run (\S+) started/.exec(first.stdout)?.[1] as string;
    const chosen = /\+ select: ok [^\n]*dump (obexal-\S+\.dump\.zst\.age)/.exec(first.stdout)?.[1];
    assert.ok(runId && chosen, first.stdout);
    const backup = await runCli(['backup', '--yes', '--reason', 'manual'], env, { timeoutMs: 600_000 });
    assert.equal(backup.exitCode, 0, backup.stdout.slice(-3000));
    const dumps = readdirSync(env.BACKUP_DIR as string).filter((name) => /^obexal-\S+\.dump\.zst\.age$/.test(name));
    const newer = dumps.sort().at(-1);
    assert.ok(newer && newer !== chosen, `a newer dump was taken: ${newer}`);
    const resumed = await runCli(['restore', '--resume', runId], env, { timeoutMs: 300_000 });
    assert.equal(resumed.exitCode, 3, resumed.stdout);
    assert.match(resumed.stdout, new RegExp(`resumed: the dump the run chose, ${chosen.replace(/\./g, '\\.')}`));
    assert.match(resumed.stdout, new RegExp(`\\+ select: ok [^\\n]*dump ${chosen.replace(/\./g, '\\.')}`));
    assert.ok(!resumed.stdout.includes(newer), 'the newer dump is not restored');
  },
);

test(
  "a resumed restore highlights the dump the run chose; another one is confirmed in words, Enter keeps the run's",
  { timeout: 900_000 },
  async () => {
    let runId = '';
    let chosen = '';
    await run(['restore'], async (pty) => {
      await pty.waitFor(/Which dump to restore\?/, { timeoutMs: 300_000 });
      const screen = await press(pty, keys.enter, /✔ Choose the dump[^\n]*dump obexal-\S+\.dump\.zst\.age/, 300_000);
      chosen = /✔ Choose the dump[^\n]*dump (obexal-\S+\.dump\.zst\.age)/.exec(screen)?.[1] as string;
      const end = await stopAtConfirmation(pty);
      runId = /--resume (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(end)?.[1] ?? '';
      assert.ok(runId && chosen, 'the run chose a dump and can be resumed');
    });
    await run(['restore', '--resume', runId], async (pty) => {
      await pty.waitFor(/❯ [^\n]*← the earlier run's/, { timeoutMs: 300_000 });
      await press(pty, keys.down, /❯ (?![^\n]*← the earlier run's)/);
      const asked = await press(pty, keys.enter, /instead\?\s+Type\s+yes/);
      assert.match(
        asked,
        new RegExp(
          `The run chose\\s+${chosen.replace(/\./g, '\\.')}\\s+\\((local|bucket)\\);\\s+use\\s+obexal-\\S+\\s+` +
            `\\((local|bucket)\\)\\s+instead\\?`,
        ),
      );
      const since = pty.mark();
      await press(pty, keys.enter, /✔ Choose the dump/, 300_000);
      assert.match(pty.text().slice(since), new RegExp(`✔ Choose the dump[^\\n]*dump ${chosen.replace(/\./g, '\\.')}`));
      await stopAtConfirmation(pty);
    });
  },
);
