/**
 * Parsers for what monitoring systems read, written from their specifications (not from our code): the
 * monitoring-plugins output (first line, `|`, `'label'=value[UOM];warn;crit;min;max`) and the Prometheus text
 * exposition format. Each throws on anything a strict reader would reject.
 */
import assert from 'node:assert/strict';

export interface PerfDatum {
  value: number | 'U';
  uom: string;
  warn?: number;
  crit?: number;
  min?: number;
  max?: number;
}

export interface PluginOutput {
  state: 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
  summary: string;
  perf: Map<string, PerfDatum>;
  longText: string[];
}

const NUMBER = '-?\\d+(?:\\.\\d+)?';
const DATUM = new RegExp(
  `^'([^'=]+)'=(${NUMBER}|U)([a-zA-Z%]*)(?:;(${NUMBER})?)?(?:;(${NUMBER})?)?(?:;(${NUMBER})?)?(?:;(${NUMBER})?)?$`,
);
const opt = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));

export function parsePluginOutput(stdout: string): PluginOutput {
  const [first = '', ...longText] = stdout.replace(/\n$/, '').split('\n');
  const match = /^OBEXAL-RUNBOOK (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*?)(?: \| (.*))?$/.exec(first);
  assert.ok(match, `first line is not "OBEXAL-RUNBOOK <STATE> - summary | perfdata": ${first}`);
  const perf = new Map<string, PerfDatum>();
  for (const token of (match[3] ?? '').split(' ').filter(Boolean)) {
    const datum = DATUM.exec(token);
    assert.ok(datum, `not a performance datum: ${token}`);
    const parsed: PerfDatum = { value: datum[2] === 'U' ? 'U' : Number(datum[2]), uom: datum[3] ?? '' };
    for (const [key, text] of [
      ['warn', datum[4]],
      ['crit', datum[5]],
      ['min', datum[6]],
      ['max', datum[7]],
    ] as const) {
      const value = opt(text);
      if (value !== undefined) parsed[key] = value;
    }
    perf.set(datum[1] as string, parsed);
  }
  for (const line of longText) assert.doesNotMatch(line, /\|/, 'a `|` in the long text would start performance data');
  return { state: match[1] as PluginOutput['state'], summary: match[2] as string, perf, longText };
}

export function perfValue(output: PluginOutput, label: string): number {
  const datum = output.perf.get(label);
  assert.ok(datum, `no performance datum ${label}`);
  assert.notEqual(datum.value, 'U', `${label} is U`);
  return datum.value as number;
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE_VALUE = '-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|NaN|[-+]Inf';
const SAMPLE = new RegExp(`^(${METRIC_NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (${SAMPLE_VALUE})(?: -?\\d+)?$`);

/** Every line: `# HELP`, `# TYPE` (before the metric's samples, once), or a sample; the file ends with a newline. */
export function parsePrometheus(text: string): {
  samples: PromSample[];
  types: Map<string, string>;
  help: Map<string, string>;
} {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: PromSample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = new RegExp(`^# (HELP|TYPE) (${METRIC_NAME}) (.+)$`).exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      const seen = kind === 'TYPE' ? types : help;
      assert.ok(!seen.has(name), `${kind} ${name} given twice`);
      if (kind === 'TYPE') {
        assert.match(rest, /^(counter|gauge|histogram|summary|untyped)$/);
        assert.ok(!samples.some((s) => s.name === name), `TYPE ${name} after its samples`);
      }
      seen.set(name, rest);
      continue;
    }
    const sample = SAMPLE.exec(line);
    assert.ok(sample, `not a line of the text exposition format: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: sample[1] as string, labels, value: Number(sample[3]) });
  }
  for (const sample of samples)
    assert.ok(types.has(sample.name) && help.has(sample.name), `${sample.name} has no HELP/TYPE`);
  return { samples, types, help };
}

export function sampleOf(samples: PromSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
