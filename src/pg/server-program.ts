/**
 * Runs a server program (initdb, pg_ctl) of a throwaway cluster: as the server user when we are root, in the
 * cluster folder (the server user may not be able to enter our working folder, and pg_ctl needs getcwd), with a
 * minimal environment: C messages so that logs can be read, UTC so that initdb skips its time-zone scan.
 */
import { startProcess, type ProcessResult } from '../core/exec.js';
import type { ServerUser } from './server-user.js';

export interface ServerProgramContext {
  rootDir: string;
  user: ServerUser | undefined;
}

export function serverProgramEnv(rootDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: rootDir,
    LANG: 'C',
    LC_ALL: 'C',
    TZ: 'UTC',
  };
}

/** Runs the program to its end; the caller judges the exit code (the reason is often in the server log). */
export function runServerProgram(file: string, args: string[], ctx: ServerProgramContext): Promise<ProcessResult> {
  return startProcess({
    file,
    args,
    env: serverProgramEnv(ctx.rootDir),
    cwd: ctx.rootDir,
    uid: ctx.user?.uid,
    gid: ctx.user?.gid,
  }).done;
}
