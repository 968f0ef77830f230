/**
 * How the menu asks to resume a run through StartRun, which takes a runbook name: "<runbook> --resume <run id>".
 * No Ink here: the CLI reads it back without loading the UI.
 */
export function resumeRequest(run: { runbook: string; runId: string }): string {
  return `${run.runbook} --resume ${run.runId}`;
}

export function parseResume(request: string): { runbook: string; resume?: string } {
  const match = /^(\S+) --resume (\S+)$/.exec(request);
  return match ? { runbook: match[1] as string, resume: match[2] as string } : { runbook: request };
}
