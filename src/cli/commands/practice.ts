import { UsageError } from '../../core/errors.js';
import type { CliOptions } from '../args.js';

export async function practiceCommand(_args: string[], _cli: CliOptions): Promise<number> {
  throw new UsageError('practice is not available yet');
}
