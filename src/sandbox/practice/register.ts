/**
 * The sandbox starts as an installation where the tool is already in use: the key-era register names the seed's
 * key as era `era-1` (the label the vault files it under), locally and in the bucket, so that every runbook runs
 * headless from the environment file alone and `ENCRYPTION_KEY_COMMAND` finds the key of the era the register names.
 */
import { addEra, emptyRegister, REGISTER_FILE_NAME, type KeyEraRegister } from '../../eras/register.js';
import { writeLocalRegister } from '../../eras/store.js';
import { keyFingerprint } from '../../keys/fingerprint.js';
import { parseEncryptionKey } from '../../keys/secret-value.js';
import { closeS3, openS3 } from '../../s3/client.js';
import { putJson } from '../../s3/objects.js';
import { s3SettingsFromEnv } from '../../s3/settings.js';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, type LocalBucket } from '../local-bucket.js';

export async function writePracticeRegister(options: {
  era: string;
  encryptionKey: string;
  backupDir: string;
  bucket: LocalBucket;
  prefix: string;
}): Promise<KeyEraRegister> {
  const fingerprint = keyFingerprint(parseEncryptionKey(options.encryptionKey, 'ENCRYPTION_KEY'));
  const register = addEra(emptyRegister(), { label: options.era, fingerprint });
  await writeLocalRegister(options.backupDir, register);
  const context = openS3(s3SettingsFromEnv({ ...options.bucket.env, S3_PREFIX: options.prefix }), {
    credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: S3RVER_SECRET_ACCESS_KEY },
  });
  try {
    await putJson(context, REGISTER_FILE_NAME, register);
  } finally {
    closeS3(context);
  }
  return register;
}
