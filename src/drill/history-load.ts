/** Reads the drill records of RECORDS_DIR into a `DrillHistory` (signatures are not checked here: `records verify`
 * does). */
import { listRecordsDir, loadRecordFile } from '../records/record-files.js';
import { drillHistory, type DrillHistory } from './history.js';

export async function loadDrillHistory(recordsDir: string): Promise<DrillHistory> {
  const { records } = await listRecordsDir(recordsDir);
  const drills = records.filter((file) => /-drill-/.test(file));
  const loaded = await Promise.all(drills.map((file) => loadRecordFile(recordsDir, file).catch(() => undefined)));
  return drillHistory(loaded.flatMap((item) => (item?.record ? [item.record as Record<string, unknown>] : [])));
}
