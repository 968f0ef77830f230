/**
 * The clusters this process has running, and what ends them when the process ends.
 *
 * - On a normal exit (`process.exit`, the event loop running dry, an uncaught exception) the 'exit' handler
 *   stops every live cluster synchronously (immediate shutdown, then the folder is removed).
 * - SIGINT / SIGTERM: while a cluster is live, a listener is installed that acts only when it is the only
 *   listener for that signal, that is, when the default action (die of the signal) would otherwise apply: it
 *   stops the clusters, removes itself and raises the same signal again, so the process still dies of it
 *   (exit status 130 / 143 seen by the shell). When the host program has its own listener (the CLI does), it
 *   does nothing: the host decides, and either calls `stopAllClusters()` or exits, which runs the 'exit' handler.
 * - SIGKILL and crashes leave the folder and postmaster behind: `sweepStaleClusters()` at the next start.
 */
import { rmSync } from 'node:fs';
import { killPostmasterSync } from './cluster-process.js';

export interface LiveCluster {
  rootDir: string;
  postmasterPid: number;
  /** The orderly stop (pg_ctl stop -m fast, then the folder removed). */
  stop(): Promise<void>;
}

const live = new Set<LiveCluster>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let installed = false;

function stopAllSync(): void {
  for (const cluster of live) {
    killPostmasterSync(cluster.postmasterPid);
    try {
      rmSync(cluster.rootDir, { recursive: true, force: true });
    } catch {
      // the sweep at the next start finishes the job
    }
  }
  live.clear();
}

function onExit(): void {
  stopAllSync();
}

function onSignal(sig: NodeJS.Signals): void {
  if (process.listenerCount(sig) > 1) return; // the host program handles this signal
  stopAllSync();
  uninstall();
  process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  for (const sig of SIGNALS) process.off(sig, onSignal);
}

export function registerCluster(cluster: LiveCluster): void {
  live.add(cluster);
  install();
}

export function unregisterCluster(cluster: LiveCluster): void {
  live.delete(cluster);
  if (live.size === 0) uninstall();
}

/** Stops every cluster this process started (for the CLI's own signal handling and for test teardown). */
export async function stopAllClusters(): Promise<void> {
  await Promise.allSettled([...live].map((cluster) => cluster.stop()));
}

export function liveClusterCount(): number {
  return live.size;
}
