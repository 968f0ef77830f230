/**
 * Limits on what enters from files and answers, so that a hostile or mistaken input is refused at once (exit 2)
 * instead of costing minutes and gigabytes: a 20 MB YAML line took 742 MB to validate, and a YAML alias bomb
 * expands exponentially. The limits are far above anything real (the largest built-in runbook is under 10 KiB).
 */
import { open } from 'node:fs/promises';
import { UsageError } from './errors.js';
import { formatBytes } from './format.js';

export const MAX_RUNBOOK_BYTES = 1024 * 1024;
export const MAX_ANSWERS_FILE_BYTES = 1024 * 1024;
/** An answer is a label, a confirmation, a path or a short text: 4096 characters is PATH_MAX. */
export const MAX_ANSWER_CHARS = 4096;
/** Aliases a YAML document may expand (the yaml package's default, named here so that both readers use it). */
export const MAX_YAML_ALIASES = 100;

/**
 * Reads at most `maxBytes` of `path`; a larger file (or an endless one such as /dev/zero) is refused with exit 2.
 * `readError` turns an open or read failure into the caller's own error.
 */
export async function readBoundedFile(
  path: string,
  maxBytes: number,
  what: string,
  readError: (error: unknown) => Error,
): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw readError(error);
  }
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) {
        const size = (await handle.stat()).size;
        const expected =
          what === 'the runbook file'
            ? 'a runbook is a short list of steps'
            : 'an answers file holds one short `name: value` per line';
        throw new UsageError(
          `${what} ${path} is ${size > maxBytes ? formatBytes(size) : 'larger than that'}: at ` +
            `most ${formatBytes(maxBytes)} is read`,
          `check that ${path} is the file you meant; ${expected}`,
        );
      }
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw readError(error);
  } finally {
    await handle.close();
  }
}

/** Refuses (exit 2) an answer longer than MAX_ANSWER_CHARS, naming it and where it came from. */
export function checkAnswerValues(values: Record<string, string>, source: string): void {
  for (const [name, value] of Object.entries(values)) {
    if (value.length > MAX_ANSWER_CHARS) {
      throw new UsageError(
        `the answer ${name} (${source}) is ${value.length} characters long: an answer is at most ${MAX_ANSWER_CHARS}`,
        `give ${name} its short value (a label, a confirmation, a path or a line of text); secrets never go in answers`,
      );
    }
  }
}
