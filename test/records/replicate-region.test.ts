/**
 * The records copy's region gate (src/records/replicate.ts) against s3rver, which reports no location (the gate
 * then reads S3_REGION): with the bucket's stored facts (a full inspection's, as the replicate step leaves them) the
 * copy takes their region and reads none of its own; without them, or when today's ALLOWED_DATA_REGIONS refuses
 * their region, the region is read again and judged.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resolveSettings } from '../../src/core/settings.js';
import { replicateRecords } from '../../src/records/replicate.js';
import { loadOrCreateSigningKey } from '../../src/records/signing-key.js';
import { storeBucketFacts } from '../../src/s3/bucket-facts.js';
import { RegionNotAllowedError } from '../../src/s3/errors.js';
import { s3SettingsFromSettings } from '../../src/s3/settings.js';
import { startS3rver, type StartedS3rver } from '../helpers/s3rver.js';
import { useEnvCredentials } from '../s3/fixture.js';
import { appendChain, workspace } from './helpers.js';

let s3: StartedS3rver;

before(async () => {
  s3 = await startS3rver();
  useEnvCredentials(s3.env);
});
after(() => s3.stop());

test('the records copy takes the region from the stored facts, still judged against ALLOWED_DATA_REGIONS', async () => {
  const ws = await workspace();
  const key = await loadOrCreateSigningKey({ configDir: ws.configDir, recordsDir: ws.recordsDir });
  await appendChain(ws, key, 1);
  // s3rver reports no location: read, the region is S3_REGION, which `eu` refuses.
  const env = { ...s3.env, S3_PREFIX: 'facts/', S3_REGION: 'us-east-1', ALLOWED_DATA_REGIONS: 'eu' };
  const copy = (extra: Record<string, string> = {}) =>
    replicateRecords(resolveSettings({ env: { ...env, ...extra }, configDir: ws.configDir }), {
      recordsDir: ws.recordsDir,
      signal: AbortSignal.timeout(60_000),
    });

  await assert.rejects(copy(), RegionNotAllowedError, 'no facts: the region is read, and refused');

  const s3Settings = s3SettingsFromSettings(resolveSettings({ env, configDir: ws.configDir }));
  await storeBucketFacts(ws.configDir, s3Settings, {
    readAt: new Date().toISOString(),
    region: { region: 'eu-central-1', source: 'bucket' },
    versioning: { status: 'unknown' },
    lifecycle: { status: 'unknown', rules: [] },
    objectLock: { status: 'disabled' },
  });
  const copied = await copy();
  assert.equal(copied.uploaded.length, 2, 'the record and its signature, under the region of the facts');

  await appendChain(ws, key, 1);
  await assert.rejects(
    copy({ ALLOWED_DATA_REGIONS: 'eu-west-1' }),
    RegionNotAllowedError,
    'facts whose region is no longer allowed: read again, and refused',
  );
});
