/** Ends the start-up spinner that bin/startup-line.mjs draws before the program has loaded (if it drew one). */
interface StartupLine {
  stop(): void;
}

export function endStartupLine(): void {
  (globalThis as { __obexalStartupLine?: StartupLine }).__obexalStartupLine?.stop();
}
