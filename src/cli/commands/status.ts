import { UsageError } from '../../core/errors.js';
import type { Invocation } from '../environment.js';

export async function statusCommand(_invocation: Invocation): Promise<{ text: string; exitCode: number }> {
  throw new UsageError('status is not available yet', 'it arrives with the backup runbook');
}
