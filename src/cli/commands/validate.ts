import { loadRunbookFile } from '../../engine/load-runbook.js';

export async function validateCommand(file: string): Promise<{ text: string; exitCode: number }> {
  const runbook = await loadRunbookFile(file);
  const destructive = runbook.steps.filter((s) => s.destructive).length;
  return {
    text:
      `${file}: valid runbook "${runbook.name}" (${runbook.steps.length} steps, ${destructive} ` +
      `destructive, ${runbook.inputs.length} inputs)`,
    exitCode: 0,
  };
}
