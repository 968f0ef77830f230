/** Signs a run's record, appends it to the signer's chain, and re-reads it to check the signature. */
import { plainSettingsOf } from '../core/parsed-settings.js';
import { s3SettingsFromSettings } from '../s3/settings.js';
import { readFile } from 'node:fs/promises';
import type { Settings } from '../core/settings.js';
import type { RecordWriter } from '../engine/engine.js';
import { loadOrCreateSigningKey } from '../records/signing-key.js';
import { verifySshsig } from '../records/sshsig.js';
import { appendRecord } from '../records/store.js';
import { recordsDirOf } from '../records/records-dir.js';

export { recordsDirOf } from '../records/records-dir.js';

export function signingKeyOptions(settings: Settings) {
  return {
    configDir: settings.configDir,
    signingKeyFile: plainSettingsOf(settings).records.signingKeyFile,
    recordsDir: recordsDirOf(settings),
    principal: plainSettingsOf(settings).records.signingPrincipal,
  };
}

export function recordWriter(settings: Settings): RecordWriter {
  return async (record) => {
    const key = await loadOrCreateSigningKey(signingKeyOptions(settings));
    const appended = await appendRecord({
      recordsDir: recordsDirOf(settings),
      record,
      key: key.keyPair,
      principal: key.principal,
    });
    const [bytes, signature] = await Promise.all([readFile(appended.path), readFile(appended.sigPath, 'utf8')]);
    const check = verifySshsig(bytes, signature);
    const verified = check.ok && check.publicKey.equals(key.keyPair.publicKey);
    // Evidence must not live on one machine (DESIGN §4): copied now, beside the backups; never fails the run.
    const { replicateRecordNow } = await import('../records/replicate.js');
    const copy = await replicateRecordNow(settings, appended.path);
    if (!copy.configured) return { path: appended.path, verified };
    const text = copy.problem
      ? `${copy.problem} (the next run copies it)`
      : copy.uploaded.length > 0
        ? `${copy.uploaded.length} file(s) under ${s3SettingsFromSettings(settings).prefix}records/`
        : 'already there';
    return { path: appended.path, verified, copy: { ok: !copy.problem, text } };
  };
}
