/** Where the subcommands write: plain lines, every one through the redaction layer. */
import { redact } from '../../core/redact.js';

export interface Output {
  info(line: string): void;
  error(line: string): void;
}

export const processOutput: Output = {
  info: (line) => process.stdout.write(`${redact(line)}\n`),
  error: (line) => process.stderr.write(`${redact(line)}\n`),
};
