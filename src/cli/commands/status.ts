/**
 * `obexal-runbook status`: the newest verified backup (local, bucket), the last passing drill, the key-era
 * register, the last backup and drill runs and, with DATABASE_URL, point-in-time recovery (WAL archiving, the last
 * physical backup: src/status/pitr.ts), in the monitoring-plugins convention (DESIGN §3):
 *
 *   exit 0 OK        every age within its limit
 *   exit 1 WARNING   an age past its limit, the last backup or drill run failed, no key-era register
 *   exit 2 CRITICAL  an age past twice its limit, or no verified backup / passing drill at all
 *   exit 3 UNKNOWN   status could not read what it needs (the bucket unreachable, a folder unreadable, a limit
 *                    that is not a duration, BACKUP_DIR unset)
 *
 * Plain text (first line and perfdata for Nagios/Icinga, then one line per item), `--json` (one document) and
 * `--prometheus FILE` (node_exporter textfile). Decisions: docs/monitoring.md.
 */
import { messageOf, RunbookError } from '../../core/errors.js';
import { collectStatus } from '../../status/collect.js';
import { STATUS_SCHEMA, statusJson } from '../../status/json.js';
import { pluginText, unknownText } from '../../status/plugin-output.js';
import { prometheusText, unknownPrometheusText, writePrometheusFile } from '../../status/prometheus.js';
import { PLUGIN_EXIT, worstState, type StatusReport } from '../../status/types.js';
import type { Invocation } from '../environment.js';

type Output = { text: string; exitCode: number };

export interface StatusOptions {
  json: boolean;
  /** Where to write the Prometheus textfile. */
  prometheus?: string | undefined;
}

async function writeMetrics(report: StatusReport, file: string): Promise<void> {
  try {
    await writePrometheusFile(file, prometheusText(report));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? messageOf(error);
    const text = `${file} could not be written: ${code}; check that the folder exists and this user may write it`;
    report.items.push({ key: 'prometheus_file', label: 'prometheus file', state: 'UNKNOWN', text, word: 'ERROR' });
    report.state = worstState([report.state, 'UNKNOWN']);
  }
}

/** Status itself could not run: UNKNOWN on stdout (where monitoring reads), and in the metrics file too. */
async function failed(error: unknown, options: StatusOptions): Promise<Output> {
  const hint = error instanceof RunbookError ? error.hint : undefined;
  const now = new Date();
  if (options.prometheus) {
    await writePrometheusFile(options.prometheus, unknownPrometheusText(now)).catch(() => undefined);
  }
  const exitCode = PLUGIN_EXIT.UNKNOWN;
  if (options.json) {
    const [checkedAt, message] = [now.toISOString(), messageOf(error)];
    const document = { schema: STATUS_SCHEMA, state: 'UNKNOWN', exitCode, checkedAt, error: message, hint };
    return { text: JSON.stringify(document, null, 2), exitCode };
  }
  return { text: unknownText(messageOf(error), hint), exitCode };
}

export async function statusCommand(invocation: Invocation, options: StatusOptions): Promise<Output> {
  let report: StatusReport;
  try {
    report = await collectStatus(invocation.settings);
  } catch (error) {
    return failed(error, options);
  }
  if (options.prometheus) await writeMetrics(report, options.prometheus);
  const exitCode = PLUGIN_EXIT[report.state];
  if (options.json) {
    const document = statusJson(report, { prometheusFile: options.prometheus });
    return { text: JSON.stringify(document, null, 2), exitCode };
  }
  return { text: pluginText(report), exitCode };
}
