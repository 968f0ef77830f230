import type { RunEnding } from './events.js';

/** The target's state, what was done and is left, and the command that continues the run (headless and TUI). */
export function endingLines(ending: RunEnding | undefined): string[] {
  if (!ending) return [];
  const lines = [`target: ${ending.target}`];
  if (ending.application) lines.push(`application: ${ending.application}`);
  if (ending.stoppedAt) lines.push(`stopped at ${ending.stoppedAt}${ending.atStop ? `: ${ending.atStop}` : ''}`);
  if (ending.done.length > 0 || ending.left.length > 0) {
    lines.push(`done: ${ending.done.join(', ') || 'nothing'}; left: ${ending.left.join(', ') || 'nothing'}`);
  }
  if (ending.next) lines.push(`to continue: ${ending.next}`);
  return lines;
}
