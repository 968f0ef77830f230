/**
 * A runbook's `requires:`: the settings it cannot run without. Checked before the first step (one error naming
 * every missing one, nothing changed) and listed by --dry-run with whether each is set.
 */
import { UsageError } from '../core/errors.js';
import type { Runbook } from './runbook-schema.js';

export interface SettingsLookup {
  get(name: string): string | undefined;
}

function missingOf(runbook: Pick<Runbook, 'requires'>, settings: SettingsLookup) {
  return runbook.requires.filter((r) => !settings.get(r.setting));
}

export function assertRequirements(runbook: Pick<Runbook, 'name' | 'requires'>, settings: SettingsLookup): void {
  const missing = missingOf(runbook, settings);
  if (missing.length === 0) return;
  throw new UsageError(
    `the ${runbook.name} runbook needs ${missing.map((m) => m.setting).join(', ')}: nothing was changed`,
    missing.map((m) => `set ${m.setting}: ${m.why}`).join('; '),
  );
}

/** One line per requirement, for the plan: `requires DATABASE_URL (set): why`. */
export function requirementLines(
  runbook: Pick<Runbook, 'requires'>,
  settings: SettingsLookup,
): { text: string; missing: boolean }[] {
  return runbook.requires.map((r) => {
    const missing = !settings.get(r.setting);
    return { text: `requires ${r.setting} (${missing ? 'MISSING' : 'set'}): ${r.why}`, missing };
  });
}
