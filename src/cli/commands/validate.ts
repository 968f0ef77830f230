import { loadRunbookFile } from '../../engine/load-runbook.js';
import { actionCatalogue } from '../action-catalogue.js';

export async function validateCommand(file: string): Promise<{ text: string; exitCode: number }> {
  const runbook = await loadRunbookFile(file, actionCatalogue());
  const destructive = runbook.steps.filter((s) => s.destructive).length;
  return {
    text:
      `${file}: valid runbook "${runbook.name}" (${runbook.steps.length} steps, ${destructive} ` +
      `destructive, ${runbook.inputs.length} inputs)`,
    exitCode: 0,
  };
}
