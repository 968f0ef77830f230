// A start-up line with a spinner, drawn within milliseconds of an interactive start (the TUI itself needs a few
// seconds to load on a slow machine). Only on a terminal, never headless; the UI ends it (globalThis hook) before
// it draws, and it ends by itself when the process exits.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const HEADLESS_FLAGS = new Set(['--yes', '-y', '--json', '--dry-run', '--help', '-h', '--version']);
const runbooksDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'runbooks');

function interactiveStart(argv, env) {
  if (!process.stdout.isTTY || !process.stdin.isTTY || env.CI) return false;
  if (argv.some((arg) => HEADLESS_FLAGS.has(arg))) return false;
  const [command, next] = argv.filter((arg) => !arg.startsWith('-'));
  if (command === undefined) return true;
  if (command === 'practice') return next === undefined;
  return existsSync(join(runbooksDir, `${command}.yaml`));
}

export function startStartupLine(argv = process.argv.slice(2), env = process.env) {
  if (!interactiveStart(argv, env)) return;
  const plain = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb';
  let frame = 0;
  const draw = () =>
    process.stdout.write(`\r${plain ? '-' : FRAMES[frame++ % FRAMES.length]} obexal-runbook: starting…`);
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  const stop = () => {
    if (!globalThis.__obexalStartupLine) return;
    globalThis.__obexalStartupLine = undefined;
    clearInterval(timer);
    process.stdout.write('\r\u001B[2K');
  };
  globalThis.__obexalStartupLine = { stop };
  process.once('exit', stop);
  // An early error message (stderr) starts on a clean line, not after the spinner.
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (...args) => {
    stop();
    process.stderr.write = write;
    return write(...args);
  };
}
