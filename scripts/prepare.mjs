// `npm install` / `npm ci` in a clone: compile dist/ when the compiler is installed. A production install
// (`npm ci --omit=dev`) has no TypeScript: it then needs a dist/ built elsewhere (`npm run build` before, or the
// packed tarball, which carries dist/), and says so instead of failing.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

function hasTypeScript() {
  try {
    createRequire(import.meta.url).resolve('typescript');
    return true;
  } catch {
    return false;
  }
}

if (!hasTypeScript()) {
  console.log('obexal-runbook: TypeScript is not installed (a production install): dist/ is not rebuilt.');
  process.exit(0);
}
const npm = process.env.npm_execpath;
const build = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
