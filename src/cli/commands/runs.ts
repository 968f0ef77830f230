import { UsageError } from '../../core/errors.js';
import { listRuns } from '../../engine/journal.js';

export function runsCommand(
  runsDirectory: string,
  args: string[],
  options: { json?: boolean } = {},
): { text: string; exitCode: number } {
  if (args[0] !== undefined && args[0] !== 'list')
    throw new UsageError(`unknown runs command "${args[0]}"`, 'use `obexal-runbook runs list`');
  const runs = listRuns(runsDirectory);
  if (options.json) return { text: JSON.stringify({ runsDir: runsDirectory, runs }, null, 2), exitCode: 0 };
  if (runs.length === 0) return { text: `no runs yet (journals live in ${runsDirectory})`, exitCode: 0 };
  const lines = runs.map(
    (r) => `${r.runId}  ${r.runbook.padEnd(18)} ${r.startedAt}  ${r.state.padEnd(24)} ${r.journal}`,
  );
  return {
    text: [
      'run id                   runbook            started                   state                    journal',
      ...lines,
    ].join('\n'),
    exitCode: 0,
  };
}
