/**
 * Command templates (AUTH_SERVICE_EXEC, DRILL_AUTH_SERVICE_START, APP_*_COMMAND, key and identity commands)
 * are argument lists run without a shell. Written in a setting as words with shell-like quoting, or as a
 * JSON array. Placeholders `{name}` are replaced inside single arguments, never split; an argument that is
 * exactly `{args}` expands to zero or more arguments. Values are validated before substitution.
 */
import { UsageError } from './errors.js';

export function splitCommand(text: string, settingName = 'command'): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(
        `${settingName} starts with [ but is not a JSON array`,
        'write a JSON array of strings, or plain words',
      );
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === 'string')) {
      throw new UsageError(`${settingName} must be a non-empty JSON array of strings`);
    }
    return parsed as string[];
  }
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < trimmed.length) current += trimmed[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < trimmed.length) {
      current += trimmed[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`${settingName} has an unclosed ${quote} quote`);
  if (inWord) words.push(current);
  if (words.length === 0) throw new UsageError(`${settingName} is empty`);
  return words;
}

export interface TemplateValues {
  [placeholder: string]: string | string[];
}

const PLACEHOLDER = /\{([a-z][a-z0-9_-]*)\}/g;

/** Expands a template into an argument list. Unknown placeholders are an error, so typos do not run. */
export function expandCommand(template: string | string[], values: TemplateValues, settingName = 'command'): string[] {
  const words = Array.isArray(template) ? template : splitCommand(template, settingName);
  const out: string[] = [];
  for (const word of words) {
    const whole = /^\{([a-z][a-z0-9_-]*)\}$/.exec(word);
    if (whole && Array.isArray(values[whole[1] as string])) {
      out.push(...(values[whole[1] as string] as string[]));
      continue;
    }
    out.push(
      word.replace(PLACEHOLDER, (match, name: string) => {
        const value = values[name];
        if (value === undefined) throw new UsageError(`${settingName} uses ${match}, which is not available here`);
        if (Array.isArray(value)) throw new UsageError(`${settingName}: ${match} must stand alone as one argument`);
        return value;
      }),
    );
  }
  return out;
}

/** An era label as DESIGN §4 fixes it. */
export function validateEraLabel(label: string): string {
  if (!/^[a-z0-9-]+$/.test(label))
    throw new UsageError(`era label "${label}" is invalid`, 'an era label is lower-case letters, digits and dashes');
  return label;
}
