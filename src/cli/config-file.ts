/**
 * The configuration file (`config.json` in the state folder, 0600): a flat JSON object of setting names to strings.
 * Written atomically (a temporary file beside it, then a rename), so a crash never leaves half a file. Its own
 * 50 lines instead of the `conf` package, which loaded about 170 modules (a JSON-schema validator among them) on
 * every command, the nightly cron backup included.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';

export class ConfigFile {
  readonly path: string;

  constructor(directory: string) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.path = join(directory, 'config.json');
  }

  /** Every persisted setting, read from the file at each call (another invocation may have changed it). */
  get store(): Record<string, string> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    return this.parse(text);
  }

  get(name: string): string | undefined {
    return this.store[name];
  }

  set(name: string, value: string): void {
    this.write({ ...this.store, [name]: value });
  }

  delete(name: string): void {
    const { [name]: _removed, ...rest } = this.store;
    this.write(rest);
  }

  private parse(text: string): Record<string, string> {
    let parsed: unknown;
    try {
      parsed = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw this.invalid('it is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw this.invalid('not an object');
    const entries = Object.entries(parsed as Record<string, unknown>);
    const notScalar = entries.find(([, value]) => !['string', 'number', 'boolean'].includes(typeof value));
    if (notScalar) throw this.invalid(`the value of ${notScalar[0]} is not a string`);
    // A hand-edited `"RETENTION_DAYS": 30` is read as the text it stands for.
    return Object.fromEntries(entries.map(([name, value]) => [name, String(value)]));
  }

  private invalid(why: string): UsageError {
    return new UsageError(
      `the configuration file ${this.path} cannot be read: ${why}`,
      'correct it (a JSON object of setting names to strings, e.g. {"BACKUP_DIR": "/var/backups/obexal"}) ' +
        'or remove it and set the settings again with `obexal-runbook config set`',
    );
  }

  private write(values: Record<string, string>): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(values, null, '\t')}\n`, { mode: 0o600 });
      renameSync(temporary, this.path);
    } finally {
      rmSync(temporary, { force: true });
    }
  }
}
