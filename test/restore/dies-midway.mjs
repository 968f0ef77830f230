// An AUTH_SERVICE_EXEC stand-in for an auth-service container that is killed midway (out of memory, a node
// drained): it runs the real sandbox auth-service subcommand given after it, passes its output through, and
// SIGKILLs it as soon as it reports its first re-encrypted batch; then exits 137 as a killed container does.
// Usage: node dies-midway.mjs <auth-service bin> <subcommand> [args...]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const [bin, ...args] = process.argv.slice(2);
// The sandbox pauses after each batch, so the kill lands between two batches whatever the machine's load.
const child = spawn(process.execPath, [bin, ...args], {
  env: { ...process.env, REENCRYPT_PAUSE_AFTER_BATCH_MS: '5000' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let killed = false;
createInterface({ input: child.stdout }).on('line', (line) => {
  process.stdout.write(`${line}\n`);
  if (!killed && /\d+\/\d+ re-encrypted/.test(line)) {
    killed = true;
    child.kill('SIGKILL');
  }
});
child.on('exit', (code, signal) => {
  if (killed || signal) {
    process.stderr.write('auth-service: Killed (the container ran out of memory)\n');
    process.exit(137);
  }
  process.exit(code ?? 1);
});
