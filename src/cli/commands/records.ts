/** `obexal-runbook records list|show|verify|pubkey`, over the record store's plain functions. */
import { plainSettingsOf } from '../../core/parsed-settings.js';
import { UsageError } from '../../core/errors.js';
import {
  recordsList,
  recordsListJson,
  recordsPubkey,
  recordsShow,
  recordsVerify,
  type RecordsSettings,
} from '../../records/commands.js';
import type { Invocation } from '../environment.js';
import { recordsDirOf } from '../record-writer.js';

export async function recordsCommand(
  invocation: Invocation,
  args: string[],
  options: { json?: boolean } = {},
): Promise<{ text: string; exitCode: number }> {
  const { settings } = invocation;
  const [verb, id] = args;
  const records: RecordsSettings = {
    recordsDir: recordsDirOf(settings),
    configDir: settings.configDir,
    signingKeyFile: plainSettingsOf(settings).records.signingKeyFile,
    allowedSignersFile: plainSettingsOf(settings).records.allowedSignersFile,
    principal: plainSettingsOf(settings).records.signingPrincipal,
    bucket: settings,
  };
  switch (verb ?? 'list') {
    case 'list':
      return options.json ? recordsListJson(records) : recordsList(records);
    case 'show':
      if (!id) throw new UsageError('usage: obexal-runbook records show <run id or file>');
      return recordsShow(records, id);
    case 'verify':
      return recordsVerify(records);
    case 'pubkey':
      return recordsPubkey(records);
    default:
      throw new UsageError(`unknown records command "${verb}"`, 'use list, show <id>, verify or pubkey');
  }
}
